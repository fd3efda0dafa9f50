/* SPDX-License-Identifier: Apache-2.0 */
/* The exit status mvm-init reports, in the shell's conventions. */
#ifndef MVM_INIT_STATUS_H
#define MVM_INIT_STATUS_H

/* waitpid() status -> code, or 128+signal. Always 0..255. */
int init_status_from_wait(int wstatus);
/* errno of a failed execve() -> 127 (not found: ENOENT) or 126 (found
 * but cannot be executed: EACCES, ENOEXEC, ENOTDIR, ELOOP, ...). */
int init_status_for_exec_errno(int err);

#endif
