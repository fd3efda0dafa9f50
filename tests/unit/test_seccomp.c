/* SPDX-License-Identifier: Apache-2.0 */
/* The per-thread seccomp lists (src/seccomp/): each kind's thread may do
 * its job and nothing off its list; a violation raises SIGSYS in that
 * thread with a sentence mvm_seccomp_describe() can give; the rest of the
 * process stays unfiltered; docs/seccomp.md lists every rule. Every probe
 * runs in a forked child, since a filter never comes off a thread. */
#include "test_util.h"

#include "jail/sandbox.h"
#include "util/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define EXIT_TRAPPED 42
#define EXIT_DONE 43

static int report_fd = -1;

static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
	char msg[256];
	size_t n = mvm_seccomp_describe(info, msg, sizeof(msg));
	(void)!write(report_fd, msg, n);
	_exit(EXIT_TRAPPED);
}

typedef void (*probe_fn)(void);

static void *run_probe(void *arg)
{
	((probe_fn)arg)();
	return NULL;
}

/* In a child: a thread of KIND runs PROBE. Returns the child's exit
 * status (EXIT_TRAPPED with *msg set, or EXIT_DONE when the probe came
 * back), or 128 + the signal that killed it. */
static int probe(enum sandbox_kind kind, probe_fn fn, char *msg, size_t len)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSYS, &sa, NULL);
		mvm_error *err = NULL;
		struct sandbox sb = {.seccomp = sandbox_policy_get(&err)};
		pthread_t t;
		if (sb.seccomp == NULL ||
		    sandbox_thread_create(&sb, kind, "probe", &t, run_probe, (void *)fn, &err) < 0)
			_exit(3);
		pthread_join(t, NULL);
		_exit(EXIT_DONE);
	}
	close(p[1]);
	ssize_t n = read(p[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_trap(enum sandbox_kind kind, probe_fn fn, const char *syscall_name)
{
	char msg[256];
	int st = probe(kind, fn, msg, sizeof(msg));
	if (st != EXIT_TRAPPED)
		fail_msg("%s thread: %s was allowed (status %d)", sandbox_kind_name(kind),
			 syscall_name, st);
	char want[64];
	snprintf(want, sizeof(want), "the %s thread", sandbox_kind_name(kind));
	if (strstr(msg, want) == NULL || strstr(msg, syscall_name) == NULL)
		fail_msg("report \"%s\" lacks \"%s\" or \"%s\"", msg, want, syscall_name);
}

/* glibc's pthread_create blocks every signal around clone3, and a forced
 * SIGSYS that is blocked kills the process at once, with no handler: the
 * shell's "Bad system call", still not silent. */
static void expect_killed(enum sandbox_kind kind, probe_fn fn, const char *syscall_name)
{
	char msg[256];
	int st = probe(kind, fn, msg, sizeof(msg));
	if (st != 128 + SIGSYS && st != EXIT_TRAPPED)
		fail_msg("%s thread: %s: status %d, not SIGSYS", sandbox_kind_name(kind),
			 syscall_name, st);
}

static void expect_allowed(enum sandbox_kind kind, probe_fn fn, const char *what)
{
	char msg[256];
	int st = probe(kind, fn, msg, sizeof(msg));
	if (st != EXIT_DONE)
		fail_msg("%s thread: %s: status %d, report \"%s\"", sandbox_kind_name(kind), what,
			 st, msg);
}

/* ---- probes --------------------------------------------------------------- */

static void do_socket_unix(void)
{
	syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
}

static void do_socket_inet(void)
{
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (fd >= 0)
		close((int)fd);
}

static void do_open_shadow(void)
{
	syscall(SYS_openat, AT_FDCWD, "/etc/shadow", O_RDONLY);
}

static void do_open_write(void)
{
	syscall(SYS_openat, AT_FDCWD, "/tmp/mvm-seccomp-never", O_WRONLY | O_CREAT, 0600);
}

static void do_open_rdwr(void)
{
	syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDWR);
}

static void do_execve(void)
{
	char *const argv[] = {"/bin/true", NULL};
	syscall(SYS_execve, "/bin/true", argv, NULL);
}

static void do_mmap_exec(void)
{
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void do_mprotect_exec(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(SYS_mprotect, m, 4096, PROT_READ | PROT_EXEC);
}

static void do_ioctl_tcgets(void)
{
	char buf[64];
	syscall(SYS_ioctl, 0, 0x5401 /* TCGETS */, buf);
}

static void do_tgkill_term(void)
{
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGTERM);
}

static void do_clone_thread(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, run_probe, (void *)do_socket_inet) == 0)
		pthread_join(t, NULL);
}

static void do_ptrace(void)
{
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
}

/* What every kind does: locks, memory, eventfd-style writes, time, the
 * kick signal to itself (blocked, so it only stays pending). */
static void do_common_work(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	void *big = malloc(8 << 20);
	void *small = malloc(100);
	if (big == NULL || small == NULL)
		_exit(4);
	memset(big, 1, 8 << 20);
	free(big);
	free(small);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, mvm_vcpu_kick_signal());
	pthread_sigmask(SIG_BLOCK, &s, &old);
	if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), mvm_vcpu_kick_signal()) < 0)
		_exit(5);
}

static char fs_dir[] = "/tmp/mvm-seccomp-XXXXXX";

/* What a worker does, relative to the share's fds: never by absolute
 * path, never mkdir(2) or rmdir(2). */
static void do_fs_work(void)
{
	int d = open(fs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int f = openat(d, "f", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (d < 0 || f < 0 || pwrite(f, "x", 1, 0) != 1 || fsync(f) < 0 ||
	    (fsetxattr(f, "user.t", "1", 1, 0) < 0 && errno != ENOTSUP))
		_exit(7);
	struct stat st;
	if (fstatat(d, "f", &st, AT_SYMLINK_NOFOLLOW) < 0 || renameat(d, "f", d, "g") < 0 ||
	    unlinkat(d, "g", 0) < 0 || mkdirat(d, "sub", 0700) < 0 ||
	    unlinkat(d, "sub", AT_REMOVEDIR) < 0)
		_exit(8);
	close(f);
	close(d);
}

/* ---- tests ----------------------------------------------------------------- */

static void policy_builds_every_kind(void **state)
{
	mvm_error *err = NULL;
	const struct sandbox_policy *p = sandbox_policy_get(&err);
	assert_null(err);
	assert_non_null(p);
	/* Built once per process. */
	assert_ptr_equal(sandbox_policy_get(&err), p);
	for (int k = 0; k < SANDBOX_KINDS; k++)
		assert_string_not_equal(sandbox_kind_name((enum sandbox_kind)k), "unknown");
	assert_string_equal(sandbox_kind_name(SANDBOX_KINDS), "unknown");
}

static void common_work_is_allowed(void **state)
{
	for (int k = 0; k < SANDBOX_KINDS; k++)
		expect_allowed((enum sandbox_kind)k, do_common_work, "locks, memory, time, kick");
}

static void nothing_off_the_lists(void **state)
{
	for (int k = 0; k < SANDBOX_KINDS; k++) {
		enum sandbox_kind kind = (enum sandbox_kind)k;
		if (kind != SANDBOX_LOOP) /* the loop's vsock sockets (rules.c) */
			expect_trap(kind, do_socket_unix, "socket");
		expect_trap(kind, do_execve, "execve");
		expect_trap(kind, do_mmap_exec, "mmap");
		expect_trap(kind, do_mprotect_exec, "mprotect");
		expect_trap(kind, do_tgkill_term, "tgkill");
		expect_killed(kind, do_clone_thread, "clone");
		expect_trap(kind, do_ptrace, "ptrace");
		expect_trap(kind, do_ioctl_tcgets, "ioctl");
		if (kind != SANDBOX_FS && kind != SANDBOX_NET)
			expect_trap(kind, do_open_shadow, "openat");
		if (kind != SANDBOX_FS) {
			expect_trap(kind, do_open_write, "openat");
			expect_trap(kind, do_open_rdwr, "openat");
		}
		if (kind != SANDBOX_NET)
			expect_trap(kind, do_socket_inet, "socket");
	}
}

static void each_kind_does_its_job(void **state)
{
	expect_allowed(SANDBOX_NET, do_socket_inet, "an AF_INET socket");
	expect_allowed(SANDBOX_LOOP, do_socket_unix, "an AF_UNIX socket (virtio-vsock)");
	/* libslirp's look at resolv.conf: reading only (rules.c). */
	expect_allowed(SANDBOX_NET, do_open_shadow, "a read-only open");
	assert_non_null(mkdtemp(fs_dir));
	expect_allowed(SANDBOX_FS, do_fs_work, "create, write, xattr, rename, unlink");
	assert_int_equal(rmdir(fs_dir), 0);
}

/* A filter is the thread's own: the application's thread that started
 * it, and threads it starts later, stay free. */
static void *free_thread(void *arg)
{
	long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0)
		close((int)fd);
	return (void *)(intptr_t)(fd >= 0);
}

static void application_threads_stay_free(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		mvm_error *err = NULL;
		pthread_t t;
		struct sandbox sb = {.seccomp = sandbox_policy_get(&err)};
		if (sb.seccomp == NULL ||
		    sandbox_thread_create(&sb, SANDBOX_VCPU, "probe", &t, run_probe,
					  (void *)do_common_work, &err) < 0)
			_exit(3);
		pthread_join(t, NULL);
		void *ok = NULL;
		if (!free_thread(NULL) || pthread_create(&t, NULL, free_thread, NULL) != 0 ||
		    pthread_join(t, &ok) != 0 || !ok)
			_exit(4);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void no_policy_no_filter(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;
		void *ok = NULL;
		if (sandbox_thread_create(NULL, SANDBOX_VCPU, "probe", &t, free_thread, NULL,
					  NULL) < 0 ||
		    pthread_join(t, &ok) != 0)
			_exit(3);
		_exit(ok ? 0 : 4);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Without a handler, a violation still ends the process: never silent. */
static void default_disposition_kills(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSYS, SIG_IGN); /* even ignored: the kernel forces it */
		mvm_error *err = NULL;
		pthread_t t;
		struct sandbox sb = {.seccomp = sandbox_policy_get(&err)};
		if (sb.seccomp == NULL || sandbox_thread_create(&sb, SANDBOX_CONSOLE, "probe", &t,
								run_probe, (void *)do_execve, &err) < 0)
			_exit(3);
		pthread_join(t, NULL);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void describe_ignores_other_signals(void **state)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSEGV;
	char buf[64] = "x";
	assert_int_equal(mvm_seccomp_describe(&si, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(mvm_seccomp_describe(NULL, buf, sizeof(buf)), 0);
	si.si_signo = SIGSYS;
	si.si_code = SI_USER; /* kill -SYS: not ours */
	assert_int_equal(mvm_seccomp_describe(&si, buf, sizeof(buf)), 0);
	/* A short buffer is cut, still terminated. */
	si.si_code = 1; /* SYS_SECCOMP */
	char tiny[8];
	size_t n = mvm_seccomp_describe(&si, tiny, sizeof(tiny));
	assert_int_equal(n, 7);
	assert_int_equal(strlen(tiny), 7);
}

/* docs/seccomp.md has a section per kind ("### vCPU"), and one for the
 * rules of every kind ("### every kind"), listing each system call as
 * `name`: every rule of the table is documented where it applies. */
static void docs_list_every_rule(void **state)
{
	FILE *f = fopen("docs/seccomp.md", "r");
	assert_non_null(f);
	static char doc[65536];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	for (size_t i = 0; i < sandbox_rule_count(); i++) {
		struct sandbox_rule_info r;
		sandbox_rule_get(i, &r);
		assert_non_null(r.why);
		assert_true(strlen(r.why) > 3);
		unsigned all = (1u << SANDBOX_KINDS) - 1;
		for (int k = 0; k < SANDBOX_KINDS; k++) {
			if (!(r.kinds & (1u << k)) || (r.kinds == all && k > 0))
				continue;
			const char *section = r.kinds == all ? "every kind"
							     : sandbox_kind_name((enum sandbox_kind)k);
			char head[64], name[64];
			snprintf(head, sizeof(head), "\n### %s\n", section);
			snprintf(name, sizeof(name), "`%s`", r.syscall);
			const char *sec = strstr(doc, head);
			if (sec == NULL)
				fail_msg("docs/seccomp.md has no section \"### %s\"", section);
			const char *end = strstr(sec + 1, "\n##");
			const char *hit = strstr(sec, name);
			if (hit == NULL || (end != NULL && hit > end))
				fail_msg("docs/seccomp.md, \"### %s\", does not list %s", section,
					 name);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(policy_builds_every_kind),
	    cmocka_unit_test(common_work_is_allowed),
	    cmocka_unit_test(nothing_off_the_lists),
	    cmocka_unit_test(each_kind_does_its_job),
	    cmocka_unit_test(application_threads_stay_free),
	    cmocka_unit_test(no_policy_no_filter),
	    cmocka_unit_test(default_disposition_kills),
	    cmocka_unit_test(describe_ignores_other_signals),
	    cmocka_unit_test(docs_list_every_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
