/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init, linked into libmvm as read-only data, so that the library
 * needs no file on disk to boot a guest. MVM_INIT_BIN_PATH comes from
 * mk/init.mk. The symbols are hidden: only mvm_init_binary() is used. */
	.section .rodata.mvm_init, "a", @progbits
	.balign 16
	.globl mvm_init_bin_start
	.hidden mvm_init_bin_start
	.type mvm_init_bin_start, @object
mvm_init_bin_start:
	.incbin MVM_INIT_BIN_PATH
	.globl mvm_init_bin_end
	.hidden mvm_init_bin_end
mvm_init_bin_end:
	.size mvm_init_bin_start, mvm_init_bin_end - mvm_init_bin_start

/* No executable stack for whoever links this object. */
	.section .note.GNU-stack, "", @progbits
