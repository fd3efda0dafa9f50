/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init's pure helpers, on the host: exit status mapping, environment,
 * control bytes, mkdir -p, raw console. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest/init/console.h"
#include "guest/init/env.h"
#include "guest/init/mounts.h"
#include "guest/init/status.h"
#include "guest/init/supervise.h"
#include "guest/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Real wait statuses from real children, not hand-encoded ones. */
static int wait_status_of(void (*body)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		body();
		_exit(99);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	return ws;
}

static void exit_0(void)
{
	_exit(0);
}
static void exit_42(void)
{
	_exit(42);
}
static void exit_255(void)
{
	_exit(255);
}
static void die_kill(void)
{
	raise(SIGKILL);
}
static void die_term(void)
{
	signal(SIGTERM, SIG_DFL);
	raise(SIGTERM);
}

static void test_status_from_wait(void **state)
{
	assert_int_equal(init_status_from_wait(wait_status_of(exit_0)), 0);
	assert_int_equal(init_status_from_wait(wait_status_of(exit_42)), 42);
	assert_int_equal(init_status_from_wait(wait_status_of(exit_255)), 255);
	assert_int_equal(init_status_from_wait(wait_status_of(die_kill)), 137);
	assert_int_equal(init_status_from_wait(wait_status_of(die_term)), 143);
}

static void test_status_for_exec_errno(void **state)
{
	assert_int_equal(init_status_for_exec_errno(ENOENT), MVM_EXIT_NOT_FOUND);
	assert_int_equal(init_status_for_exec_errno(EACCES), MVM_EXIT_CANNOT_EXECUTE);
	assert_int_equal(init_status_for_exec_errno(ENOEXEC), MVM_EXIT_CANNOT_EXECUTE);
	assert_int_equal(init_status_for_exec_errno(ENOTDIR), MVM_EXIT_CANNOT_EXECUTE);
	assert_int_equal(init_status_for_exec_errno(E2BIG), MVM_EXIT_CANNOT_EXECUTE);
}

static void test_control_bytes(void **state)
{
	assert_int_equal(init_control_signal(MVM_CTRL_SIGINT), SIGINT);
	assert_int_equal(init_control_signal(MVM_CTRL_SIGTERM), SIGTERM);
	assert_int_equal(init_control_signal(MVM_CTRL_SIGKILL), SIGKILL);
	assert_int_equal(init_control_signal(MVM_CTRL_STOP), 0); /* not one signal */
	assert_int_equal(init_control_signal('i'), 0);
	assert_int_equal(init_control_signal(0), 0);
	assert_int_equal(init_control_signal(0xff), 0);
	assert_int_equal(init_control_signal('\n'), 0);
}

static size_t count(char **envp)
{
	size_t n = 0;
	while (envp[n])
		n++;
	return n;
}

static void test_env_defaults(void **state)
{
	char **e = init_env_build(NULL, 0);
	assert_non_null(e);
	assert_int_equal(count(e), 2);
	assert_string_equal(e[0], INIT_DEFAULT_PATH);
	assert_string_equal(e[1], INIT_DEFAULT_HOME);
	free(e);

	char *user[] = {"PATH=/opt/bin", "A=1", "HOMEDIR=/x"};
	e = init_env_build(user, 3);
	assert_int_equal(count(e), 4);
	assert_ptr_equal(e[0], user[0]);
	assert_ptr_equal(e[1], user[1]);
	assert_ptr_equal(e[2], user[2]);
	/* HOMEDIR is not HOME: the default is still added. */
	assert_string_equal(e[3], INIT_DEFAULT_HOME);
	free(e);

	char *both[] = {"HOME=/home/u", "PATH="};
	e = init_env_build(both, 2);
	assert_int_equal(count(e), 2);
	assert_string_equal(e[0], "HOME=/home/u");
	assert_string_equal(e[1], "PATH=");
	free(e);
}

static void test_mkdir_p(void **state)
{
	char base[] = "/tmp/mvm-mkdirp-XXXXXX";
	assert_non_null(mkdtemp(base));
	char path[128];
	snprintf(path, sizeof(path), "%s/a/b//c/", base);
	assert_int_equal(init_mkdir_p(path, 0755), 0);
	struct stat st;
	snprintf(path, sizeof(path), "%s/a/b/c", base);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(init_mkdir_p(path, 0755), 0); /* exists: fine */

	snprintf(path, sizeof(path), "%s/file", base);
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/file/sub", base);
	assert_int_equal(init_mkdir_p(path, 0755), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(init_mkdir_p("", 0755), -1);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

/* The bdi entry is found from the st_dev of the path: a directory laid
 * out as sysfs's /sys/class/bdi stands in for it. */
static void test_set_readahead(void **state)
{
	(void)state;
	char base[] = "/tmp/mvm-bdi-XXXXXX";
	assert_non_null(mkdtemp(base));
	struct stat st;
	assert_int_equal(stat(base, &st), 0);
	char dir[160], file[200], buf[32];
	snprintf(dir, sizeof(dir), "%s/%u:%u", base, major(st.st_dev), minor(st.st_dev));
	snprintf(file, sizeof(file), "%s/read_ahead_kb", dir);

	/* No entry for that device: an error, nothing created. */
	assert_int_equal(init_set_readahead(base, base, 1024), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(init_set_readahead(base, base, 1024), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(file, F_OK), -1);

	int fd = open(file, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "128\n", 4), 4);
	close(fd);
	assert_int_equal(init_set_readahead(base, base, 1024), 0);
	read_file(file, buf, sizeof(buf));
	assert_string_equal(buf, "1024\n");

	/* A path that does not exist names no device. */
	char missing[200];
	snprintf(missing, sizeof(missing), "%s/missing", base);
	assert_int_equal(init_set_readahead(base, missing, 1024), -1);
	assert_int_equal(errno, ENOENT);

	/* A symlink in place of the knob is not followed. */
	char target[200];
	snprintf(target, sizeof(target), "%s/elsewhere", base);
	fd = open(target, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(symlink(target, file), 0);
	assert_int_equal(init_set_readahead(base, base, 1024), -1);
	assert_int_equal(errno, ELOOP);
	read_file(target, buf, sizeof(buf));
	assert_string_equal(buf, "");

	/* An overlong bdi directory is refused, not truncated. */
	char longdir[PATH_MAX + 8];
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(init_set_readahead(longdir, base, 1024), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

static void test_console_raw(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(init_console_make_raw(slave), 0);
	struct termios t;
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_int_equal(t.c_lflag & (ISIG | ICANON | ECHO | IEXTEN), 0);
	assert_int_equal(t.c_oflag & OPOST, 0);
	assert_int_equal(t.c_iflag & (ICRNL | IXON | INLCR | IGNCR | ISTRIP), 0);
	assert_int_equal(t.c_cflag & CSIZE, CS8);

	/* Bytes pass unchanged in both directions: no ONLCR, no ICRNL, no echo. */
	const char in[] = "\x03\x04\r\n\x1a\x7f";
	assert_int_equal(write(master, in, 6), 6);
	char buf[16];
	size_t got = 0;
	while (got < 6) {
		ssize_t n = read(slave, buf + got, sizeof(buf) - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(got, 6);
	assert_memory_equal(buf, in, 6);
	assert_int_equal(write(slave, "a\nb", 3), 3);
	got = 0;
	while (got < 3) {
		ssize_t n = read(master, buf + got, sizeof(buf) - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(buf, "a\nb", 3);
	close(slave);
	close(master);

	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(init_console_make_raw(p[0]), -1);
	assert_int_equal(errno, ENOTTY);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_from_wait),
		cmocka_unit_test(test_status_for_exec_errno),
		cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_env_defaults),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_set_readahead),
		cmocka_unit_test(test_console_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
