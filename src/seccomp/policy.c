/* SPDX-License-Identifier: Apache-2.0 */
#include "seccomp/policy.h"
#include "util/error.h"
#include "util/signals.h"

#include <errno.h>
#include <linux/audit.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names of system calls for the SIGSYS report, resolved before any filter
 * runs: the report is written from a signal handler, which may not call
 * libseccomp (it allocates). */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

#define NAME_SLOTS 512
#define NAME_LEN 24

struct sandbox_policy {
	struct sock_fprog prog[SANDBOX_KINDS];
};

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sandbox_policy *built;
static char names[NAME_SLOTS][NAME_LEN];
static __thread int thread_kind = -1;

static const char *const kind_names[SANDBOX_KINDS] = {
    [SANDBOX_VCPU] = "vCPU",
    [SANDBOX_LOOP] = "event loop",
    [SANDBOX_FS] = "file-system worker",
    [SANDBOX_NET] = "network",
    [SANDBOX_CONSOLE] = "console output",
};

const char *sandbox_kind_name(enum sandbox_kind kind)
{
	return (unsigned)kind < SANDBOX_KINDS ? kind_names[kind] : "unknown";
}

size_t sandbox_rule_count(void)
{
	return sandbox_n_rules;
}

void sandbox_rule_get(size_t i, struct sandbox_rule_info *out)
{
	const struct sandbox_rule *r = &sandbox_rules[i];
	*out = (struct sandbox_rule_info){
	    .syscall = r->name, .kinds = r->kinds, .condition = r->condition, .why = r->why};
}

int sandbox_policy_load(const struct sandbox_policy *p, enum sandbox_kind kind,
			const char **step)
{
	/* Our own no_new_privs, as the kernel asks of an unprivileged
	 * filter: the thread, and nothing it could exec, ever gains
	 * privileges. It is per thread, like the filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*step = "prctl(PR_SET_NO_NEW_PRIVS)";
		return errno;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p->prog[kind]) < 0) {
		*step = "seccomp(SECCOMP_SET_MODE_FILTER)";
		return errno;
	}
	thread_kind = (int)kind;
	return 0;
}

/* libseccomp 2.5 exports BPF only to an fd: a memfd, read back. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *out, mvm_error **err)
{
	int fd = memfd_create("mvm-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return mvm_err_sys(err, "seccomp: memfd_create");
	int rc = seccomp_export_bpf(ctx, fd);
	struct stat st;
	if (rc < 0) {
		close(fd);
		return mvm_err(err, MVM_ERR_UNSUPPORTED, -rc, "seccomp: exporting a filter");
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(fd);
		return mvm_err(err, MVM_ERR_UNSUPPORTED, errno, "seccomp: exported filter of %lld bytes",
			       (long long)st.st_size);
	}
	struct sock_filter *insns = malloc((size_t)st.st_size);
	if (insns == NULL || pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
		int e = insns == NULL ? ENOMEM : errno;
		free(insns);
		close(fd);
		return mvm_err(err, MVM_ERR_IO, e, "seccomp: reading an exported filter back");
	}
	close(fd);
	out->filter = insns;
	out->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	return 0;
}

static int compile_kind(enum sandbox_kind kind, struct sock_fprog *out, mvm_error **err)
{
	/* TRAP, not KILL: the SIGSYS carries the call's number, so an
	 * application's handler can say which thread broke its list
	 * (mvm_seccomp_describe); without a handler the default action of
	 * SIGSYS still ends the process. A foreign ABI (int 0x80, x32) is
	 * never on a list. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (ctx == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "seccomp: seccomp_init");
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	/* A binary tree of syscall numbers instead of a linear chain: every
	 * call of an fs worker (preadv, openat, fstatat...) is filtered, and
	 * where BPF is interpreted (no JIT, as in the QEMU-TCG harness) a
	 * chain makes the calls near its end walk the whole list. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; rc == 0 && i < sandbox_n_rules; i++) {
		const struct sandbox_rule *r = &sandbox_rules[i];
		if (!(r->kinds & (1u << kind)))
			continue;
		struct scmp_arg_cmp args[SANDBOX_MAX_ARGS];
		memcpy(args, r->args, sizeof(args));
		if (r->arg0_is_kick_signal)
			args[0].datum_a = (scmp_datum_t)mvm_vcpu_kick_signal();
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, r->n_args, args);
		if (rc < 0) {
			seccomp_release(ctx);
			return mvm_err(err, MVM_ERR_UNSUPPORTED, -rc, "seccomp: the %s list's rule for %s%s%s",
				       sandbox_kind_name(kind), r->name, *r->condition ? " if " : "",
				       r->condition);
		}
	}
	if (rc < 0) {
		seccomp_release(ctx);
		return mvm_err(err, MVM_ERR_UNSUPPORTED, -rc, "seccomp: setting up the %s list",
			       sandbox_kind_name(kind));
	}
	rc = export_prog(ctx, out, err);
	seccomp_release(ctx);
	return rc;
}

static void fill_names(void)
{
	for (int nr = 0; nr < NAME_SLOTS; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (n != NULL) {
			strncpy(names[nr], n, NAME_LEN - 1);
			free(n);
		}
	}
}

const struct sandbox_policy *sandbox_policy_get(mvm_error **err)
{
	pthread_mutex_lock(&build_lock);
	if (built == NULL) {
		struct sandbox_policy *p = calloc(1, sizeof(*p));
		int rc = p == NULL ? mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "seccomp policy") : 0;
		for (int k = 0; rc == 0 && k < SANDBOX_KINDS; k++)
			rc = compile_kind((enum sandbox_kind)k, &p->prog[k], err);
		if (rc < 0) {
			for (int k = 0; p != NULL && k < SANDBOX_KINDS; k++)
				free(p->prog[k].filter);
			free(p);
			pthread_mutex_unlock(&build_lock);
			return NULL;
		}
		fill_names();
		/* Kept for the life of the process: threads of any VM may
		 * still be loading it. */
		built = p;
	}
	pthread_mutex_unlock(&build_lock);
	return built;
}

/* ---- the SIGSYS report (async-signal-safe) ------------------------------ */

static size_t put(char *buf, size_t len, size_t at, const char *s)
{
	while (*s != '\0' && at + 1 < len)
		buf[at++] = *s++;
	return at;
}

static size_t put_uint(char *buf, size_t len, size_t at, unsigned long v)
{
	char digits[24];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0 && at + 1 < len)
		buf[at++] = digits[--n];
	return at;
}

size_t mvm_seccomp_describe(const siginfo_t *info, char *buf, size_t len)
{
	if (info == NULL || buf == NULL || len == 0)
		return 0;
	buf[0] = '\0';
	if (info->si_signo != SIGSYS || info->si_code != SYS_SECCOMP)
		return 0;
	int kind = thread_kind;
	int nr = info->si_syscall;
	size_t at = put(buf, len, 0, "seccomp: the ");
	at = put(buf, len, at, kind >= 0 ? sandbox_kind_name((enum sandbox_kind)kind)
					 : "(not mvm's)");
	at = put(buf, len, at, " thread made the system call ");
	if (nr >= 0 && nr < NAME_SLOTS && names[nr][0] != '\0') {
		at = put(buf, len, at, names[nr]);
		at = put(buf, len, at, " (");
		at = put_uint(buf, len, at, (unsigned long)nr);
		at = put(buf, len, at, ")");
	} else {
		at = put(buf, len, at, "number ");
		at = put_uint(buf, len, at, (unsigned long)(unsigned)nr);
	}
	if (info->si_arch != AUDIT_ARCH_X86_64) {
		at = put(buf, len, at, " of a foreign ABI (audit arch 0x");
		char hex[9];
		for (int i = 0; i < 8; i++)
			hex[i] = "0123456789abcdef"[(info->si_arch >> (28 - 4 * i)) & 15];
		hex[8] = '\0';
		at = put(buf, len, at, hex);
		at = put(buf, len, at, ")");
	}
	at = put(buf, len, at, ", which its seccomp filter forbids (docs/seccomp.md)");
	buf[at] = '\0';
	return at;
}
