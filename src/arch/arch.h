/* SPDX-License-Identifier: Apache-2.0 */
/* What the generic VMM asks of the architecture code. Only x86-64 exists;
 * the split keeps boot protocol, page tables, CPUID and MSRs out of the
 * generic VM lifecycle (the Firecracker arch/ layout). */
#ifndef MVM_ARCH_ARCH_H
#define MVM_ARCH_ARCH_H

#include "mvm.h"
#include "vmm/guest_mem.h"

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* Splits ram_bytes of RAM into guest regions (gpa and size filled; host
 * pointers left NULL for the caller to map). */
int arch_memory_layout(uint64_t ram_bytes, struct guest_mem *m, mvm_error **err);

/* Where the first DAX window may start (above RAM), how windows align,
 * and where they must end by. */
void arch_dax_window_span(const struct guest_mem *m, uint64_t *first, uint64_t *align,
			  uint64_t *end);

/* VM-wide set-up after KVM_CREATE_VM: in-kernel irqchip, PIT, TSS. */
int arch_vm_init(int vm_fd, mvm_error **err);

struct arch_kernel {
	uint64_t entry;   /* guest physical entry point */
	uint64_t end_gpa; /* first byte after the loaded image */
};

/* Copies the PT_LOAD segments of an ELF vmlinux into guest RAM. The image
 * is untrusted only in the sense of being a file: it is bounds-checked like
 * guest data so that a corrupt kernel file gives an error, not a crash. */
int arch_load_kernel(const struct guest_mem *m, const void *elf, size_t len,
		     struct arch_kernel *out, mvm_error **err);

/* Chooses a guest address for an initramfs of len bytes above the kernel. */
int arch_place_initrd(const struct guest_mem *m, const struct arch_kernel *k, size_t len,
		      uint64_t *gpa, mvm_error **err);

struct arch_boot {
	const char *cmdline;
	uint64_t initrd_gpa;
	uint64_t initrd_len;
	unsigned num_vcpus;
	const unsigned *irqs; /* device interrupt lines, for the MP table */
	unsigned n_irqs;
};

/* Zero page, e820 map, page tables, GDT and MP table. */
int arch_setup_boot(const struct guest_mem *m, const struct arch_boot *b, mvm_error **err);

/* CPUID, MSRs, registers, FPU and local APIC of one vCPU. */
int arch_vcpu_init(int kvm_fd, int vcpu_fd, unsigned index, unsigned num_vcpus, uint64_t entry,
		   mvm_error **err);

/* (Re)sets the boot vCPU's registers for the kernel entry point. */
int arch_vcpu_boot_regs(int vcpu_fd, uint64_t entry, mvm_error **err);

/* Runs a tiny payload on an initialised vCPU to prove that this KVM
 * delivers exceptions to a long-mode guest, which Linux needs from its
 * first instructions. Some KVMs (PVM-based nested setups) create VMs and
 * vCPUs fine but cannot do this. Clobbers low guest memory and the
 * vCPU's registers: run it before writing boot data, then set the boot
 * registers again. Fails with MVM_ERR_KVM and one clear sentence. */
int arch_probe_vcpu(int vcpu_fd, struct kvm_run *run, const struct guest_mem *m,
		    mvm_error **err);

#endif
