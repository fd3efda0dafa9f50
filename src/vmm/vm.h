/* SPDX-License-Identifier: Apache-2.0 */
/* The VM object behind the public mvm_vm. For now it holds only the
 * validated configuration; the VMM adds its state (KVM fds, guest memory,
 * vCPUs, devices) here. */
#ifndef MVM_VMM_VM_H
#define MVM_VMM_VM_H

#include "config/config.h"

struct mvm_vm {
	struct mvm_config cfg; /* validated by build(); read-only afterwards */
};

/* Takes ownership of *cfg (which must have passed config_validate()) and
 * leaves it empty. Returns NULL with err on failure; *cfg is then cleared. */
struct mvm_vm *vm_create(struct mvm_config *cfg, mvm_error **err);

#endif
