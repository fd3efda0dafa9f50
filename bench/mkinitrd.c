/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the initramfs that mvm would boot for `PROG ARGS...` (mvm-init
 * plus its config blob) to a file, so that `make bench` can boot QEMU with
 * exactly the same guest user space as mvm.
 * Usage: mkinitrd OUT ROOT PROG [ARG...] */
#include "config/config.h"
#include "vmm/boot.h"
#include "vmm/vm.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s OUT ROOT PROG [ARG...]\n", argv[0]);
		return 2;
	}
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, argv[2], &err);
	mvm_builder_ram_mib(b, 256, &err);
	mvm_builder_exec_path(b, argv[3], &err);
	mvm_builder_args(b, (const char *const *)argv + 4, (size_t)(argc - 4), &err);
	mvm_vm *vm = err ? NULL : mvm_builder_build(b, &err);
	void *rd = NULL;
	size_t rd_len = 0;
	int rc = 1;
	if (vm && boot_initramfs(&vm->cfg, &rd, &rd_len, &err) == 0) {
		FILE *f = fopen(argv[1], "wb");
		if (f && fwrite(rd, 1, rd_len, f) == rd_len && fclose(f) == 0)
			rc = 0;
		else
			perror(argv[1]);
	}
	for (size_t i = 0; i < mvm_error_count(err); i++)
		fprintf(stderr, "mkinitrd: %s\n", mvm_error_message_at(err, i));
	mvm_error_free(err);
	free(rd);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return rc;
}
