/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_ARCH_X86_64_MPTABLE_H
#define MVM_ARCH_X86_64_MPTABLE_H

#include "mvm.h"
#include "vmm/guest_mem.h"

/* Writes an Intel MP 1.4 table at gpa (at most max_len bytes): one
 * processor entry per vCPU, the ISA bus and IOAPIC, and an interrupt
 * entry for every IOAPIC pin, so SMP Linux finds CPUs and IRQs without
 * ACPI. irqs lists the device lines in use (for logging; all pins are
 * routed). */
int mptable_write(const struct guest_mem *m, uint64_t gpa, uint64_t max_len, unsigned num_vcpus,
		  const unsigned *irqs, unsigned n_irqs, mvm_error **err);

#endif
