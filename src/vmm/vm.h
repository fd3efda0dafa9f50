/* SPDX-License-Identifier: Apache-2.0 */
/* The VM object behind the public mvm_vm: the validated configuration and,
 * once started, the running VMM (vmm/vmm.h). */
#ifndef MVM_VMM_VM_H
#define MVM_VMM_VM_H

#include "config/config.h"

struct vmm;

enum vm_state { VM_STATE_BUILT = 0, VM_STATE_RUNNING, VM_STATE_ENDED };

struct mvm_vm {
	struct mvm_config cfg; /* validated by build(); read-only afterwards */
	enum vm_state state;
	struct vmm *vmm; /* NULL until started */
	int console_fd;	 /* the console output file, or -1 */
};

/* Takes ownership of *cfg (which must have passed config_validate()) and
 * leaves it empty. Returns NULL with err on failure; *cfg is then cleared. */
struct mvm_vm *vm_create(struct mvm_config *cfg, mvm_error **err);

/* Opens the console output file for appending: never through a symlink,
 * never as a controlling terminal, created 0666 less the umask, and only a
 * regular file, FIFO (with a reader) or character device. Returns the fd
 * or -1 with err. */
int vm_open_console_output(const char *path, mvm_error **err);

#endif
