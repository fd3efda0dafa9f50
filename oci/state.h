/* SPDX-License-Identifier: Apache-2.0 */
/* A container's state directory (docs/oci.md, "State"):
 *   ROOT/ID/state.json  what `state` prints, and the pid's start time
 *   ROOT/ID/start       a FIFO the VM's process waits on until `start`
 *   ROOT/ID/started     exists once `start` has run
 *   ROOT/ID/ctl.sock    the VM's process's control socket
 *   ROOT/ID/v           its vsock socket, for exec
 *   ROOT/ID/status      the exit status, written by that process */
#ifndef MVM_OCI_STATE_H
#define MVM_OCI_STATE_H

#include "mvm.h"

#include <limits.h>
#include <stdbool.h>

#define OCI_ID_MAX 128
/* The VM's vsock socket in the state directory; one letter, because a
 * containerd state path of a 64-letter id already takes 93 of the 96
 * bytes a vsock path may have (VSOCK_PATH_MAX). */
#define OCI_VSOCK_FILE "v"

struct oci_state {
	char id[OCI_ID_MAX + 1];
	char dir[PATH_MAX];
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created[40];	       /* RFC 3339, UTC */
	long pid;		       /* the VM's process */
	unsigned long long start_time; /* its /proc start time: a reused pid is not it */
	char *annotations;	       /* a JSON object, or NULL */
};

/* --root, else $XDG_RUNTIME_DIR/mvm-runtime when not root, else
 * /run/mvm-runtime. */
int oci_root_dir(const char *flag, char *buf, size_t len, mvm_error **err);
/* Letters, digits, `_`, `+`, `-` and `.` (runc's rule), 1 to OCI_ID_MAX. */
bool oci_valid_id(const char *id);
/* dir of ID under root; fails when it does not exist ("does not exist",
 * which clients look for). */
int oci_state_find(const char *root, const char *id, struct oci_state *s, mvm_error **err);
int oci_state_save(const struct oci_state *s, mvm_error **err);
void oci_state_clear(struct oci_state *s);
/* "created", "running" or "stopped". */
const char *oci_status(const struct oci_state *s);
/* /proc/PID/stat's start time, 0 when there is no such live process
 * (a zombie counts as gone). */
unsigned long long oci_pid_start_time(long pid);
/* --pid-file: the pid's digits alone, no newline (go-runc parses it with
 * Atoi), through a temporary file and rename(). */
int oci_write_pid_file(const char *path, long pid, mvm_error **err);
/* path of FILE in the state's directory. */
void oci_state_path(const struct oci_state *s, const char *file, char *buf, size_t len);

#endif
