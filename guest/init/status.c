/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/status.h"

#include "guest/protocol.h"

#include <errno.h>
#include <sys/wait.h>

int init_status_from_wait(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return (128 + WTERMSIG(wstatus)) & 0xff;
	/* Stopped/continued never reach here (no WUNTRACED); treat as set-up failure. */
	return MVM_EXIT_SETUP_FAILED;
}

int init_status_for_exec_errno(int err)
{
	/* As POSIX shells do: only "no such file" means not found. */
	return err == ENOENT ? MVM_EXIT_NOT_FOUND : MVM_EXIT_CANNOT_EXECUTE;
}
