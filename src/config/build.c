/* SPDX-License-Identifier: Apache-2.0 */
#include "config/builder.h"
#include "config/validate.h"
#include "util/error.h"
#include "vmm/vm.h"

mvm_vm *mvm_builder_build(const mvm_builder *b, mvm_error **err)
{
	if (b == NULL) {
		mvm_err(err, MVM_ERR_INVALID, 0, "cannot build: the builder is NULL");
		return NULL;
	}
	/* Validate a copy: the builder stays as the caller left it, so it can
	 * be fixed and built again. */
	struct mvm_config cfg;
	if (mvm_config_copy(&cfg, &b->cfg, err) < 0)
		return NULL;
	if (config_validate(&cfg, err) < 0) {
		mvm_config_clear(&cfg);
		return NULL;
	}
	log_debug(&cfg.log, "build: root %s, %u vCPU(s), %u MiB RAM, %zu mapped dir(s)",
		  cfg.root_path, cfg.num_vcpus, cfg.ram_mib, cfg.n_mapped_dirs);
	return vm_create(&cfg, err);
}
