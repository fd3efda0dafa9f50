/* SPDX-License-Identifier: Apache-2.0 */
/* Detached VMs' insides, for unit tests: the public calls are in mvm.h
 * ("Detached VMs"). */
#ifndef MVM_SANDBOX_DETACH_H
#define MVM_SANDBOX_DETACH_H

#include "mvm.h"
#include "vmm/vm.h"

#include <stddef.h>

/* The status a detached VM's process ends with when the VM could not run
 * (as mvm run's 125). */
#define MVM_DETACH_FAILED 125

/* The "ok key=value ...\n" reply to "stats\n"; 0 if it does not fit. */
size_t detach_format_stats(const mvm_vm_stats *s, char *buf, size_t len);
/* Parses such a reply (one NUL-terminated line); unknown keys are a newer
 * mvm's and skipped, anything malformed is an error. */
int detach_parse_stats(const char *line, mvm_vm_stats *out, mvm_error **err);

struct sockaddr_un;
/* path as a Unix socket address, or -1 with err naming it (empty, or
 * too long for sun_path). */
int detach_unix_address(const char *path, struct sockaddr_un *a, mvm_error **err);

#endif
