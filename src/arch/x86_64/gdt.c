/* SPDX-License-Identifier: Apache-2.0 */
#include "arch/x86_64/gdt.h"

/* Access byte and flags of each entry (Intel SDM vol. 3, 3.4.5). */
static const struct {
	uint8_t access;
	uint8_t flags; /* G, D/B, L, AVL */
} gdt_desc[GDT_ENTRIES] = {
	[0] = {0, 0},
	[GDT_CODE] = {0x9b, 0xa}, /* present, code, exec/read, accessed; G, L */
	[GDT_DATA] = {0x93, 0xc}, /* present, data, read/write, accessed; G, D */
	[GDT_TSS] = {0x8b, 0x8},  /* present, busy 64-bit TSS; G */
};

static uint64_t gdt_entry(uint8_t access, uint8_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf) << 52) |
	       ((uint64_t)(limit & 0xf0000u) << 32) | ((uint64_t)access << 40) |
	       ((uint64_t)(base & 0x00ffffffu) << 16) | (limit & 0xffffu);
}

void gdt_fill(uint64_t gdt[GDT_ENTRIES])
{
	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		gdt[i] = i ? gdt_entry(gdt_desc[i].access, gdt_desc[i].flags, 0, 0xfffff) : 0;
}

struct kvm_segment gdt_segment(unsigned index)
{
	uint8_t a = gdt_desc[index].access, f = gdt_desc[index].flags;
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = (uint16_t)(index * 8),
		.type = a & 0xf,
		.present = (a >> 7) & 1,
		.dpl = (a >> 5) & 3,
		.db = (f >> 2) & 1,
		.s = (a >> 4) & 1,
		.l = (f >> 1) & 1,
		.g = (f >> 3) & 1,
	};
}
