/* SPDX-License-Identifier: Apache-2.0 */
/* The flat boot GDT, shared by the memory image and the vCPU's segment
 * registers so that the two can never disagree. */
#ifndef MVM_ARCH_X86_64_GDT_H
#define MVM_ARCH_X86_64_GDT_H

#include <linux/kvm.h>
#include <stdint.h>

#define GDT_ENTRIES 4
#define GDT_CODE 1 /* selector 0x08: 64-bit code */
#define GDT_DATA 2 /* selector 0x10 */
#define GDT_TSS 3  /* selector 0x18 */

void gdt_fill(uint64_t gdt[GDT_ENTRIES]);
/* The KVM segment register matching GDT entry `index`. */
struct kvm_segment gdt_segment(unsigned index);

#endif
