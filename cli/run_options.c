/* SPDX-License-Identifier: Apache-2.0 */
/* The options of `mvm run`. Each option maps onto one builder setter; the
 * library parses the list forms ("8080:80"), the CLI only the scalars. */
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_ROOT = 0x100,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_DAX_WINDOW,
	OPT_RLIMIT,
	OPT_CONSOLE_OUTPUT,
	OPT_VSOCK,
	OPT_IP,
	OPT_LOCAL_ONLY,
	OPT_LOG_LEVEL,
	OPT_DRY_RUN,
	OPT_KERNEL,
	OPT_SHARE_MODE,
	OPT_NO_SECCOMP,
	OPT_NO_JAIL,
	OPT_JAIL_USER,
	OPT_ENTRYPOINT,
	OPT_UPPER,
	OPT_RM,
	OPT_UPPER_ON_DISK,
	OPT_HOSTNAME,
	OPT_SYSCTL,
};

static const struct option long_options[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"dax-window", required_argument, NULL, OPT_DAX_WINDOW},
    {"volume", required_argument, NULL, 'v'},
    {"publish", required_argument, NULL, 'p'},
    {"rlimit", required_argument, NULL, OPT_RLIMIT},
    {"workdir", required_argument, NULL, 'w'},
    {"env", required_argument, NULL, 'e'},
    {"console-output", required_argument, NULL, OPT_CONSOLE_OUTPUT},
    {"vsock", required_argument, NULL, OPT_VSOCK},
    {"ip", required_argument, NULL, OPT_IP},
    {"local-only", required_argument, NULL, OPT_LOCAL_ONLY},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"share-mode", required_argument, NULL, OPT_SHARE_MODE},
    {"no-seccomp", no_argument, NULL, OPT_NO_SECCOMP},
    {"no-jail", no_argument, NULL, OPT_NO_JAIL},
    {"jail-user", required_argument, NULL, OPT_JAIL_USER},
    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
    {"user", required_argument, NULL, 'u'},
    {"upper", required_argument, NULL, OPT_UPPER},
    {"rm", no_argument, NULL, OPT_RM},
    {"upper-on-disk", no_argument, NULL, OPT_UPPER_ON_DISK},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"sysctl", required_argument, NULL, OPT_SYSCTL},
    {"tty", no_argument, NULL, 't'},
    {"interactive", no_argument, NULL, 'i'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Problems the CLI finds itself are printed at once and counted; the
 * library's problems are printed after build(). */
#define option_error(o, ...)                                                                       \
	do {                                                                                       \
		cli_error(__VA_ARGS__);                                                            \
		(o)->n_errors++;                                                                   \
	} while (0)

/* Decimal digits only: "+2", " 2", "0x2" and "2k" are mistakes, not 2. */
static bool parse_number(const char *s, unsigned long max, unsigned long *out)
{
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s))
		return false;
	unsigned long v = 0;
	for (; *s; s++) {
		unsigned long d = (unsigned long)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static void set_cpus(mvm_builder *b, const char *arg, struct run_options *o, mvm_error **err)
{
	unsigned long n;
	/* The range 1..255 is the library's rule; the CLI only needs a number
	 * that fits, so that "--cpus 0" gets the library's message. */
	if (!parse_number(arg, UINT_MAX, &n)) {
		option_error(o, "invalid --cpus value `%s`: expected a number 1..255", arg);
		return;
	}
	mvm_builder_num_vcpus(b, (unsigned)n, err);
}

/* A size in MiB for --OPT; the library judges its range. */
static bool mib_arg(const char *opt, const char *arg, struct run_options *o, uint32_t *mib)
{
	unsigned long n;
	if (!parse_number(arg, UINT32_MAX, &n)) {
		option_error(o, "invalid --%s value `%s`: expected a number of MiB", opt, arg);
		return false;
	}
	*mib = (uint32_t)n;
	return true;
}

static void set_memory(mvm_builder *b, const char *arg, struct run_options *o, mvm_error **err)
{
	uint32_t mib;
	if (mib_arg("memory", arg, o, &mib))
		mvm_builder_ram_mib(b, mib, err);
}

/* Evenness and range are the library's rules. */
static void set_dax_window(mvm_builder *b, const char *arg, struct run_options *o, mvm_error **err)
{
	uint32_t mib;
	if (mib_arg("dax-window", arg, o, &mib))
		mvm_builder_dax_window_mib(b, mib, err);
}

static void set_local_only(mvm_builder *b, const char *arg, struct run_options *o, mvm_error **err)
{
	if (strcmp(arg, "true") == 0)
		mvm_builder_local_only(b, true, err);
	else if (strcmp(arg, "false") == 0)
		mvm_builder_local_only(b, false, err);
	else
		option_error(o, "invalid --local-only value `%s`: expected true or false", arg);
}

/* UID:GID, both numbers: names would need the host's passwd, which the
 * guest's users have nothing to do with. */
static void set_jail_user(mvm_builder *b, const char *arg, struct run_options *o,
			  mvm_error **err)
{
	const char *colon = strchr(arg, ':');
	char uid_s[16];
	unsigned long uid, gid;
	size_t n = colon ? (size_t)(colon - arg) : 0;
	if (colon == NULL || n == 0 || n >= sizeof(uid_s)) {
		option_error(o, "invalid --jail-user value `%s`: expected UID:GID, two numbers", arg);
		return;
	}
	memcpy(uid_s, arg, n);
	uid_s[n] = '\0';
	if (!parse_number(uid_s, UINT32_MAX, &uid) || !parse_number(colon + 1, UINT32_MAX, &gid)) {
		option_error(o, "invalid --jail-user value `%s`: expected UID:GID, two numbers", arg);
		return;
	}
	mvm_builder_jail_user(b, (uint32_t)uid, (uint32_t)gid, err);
}

static void set_log_level(mvm_builder *b, const char *arg, mvm_error **err)
{
	mvm_log_level level;
	if (mvm_log_level_parse(arg, &level, err) == 0)
		mvm_builder_log_level(b, level, err);
}

/* MODE for every share, or GUEST=MODE for one. A mode has no `=`, so the
 * last one ends the guest path, which may hold `=` itself. */
static void set_share_mode(mvm_builder *b, const char *arg, struct run_options *o,
			   mvm_error **err)
{
	mvm_share_mode mode;
	const char *eq = strrchr(arg, '=');
	if (eq == NULL) {
		if (mvm_share_mode_parse(arg, &mode, err) == 0)
			mvm_builder_share_mode(b, mode, err);
		return;
	}
	char *guest = strndup(arg, (size_t)(eq - arg));
	if (guest == NULL) {
		option_error(o, "cannot store --share-mode `%s`: out of memory", arg);
		return;
	}
	if (mvm_share_mode_parse(eq + 1, &mode, err) == 0)
		mvm_builder_share_mode_for(b, guest, mode, err);
	free(guest);
}

/* docker's --entrypoint: one program, no arguments ("" for none). */
static void set_entrypoint(mvm_builder *b, const char *arg, mvm_error **err)
{
	const char *argv[] = {arg};
	mvm_builder_entrypoint(b, argv, arg[0] ? 1 : 0, err);
}

static void apply_option(int opt, const char *arg, mvm_builder *b, struct run_options *o,
			 mvm_error **err)
{
	switch (opt) {
	case OPT_ROOT:
		o->has_root = true;
		mvm_builder_root_path(b, arg, err);
		break;
	case OPT_CPUS:
		set_cpus(b, arg, o, err);
		break;
	case OPT_MEMORY:
		set_memory(b, arg, o, err);
		break;
	case OPT_DAX_WINDOW:
		set_dax_window(b, arg, o, err);
		break;
	case 'v':
		mvm_builder_mapped_dir(b, arg, err);
		break;
	case 'p':
		mvm_builder_port_map(b, arg, err);
		break;
	case OPT_RLIMIT:
		mvm_builder_rlimit(b, arg, err);
		break;
	case 'w':
		mvm_builder_workdir_path(b, arg, err);
		break;
	case 'e':
		mvm_builder_env(b, arg, err);
		break;
	case OPT_HOSTNAME:
		mvm_builder_hostname(b, arg, err);
		break;
	case OPT_SYSCTL:
		mvm_builder_sysctl(b, arg, err);
		break;
	case OPT_VSOCK:
		mvm_builder_vsock(b, arg, err);
		break;
	case OPT_CONSOLE_OUTPUT:
		mvm_builder_console_output(b, arg, err);
		break;
	case OPT_IP:
		mvm_builder_assigned_ip(b, arg, err);
		break;
	case OPT_LOCAL_ONLY:
		set_local_only(b, arg, o, err);
		break;
	case OPT_LOG_LEVEL:
		set_log_level(b, arg, err);
		break;
	case OPT_KERNEL:
		mvm_builder_kernel_path(b, arg, err);
		break;
	case OPT_SHARE_MODE:
		set_share_mode(b, arg, o, err);
		break;
	case OPT_NO_SECCOMP:
		mvm_builder_seccomp(b, false, err);
		break;
	case OPT_NO_JAIL:
		mvm_builder_jail(b, false, err);
		break;
	case OPT_JAIL_USER:
		set_jail_user(b, arg, o, err);
		break;
	case OPT_ENTRYPOINT:
		set_entrypoint(b, arg, err);
		break;
	case 'u':
		mvm_builder_user(b, arg, err);
		break;
	case OPT_UPPER:
		mvm_builder_upper_dir(b, arg, err);
		break;
	case OPT_RM:
		break; /* the default: accepted for docker's habit */
	case OPT_UPPER_ON_DISK:
		mvm_builder_upper_tmpfs(b, false, err);
		break;
	case OPT_DRY_RUN:
		o->dry_run = true;
		break;
	case 't':
		o->tty = true;
		break;
	case 'i':
		break; /* stdin is always the program's: docker's -i is the default */
	case 'h':
		o->show_help = true;
		break;
	}
}

/* getopt's own messages lack the "mvm: error:" prefix, so it stays quiet
 * (leading ':' in the option string) and we name the option ourselves. */
static void bad_option(int opt, char **argv, struct run_options *o)
{
	const char *given = argv[optind - 1];
	if (opt == ':')
		option_error(o, "option `%s` needs a value (see `mvm run --help`)", given);
	else if (optopt != 0)
		option_error(o, "unknown option `-%c` (see `mvm run --help`)", optopt);
	else
		option_error(o, "unknown option `%s` (see `mvm run --help`)", given);
}

void run_options_parse(int argc, char **argv, mvm_builder *b, struct run_options *o,
		       mvm_error **err)
{
	*o = (struct run_options){0};
	opterr = 0;
	optind = 1;
	int opt;
	/* '+': options end at EXEC, so `mvm run /bin/ls -l` passes -l to ls. */
	while ((opt = getopt_long(argc, argv, "+:hitv:p:w:e:u:", long_options, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			bad_option(opt, argv, o);
		else
			apply_option(opt, optarg, b, o, err);
	}
	o->exec_index = optind;
	/* Without --root the first operand is the image, as in `docker run`. */
	if (!o->has_root && o->exec_index < argc) {
		o->image = argv[o->exec_index++];
		mvm_builder_image(b, NULL, o->image, err);
	}
}
