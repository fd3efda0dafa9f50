/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/run.h"
#include "guest/init/user.h"

#include "guest/init/env.h"
#include "guest/init/msg.h"
#include "guest/init/status.h"
#include "guest/protocol.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child sends back through the CLOEXEC pipe when it fails. */
enum child_stage { STAGE_STDIO = 1, STAGE_RLIMIT, STAGE_WORKDIR, STAGE_EXEC, STAGE_USER };

struct child_failure {
	int stage;
	int err;
	int index; /* rlimit index for STAGE_RLIMIT */
};

static const char *exec_path(const struct init_config *cfg)
{
	return cfg->exec_path ? cfg->exec_path : INIT_DEFAULT_SHELL;
}

static __attribute__((noreturn)) void child_fail(int pipe_fd, int stage, int index)
{
	struct child_failure f = {.stage = stage, .err = errno, .index = index};
	ssize_t unused = write(pipe_fd, &f, sizeof(f));
	(void)unused;
	_exit(MVM_EXIT_SETUP_FAILED);
}

/* Lifts the stdio fds above 2 first, so that dup2 onto 0..2 cannot
 * overwrite one that is still needed (init's own fd 2 is hvc1). */
static int child_stdio(const struct init_stdio *io)
{
	int fds[3] = {io->in, io->out, io->err};
	int high[3];
	for (int i = 0; i < 3; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(high[i], i) < 0)
			return -1;
	return 0;
}

/* execve(), or for a bare name each directory of the program's PATH in
 * turn, as execvpe() does with the caller's environ (not the program's).
 * Returns with errno: EACCES if some candidate was not executable, else
 * the last error. */
static void exec_program(char *const argv[], char *const envp[])
{
	const char *name = argv[0];
	if (strchr(name, '/')) {
		execve(name, argv, envp);
		return;
	}
	const char *path = INIT_DEFAULT_PATH + strlen("PATH=");
	for (char *const *e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	bool denied = false;
	int last = ENOENT;
	size_t nlen = strlen(name);
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		char full[PATH_MAX];
		/* An empty entry is the current directory, as in execvp(). */
		if (dlen + 1 + nlen < sizeof(full)) {
			memcpy(full, dlen ? p : ".", dlen ? dlen : 1);
			size_t at = dlen ? dlen : 1;
			full[at] = '/';
			memcpy(full + at + 1, name, nlen + 1);
			execve(full, argv, envp);
			if (errno == EACCES)
				denied = true;
			else if (errno != ENOENT && errno != ENOTDIR)
				last = errno;
		}
		if (*end == '\0')
			break;
		p = end;
	}
	errno = denied ? EACCES : last;
}

static __attribute__((noreturn)) void child_main(const struct init_config *cfg, char *const argv[],
						 char *const envp[], const struct init_stdio *io,
						 const sigset_t *child_mask, int pipe_fd)
{
	/* Every signal at its default, whatever init inherited or set: the
	 * program must be interruptible even where init's own starter
	 * ignored SIGINT (a background job of a script, `nohup`). */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, child_mask, NULL);
	/* Its own session and process group, so that forwarded signals reach
	 * the program and everything it spawned, and the console is its
	 * controlling tty (job control in shells, /dev/tty). */
	setsid();
	if (isatty(io->in))
		ioctl(io->in, TIOCSCTTY, 0); /* best effort: a pipe in tests */
	if (child_stdio(io) < 0)
		child_fail(pipe_fd, STAGE_STDIO, 0);
	for (size_t i = 0; i < cfg->n_rlimits; i++) {
		struct rlimit rl = {.rlim_cur = cfg->rlimits[i].soft, .rlim_max = cfg->rlimits[i].hard};
		if (setrlimit((int)cfg->rlimits[i].resource, &rl) < 0)
			child_fail(pipe_fd, STAGE_RLIMIT, (int)i);
	}
	/* After the rlimits (raising a hard limit needs root), before the
	 * workdir (entered with the user's rights, as docker does). */
	if ((cfg->has_user || cfg->n_groups) &&
	    setgroups(cfg->n_groups, (const gid_t *)cfg->groups) < 0)
		child_fail(pipe_fd, STAGE_USER, 0);
	if (cfg->has_user && (setgid((gid_t)cfg->gid) < 0 || setuid((uid_t)cfg->uid) < 0))
		child_fail(pipe_fd, STAGE_USER, 0);
	if (chdir(cfg->workdir ? cfg->workdir : "/") < 0)
		child_fail(pipe_fd, STAGE_WORKDIR, 0);
	exec_program(argv, envp);
	child_fail(pipe_fd, STAGE_EXEC, 0);
}

/* Says why into msg; returns the status. */
static int report_failure(const struct init_config *cfg, const struct child_failure *f, char *msg,
			  size_t len)
{
	const char *why = strerror(f->err);
	switch (f->stage) {
	case STAGE_EXEC:
		snprintf(msg, len, "%s: %s", exec_path(cfg), why);
		return init_status_for_exec_errno(f->err);
	case STAGE_USER:
		snprintf(msg, len, "user %u:%u: %s", cfg->uid, cfg->gid, why);
		break;
	case STAGE_WORKDIR:
		snprintf(msg, len, "workdir %s: %s", cfg->workdir ? cfg->workdir : "/", why);
		break;
	case STAGE_RLIMIT:
		if (f->index >= 0 && (size_t)f->index < cfg->n_rlimits) {
			const struct init_rlimit *r = &cfg->rlimits[f->index];
			snprintf(msg, len, "setrlimit resource %u soft %llu hard %llu: %s", r->resource,
				 (unsigned long long)r->soft, (unsigned long long)r->hard, why);
		} else {
			snprintf(msg, len, "setrlimit: %s", why);
		}
		break;
	default:
		snprintf(msg, len, "program stdio: %s", why);
		break;
	}
	return MVM_EXIT_SETUP_FAILED;
}

static char **build_argv(const struct init_config *cfg)
{
	char **argv = calloc(cfg->n_args + 2, sizeof(*argv));
	if (!argv)
		return NULL;
	argv[0] = (char *)exec_path(cfg);
	for (size_t i = 0; i < cfg->n_args; i++)
		argv[i + 1] = cfg->args[i];
	return argv;
}

pid_t init_run_start(const struct init_config *cfg, char *const envp[], const struct init_stdio *io,
		     const sigset_t *child_mask, int *status)
{
	char why[256];
	pid_t pid = init_run_spawn(cfg, envp, io, child_mask, status, why, sizeof(why));
	if (pid < 0)
		init_err("%s", why);
	return pid;
}

pid_t init_run_spawn(const struct init_config *given, char *const envp[], const struct init_stdio *io,
		     const sigset_t *child_mask, int *status, char *why, size_t why_len)
{
	*status = MVM_EXIT_SETUP_FAILED;
	/* A user by name: resolved now, in the guest's files as they are. */
	struct init_config resolved = *given;
	const struct init_config *cfg = &resolved;
	if (given->user_name) {
		if (init_user_resolve(given->user_name, INIT_PASSWD_FILE, INIT_GROUP_FILE,
				      &resolved.uid, &resolved.gid, why, why_len) < 0)
			return -1;
		resolved.has_user = true;
	}
	char **argv = build_argv(cfg);
	if (!argv) {
		snprintf(why, why_len, "program arguments: %s", strerror(ENOMEM));
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		free(argv);
		return -1;
	}
	init_debug("exec %s with %zu args, %zu rlimits, workdir %s", argv[0], cfg->n_args, cfg->n_rlimits,
		   cfg->workdir ? cfg->workdir : "/");
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_main(cfg, argv, envp, io, child_mask, p[1]);
	}
	int fork_errno = errno;
	close(p[1]);
	free(argv);
	if (pid < 0) {
		close(p[0]);
		snprintf(why, why_len, "fork: %s", strerror(fork_errno));
		return -1;
	}

	struct child_failure f;
	ssize_t n;
	do
		n = read(p[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == 0)
		return pid; /* the pipe closed on a successful execve() */
	if (n != (ssize_t)sizeof(f)) {
		f.stage = STAGE_STDIO;
		f.err = n < 0 ? errno : EPIPE;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	*status = report_failure(cfg, &f, why, why_len);
	return -1;
}
