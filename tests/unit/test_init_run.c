/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init's program start and PID 1 loop (guest/init/run.c,
 * supervise.c), run on the host with real child processes. The test
 * process makes itself a child subreaper so that orphans come back to it
 * as they would to PID 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest/init/config_reader.h"
#include "guest/init/env.h"
#include "guest/init/run.h"
#include "guest/init/supervise.h"
#include "guest/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	sigset_t blocked, old_mask;
	int sigfd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	init_supervise_sigset(&f->blocked);
	sigprocmask(SIG_BLOCK, &f->blocked, &f->old_mask);
	f->sigfd = signalfd(-1, &f->blocked, SFD_CLOEXEC | SFD_NONBLOCK);
	alarm(30); /* a forwarding bug would otherwise hang on `sleep` */
	*state = f;
	return f->sigfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	alarm(0);
	/* Consume what is still queued so unblocking cannot kill us. */
	struct signalfd_siginfo si;
	while (read(f->sigfd, &si, sizeof(si)) > 0)
		;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	close(f->sigfd);
	sigprocmask(SIG_SETMASK, &f->old_mask, NULL);
	free(f);
	return 0;
}

struct result {
	int status;
	pid_t pid;
	char out[8192];
	char err[4096]; /* program stderr and init's messages */
};

static void read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;
	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
}

/* Runs cfg as mvm-init would; `during` runs once the program started. */
static void run(struct fixture *f, const struct init_config *cfg, int ctrl_fd, void (*during)(pid_t),
		struct result *r)
{
	int out[2], err[2];
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(null >= 0);
	char **envp = init_env_build(cfg->env, cfg->n_env);
	assert_non_null(envp);

	/* init's own messages go to fd 2: catch them in the same pipe. */
	int saved_stderr = dup(2);
	dup2(err[1], 2);
	struct init_stdio io = {.in = null, .out = out[1], .err = err[1]};
	r->pid = init_run_start(cfg, envp, &io, &f->old_mask, &r->status);
	if (r->pid > 0) {
		if (during)
			during(r->pid);
		r->status = init_supervise(r->pid, f->sigfd, ctrl_fd, NULL, NULL, NULL, NULL);
	}
	dup2(saved_stderr, 2);
	close(saved_stderr);
	close(out[1]);
	close(err[1]);
	close(null);
	free(envp);
	read_all(out[0], r->out, sizeof(r->out));
	read_all(err[0], r->err, sizeof(r->err));
}

static struct init_config sh(char **args, size_t n)
{
	struct init_config c = {0};
	c.exec_path = "/bin/sh";
	c.args = args;
	c.n_args = n;
	static char *no_env[] = {NULL};
	c.env = no_env;
	return c;
}

static void test_exit_code(void **state)
{
	char *args[] = {"-c", "exit 42", NULL};
	struct init_config c = sh(args, 2);
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 42);
}

static void test_default_shell(void **state)
{
	char *args[] = {"-c", "echo \"$0\"; exit 7", NULL};
	struct init_config c = sh(args, 2);
	c.exec_path = NULL;
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 7);
	assert_string_equal(r.out, "/bin/sh\n"); /* argv[0] is the exec path */
}

static void test_args_and_env_exact(void **state)
{
	char *args[] = {"-c", "printf '%s|' \"$@\"; printf '\\n'; env | sort", "argv0",
			"a b", "", "q\"'", "k=v", "\xc3\xa9\xe2\x9c\x93", "l1\nl2", NULL};
	struct init_config c = sh(args, 9);
	char *env[] = {"A=1", "B=x=y", "C=", NULL};
	c.env = env;
	c.n_env = 3;
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 0);
	/* The shell adds PWD (and busybox/dash may add SHLVL, _): filter on our keys. */
	const char *want_args = "a b||q\"'|k=v|\xc3\xa9\xe2\x9c\x93|l1\nl2|\n";
	assert_memory_equal(r.out, want_args, strlen(want_args));
	const char *envs = r.out + strlen(want_args);
	assert_non_null(strstr(envs, "A=1\n"));
	assert_non_null(strstr(envs, "B=x=y\n"));
	assert_non_null(strstr(envs, "C=\n"));
	assert_non_null(strstr(envs, INIT_DEFAULT_HOME "\n"));
	assert_non_null(strstr(envs, INIT_DEFAULT_PATH "\n"));
	/* Nothing of the test process's own environment leaks in. */
	assert_null(strstr(envs, "ASAN_OPTIONS"));
	assert_null(strstr(envs, "USER="));
	assert_null(strstr(envs, "TERM="));
}

static void test_exec_not_found(void **state)
{
	struct init_config c = sh(NULL, 0);
	c.exec_path = "/nonexistent/prog";
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.pid, -1);
	assert_int_equal(r.status, 127);
	assert_string_equal(r.err, "mvm-init: /nonexistent/prog: No such file or directory\n");
}

static void test_exec_not_executable(void **state)
{
	char path[] = "/tmp/mvm-noexec-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	close(fd);
	chmod(path, 0644);
	struct init_config c = sh(NULL, 0);
	c.exec_path = path;
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 126);
	char want[128];
	snprintf(want, sizeof(want), "mvm-init: %s: Permission denied\n", path);
	assert_string_equal(r.err, want);

	/* A file that is executable but no valid program: ENOEXEC -> 126. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\x7f" "ELF\x01\x02garbage", 13), 13);
	close(fd);
	chmod(path, 0755);
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 126);
	assert_non_null(strstr(r.err, "Exec format error"));
	unlink(path);

	c.exec_path = "/tmp"; /* a directory */
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 126);
}

/* A bare name is looked up in the program's PATH, in order, skipping
 * what is not executable, as in execvp(). */
static void test_exec_path_search(void **state)
{
	char d1[] = "/tmp/mvm-path1-XXXXXX", d2[] = "/tmp/mvm-path2-XXXXXX";
	assert_non_null(mkdtemp(d1));
	assert_non_null(mkdtemp(d2));
	char p1[64], p2[64];
	snprintf(p1, sizeof(p1), "%s/prog", d1);
	snprintf(p2, sizeof(p2), "%s/prog", d2);
	int fd = open(p1, O_WRONLY | O_CREAT, 0644); /* first, but not executable */
	assert_int_equal(write(fd, "#!/bin/sh\nexit 1\n", 18), 18);
	close(fd);
	fd = open(p2, O_WRONLY | O_CREAT, 0755);
	assert_int_equal(write(fd, "#!/bin/sh\necho \"$0\"; exit 9\n", 29), 29);
	close(fd);
	char path_env[160];
	snprintf(path_env, sizeof(path_env), "PATH=/nonexistent:%s:%s", d1, d2);
	char *env[] = {path_env, NULL};
	struct init_config c = sh(NULL, 0);
	c.exec_path = "prog";
	c.env = env;
	c.n_env = 1;
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 9);
	assert_non_null(strstr(r.out, p2)); /* a script's $0 is the file the kernel ran */

	/* Only the non-executable one left: 126, as execvp() reports. */
	unlink(p2);
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 126);
	assert_non_null(strstr(r.err, "prog: Permission denied"));
	/* None at all: 127. */
	unlink(p1);
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 127);
	assert_string_equal(r.err, "mvm-init: prog: No such file or directory\n");
	/* Without PATH in the env, the default one: sh is found there. */
	char *args[] = {"-c", "exit 3", NULL};
	c = sh(args, 2);
	c.exec_path = "sh";
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 3);
	rmdir(d1);
	rmdir(d2);
}

static void test_workdir(void **state)
{
	char dir[] = "/tmp/mvm-workdir-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *args[] = {"-c", "pwd", NULL};
	struct init_config c = sh(args, 2);
	c.workdir = dir;
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 0);
	char want[128];
	snprintf(want, sizeof(want), "%s\n", dir);
	assert_string_equal(r.out, want);
	rmdir(dir);

	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 125);
	snprintf(want, sizeof(want), "mvm-init: workdir %s: No such file or directory\n", dir);
	assert_string_equal(r.err, want);

	c.workdir = NULL; /* default "/" */
	run(*state, &c, -1, NULL, &r);
	assert_string_equal(r.out, "/\n");
}

static void test_rlimits(void **state)
{
	char *args[] = {"-c", "ulimit -n; ulimit -Hn; ulimit -c", NULL};
	struct init_config c = sh(args, 2);
	struct init_rlimit rl[] = {{RLIMIT_NOFILE, 123, 456}, {RLIMIT_CORE, 0, 0}};
	c.rlimits = rl;
	c.n_rlimits = 2;
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "123\n456\n0\n");

	/* Above fs.nr_open (and, unprivileged, above the hard limit). */
	struct init_rlimit too_big = {RLIMIT_NOFILE, 1ull << 40, 1ull << 40};
	c.rlimits = &too_big;
	c.n_rlimits = 1;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 125);
	assert_non_null(strstr(r.err, "mvm-init: setrlimit resource 7 soft 1099511627776"));
}

static void test_killed_by_signal(void **state)
{
	char *args[] = {"-c", "kill -9 $$", NULL};
	struct init_config c = sh(args, 2);
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 137);
}

static int ctrl_pipe[2];
static void send_ctrl(pid_t pid)
{
	usleep(50 * 1000);
	assert_int_equal(write(ctrl_pipe[1], "x?", 2), 2); /* unknown: ignored */
	usleep(50 * 1000);
	assert_true(kill(pid, 0) == 0); /* still running */
}

static const char *pending_cmd;
static void send_cmd(pid_t pid)
{
	send_ctrl(pid);
	assert_int_equal(write(ctrl_pipe[1], pending_cmd, 1), 1);
}

static void run_control(void **state, const char *cmd, int want)
{
	char *args[] = {"-c", "sleep 20; exit 3", NULL};
	struct init_config c = sh(args, 2);
	assert_int_equal(pipe2(ctrl_pipe, O_CLOEXEC | O_NONBLOCK), 0);
	pending_cmd = cmd;
	struct result r;
	time_t t0 = time(NULL);
	run(*state, &c, ctrl_pipe[0], send_cmd, &r);
	close(ctrl_pipe[0]);
	close(ctrl_pipe[1]);
	assert_int_equal(r.status, want);
	assert_true(time(NULL) - t0 < 10); /* the signal ended it, not sleep */
}

static void test_control_kill(void **state)
{
	run_control(state, "K", 137);
}

static void test_control_term(void **state)
{
	run_control(state, "T", 143);
}

static void test_control_int(void **state)
{
	run_control(state, "I", 130);
}

/* A stop is SIGTERM to the program's group (and, as PID 1 only, to every
 * process). Without an agent nothing else is waited for. */
static void test_control_stop(void **state)
{
	run_control(state, "S", 143);
}

/* Held (MVM_CFG_HOLD, program 0): GO releases, and what follows it stays
 * unread for the program's loop; a signal or a stop first ends it with
 * 128+signal; other bytes change nothing. */
static void test_held(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *bytes;
		int status;
		const char *left;
	} cases[] = {{"xGT", INIT_RELEASED, "T"}, {"G", INIT_RELEASED, ""}, {"T", 143, ""},
		     {"K", 137, ""},		   {"S", 143, ""},	    {"I", 130, ""}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int p[2];
		assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
		assert_int_equal(write(p[1], cases[i].bytes, strlen(cases[i].bytes)),
				 (ssize_t)strlen(cases[i].bytes));
		assert_int_equal(init_supervise(0, f->sigfd, p[0], NULL, NULL, NULL, NULL),
				 cases[i].status);
		char rest[8] = "";
		ssize_t n = read(p[0], rest, sizeof(rest) - 1);
		rest[n > 0 ? n : 0] = '\0';
		assert_string_equal(rest, cases[i].left);
		close(p[0]);
		close(p[1]);
	}
}

/* A closed control channel is retired, not polled in a loop. */
static void test_control_eof(void **state)
{
	char *args[] = {"-c", "sleep 0.3; exit 5", NULL};
	struct init_config c = sh(args, 2);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	close(p[1]);
	struct result r;
	clock_t cpu0 = clock();
	run(*state, &c, p[0], NULL, &r);
	close(p[0]);
	assert_int_equal(r.status, 5);
	/* Busy-polling an EOF for 0.3 s would burn about 0.3 s of CPU. */
	assert_true((double)(clock() - cpu0) / CLOCKS_PER_SEC < 0.15);
}

static void send_sigterm_to_init(pid_t pid)
{
	usleep(100 * 1000);
	kill(getpid(), SIGTERM); /* blocked: lands in the signalfd */
}

static void test_init_forwards_sigterm(void **state)
{
	char *args[] = {"-c", "sleep 20", NULL};
	struct init_config c = sh(args, 2);
	struct result r;
	run(*state, &c, -1, send_sigterm_to_init, &r);
	assert_int_equal(r.status, 143);
}

static void wait_a_bit(pid_t pid)
{
	usleep(100 * 1000);
}

/* The program is gone before supervise() starts: its SIGCHLD was queued. */
static void test_early_exit(void **state)
{
	char *args[] = {"-c", "exit 9", NULL};
	struct init_config c = sh(args, 2);
	struct result r;
	run(*state, &c, -1, wait_a_bit, &r);
	assert_int_equal(r.status, 9);
}

/* An orphan re-parented to init is reaped, no zombie is left. */
static void test_reaps_orphans(void **state)
{
	char *args[] = {"-c", "( /bin/sh -c 'exit 0' & ) ; sleep 0.3; exit 4", NULL};
	struct init_config c = sh(args, 2);
	struct result r;
	run(*state, &c, -1, NULL, &r);
	assert_int_equal(r.status, 4);
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

int main(void)
{
	/* Orphans come to us, as to PID 1 in the guest. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_args_and_env_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_not_executable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_path_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workdir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rlimits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_term, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_int, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_forwards_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reaps_orphans, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
