/* SPDX-License-Identifier: Apache-2.0 */
/* The jail (src/jail/): a sandboxed thread sees an empty read-only root
 * with /proc, reaches files only through fds opened before, and keeps only
 * its kind's capabilities; the application's thread keeps its view and
 * its privileges. Root is needed to make a mount namespace, so the checks
 * run as root of a user namespace (with a pid namespace of its own, in
 * which proc may be mounted), in a forked child: the test runs as any
 * user. */
#include "test_util.h"

#include "jail/sandbox.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <sys/wait.h>

static jail_caps effective_caps(void)
{
	jail_caps eff;
	return jail_thread_caps(&eff, NULL) == 0 ? eff : ~(jail_caps)0;
}

static char outside[64]; /* a file of the host's tree, by absolute path */
static char resolv[8192]; /* the host's /etc/resolv.conf, "" if none */
static int dir_fd = -1;	 /* its directory, opened before the jail */

struct probe_result {
	int failed_check; /* 0: all passed */
	jail_caps caps;
};

/* Runs in the jailed thread: the number of the first check that failed. */
static void *jailed(void *arg)
{
	struct probe_result *r = arg;
	r->caps = effective_caps();
	int fd = open(outside, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return r->failed_check = 1, NULL;
	if (open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0 || errno != ENOENT)
		return r->failed_check = 2, NULL;
	fd = openat(dir_fd, strrchr(outside, '/') + 1, O_RDONLY | O_CLOEXEC);
	char c;
	if (fd < 0 || read(fd, &c, 1) != 1 || c != 'x')
		return r->failed_check = 3, NULL;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return r->failed_check = 4, NULL; /* the xattr calls' path works */
	close(fd);
	if (mkdir("/new", 0700) == 0 || errno != EROFS)
		return r->failed_check = 5, NULL;
	DIR *d = opendir("/");
	int entries = 0;
	for (struct dirent *e; d && (e = readdir(d)) != NULL;)
		entries += e->d_name[0] != '.';
	if (d)
		closedir(d);
	/* proc, and etc/resolv.conf for libslirp (src/jail/jail.c) */
	if (entries != 1 + (resolv[0] != '\0'))
		return r->failed_check = 6, NULL;
	if (resolv[0] != '\0') {
		char copy[sizeof(resolv)] = "";
		fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, copy, sizeof(copy) - 1) < 0 || strcmp(copy, resolv) != 0)
			return r->failed_check = 7, NULL;
		close(fd);
		if (open("/etc/resolv.conf", O_WRONLY | O_CLOEXEC) >= 0 ||
		    (errno != EROFS && errno != EACCES))
			return r->failed_check = 8, NULL;
	}
	return NULL;
}

static int run_jailed(const struct sandbox *sb, enum sandbox_kind kind, struct probe_result *r)
{
	pthread_t t;
	mvm_error *err = NULL;
	*r = (struct probe_result){0};
	if (sandbox_thread_create(sb, kind, "probe", &t, jailed, r, &err) < 0) {
		fprintf(stderr, "sandbox_thread_create: %s\n", mvm_error_get_message(err));
		mvm_error_free(err);
		return -1;
	}
	pthread_join(t, NULL);
	return 0;
}

/* pid 1 of the new pid namespace: the exit status is the first failed
 * check (0: all passed). */
static int in_namespaces(void)
{
	snprintf(outside, sizeof(outside), "/tmp/mvm-jail-test.%d", (int)getppid());
	int fd = open(outside, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1)
		return 20;
	close(fd);
	dir_fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, resolv, sizeof(resolv) - 1) < 0)
		return 19;
	if (fd >= 0)
		close(fd);
	if (!jail_may_build())
		return 21;
	mvm_error *err = NULL;
	struct jail *j = jail_new(&err);
	if (j == NULL) {
		fprintf(stderr, "jail_new: %s\n", mvm_error_get_message(err));
		return 22;
	}
	struct sandbox sb = {.jail = j, .drop_caps = true};
	sb.keep[SANDBOX_FS] = jail_fs_passthrough_caps();
	struct probe_result r;
	if (run_jailed(&sb, SANDBOX_FS, &r) < 0)
		return 23;
	if (r.failed_check)
		return 30 + r.failed_check;
	if (r.caps != jail_fs_passthrough_caps()) {
		fprintf(stderr, "fs worker caps %#llx\n", (unsigned long long)r.caps);
		return 24;
	}
	if (run_jailed(&sb, SANDBOX_VCPU, &r) < 0)
		return 25;
	if (r.failed_check)
		return 40 + r.failed_check;
	if (r.caps != 0)
		return 26;
	/* The application's thread: the host's tree, every capability. */
	if (access(outside, R_OK) < 0 || access("/etc/passwd", R_OK) < 0)
		return 27;
	if (!((effective_caps() >> CAP_SYS_ADMIN) & 1))
		return 28;
	/* Without a namespace, capabilities still go. */
	struct sandbox caps_only = {.drop_caps = true};
	if (run_jailed(&caps_only, SANDBOX_NET, &r) < 0 || r.failed_check != 1 || r.caps != 0)
		return 29;
	jail_free(j);
	unlink(outside);
	return 0;
}

static void confine_in(int ns_flags)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (userns_enter(ns_flags) < 0)
			_exit(10);
		pid_t inner = fork();
		if (inner == 0)
			_exit(in_namespaces());
		int st;
		if (inner < 0 || waitpid(inner, &st, 0) != inner)
			_exit(13);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 14);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("check %d failed (tests/unit/test_jail.c)", WEXITSTATUS(st));
}

static void jail_confines_threads(void **state)
{
	confine_in(CLONE_NEWNS | CLONE_NEWPID);
}

/* Root of a user namespace that shares the host's pid namespace may not
 * mount a fresh procfs (an mvm run inside `unshare -r`): the jail then
 * holds a clone of the host's /proc instead, and confines all the same. */
static void jail_without_own_pid_namespace(void **state)
{
	confine_in(CLONE_NEWNS);
}

/* An ordinary process may not build one: the VMM then runs its threads
 * with dropped capabilities only, and says so at debug level. */
static void no_jail_without_cap_sys_admin(void **state)
{
	if (geteuid() == 0)
		return; /* root: covered above, as root of the namespace */
	assert_false(jail_may_build());
	mvm_error *err = NULL;
	assert_null(jail_new(&err));
	assert_non_null(err);
	assert_non_null(strstr(mvm_error_get_message(err), "--no-jail"));
	mvm_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(jail_confines_threads),
	    cmocka_unit_test(jail_without_own_pid_namespace),
	    cmocka_unit_test(no_jail_without_cap_sys_admin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
