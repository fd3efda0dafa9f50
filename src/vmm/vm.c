/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/vm.h"

#include "util/error.h"
#include "vmm/vmm.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct mvm_vm *vm_create(struct mvm_config *cfg, mvm_error **err)
{
	struct mvm_vm *vm = calloc(1, sizeof(*vm));
	if (vm == NULL) {
		mvm_config_clear(cfg);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot allocate the VM");
		return NULL;
	}
	vm->cfg = *cfg;
	vm->console_fd = -1;
	mvm_config_init(cfg);
	return vm;
}

void mvm_vm_free(mvm_vm *vm)
{
	if (vm == NULL)
		return;
	/* Freeing a running VM stops it first: no thread outlives the object. */
	if (vm->state == VM_STATE_RUNNING)
		mvm_vm_kill(vm, NULL);
	vmm_destroy(vm->vmm);
	if (vm->console_fd >= 0)
		close(vm->console_fd);
	mvm_config_clear(&vm->cfg);
	free(vm);
}
