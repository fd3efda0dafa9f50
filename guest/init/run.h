/* SPDX-License-Identifier: Apache-2.0 */
/* Starting the program as init's child. */
#ifndef MVM_INIT_RUN_H
#define MVM_INIT_RUN_H

#include "guest/init/config_reader.h"

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define INIT_DEFAULT_SHELL "/bin/sh"

struct init_stdio {
	int in;  /* /dev/hvc0 in the guest */
	int out; /* /dev/hvc0 */
	int err; /* /dev/hvc1 */
};

/* Where a user name is looked up (MVM_CFG_USER_NAME). */
#define INIT_PASSWD_FILE "/etc/passwd"
#define INIT_GROUP_FILE "/etc/group"

/* Forks the program: it becomes a session leader (its pid is its process
 * group), takes io->in as controlling tty when it is one, gets the stdio
 * fds, cfg's rlimits, user (cfg->user_name resolved in INIT_PASSWD_FILE
 * and INIT_GROUP_FILE first) and workdir (default "/"), and execs cfg->exec_path
 * (default INIT_DEFAULT_SHELL) with argv[0] = that path, cfg->args and
 * envp. `child_mask` is the signal mask the program starts with.
 *
 * Returns the pid once execve() has succeeded (a CLOEXEC pipe tells).
 * Otherwise prints the reason on fd 2, reaps the child and returns -1
 * with *status = 125 (user, rlimit, workdir or fork failure), 126 or 127. */
pid_t init_run_start(const struct init_config *cfg, char *const envp[], const struct init_stdio *io,
		     const sigset_t *child_mask, int *status);
/* The same, but the reason of a failure goes into why (why_len bytes)
 * instead of fd 2: for the agent, whose client wants it. */
pid_t init_run_spawn(const struct init_config *cfg, char *const envp[], const struct init_stdio *io,
		     const sigset_t *child_mask, int *status, char *why, size_t why_len);

#endif
