/* SPDX-License-Identifier: Apache-2.0 */
/* Identity-mapped page tables and the flat GDT that our long-mode entry
 * needs, both for the Linux boot and for the KVM probe payload. */
#include "arch/x86_64/tables.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "util/error.h"

#include <string.h>

#define PTE_PRESENT 0x1ull
#define PTE_WRITE 0x2ull
#define PTE_HUGE 0x80ull

static int write_page_tables(const struct guest_mem *m, mvm_error **err)
{
	uint64_t *pml4 = gpa_slice(m, LAYOUT_PML4, 4096);
	uint64_t *pdpt = gpa_slice(m, LAYOUT_PDPT, 4096);
	uint64_t *pd = gpa_slice(m, LAYOUT_PD, 4096ull * LAYOUT_PD_COUNT);
	if (!pml4 || !pdpt || !pd)
		return mvm_err(err, MVM_ERR_INVALID, 0, "page tables do not fit in guest RAM");
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_PRESENT | PTE_WRITE;
	/* startup_64 builds its own tables at once; it only needs the image,
	 * the zero page and the command line mapped 1:1. 4 GiB covers them. */
	for (unsigned i = 0; i < LAYOUT_PD_COUNT; i++)
		pdpt[i] = (LAYOUT_PD + 4096ull * i) | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < 512ull * LAYOUT_PD_COUNT; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	return 0;
}

static int write_gdt(const struct guest_mem *m, mvm_error **err)
{
	uint64_t *gdt = gpa_slice(m, LAYOUT_GDT, sizeof(uint64_t) * GDT_ENTRIES);
	uint64_t *idt = gpa_slice(m, LAYOUT_IDT, sizeof(uint64_t));
	if (!gdt || !idt)
		return mvm_err(err, MVM_ERR_INVALID, 0, "GDT does not fit in guest RAM");
	gdt_fill(gdt);
	*idt = 0;
	return 0;
}

int tables_write(const struct guest_mem *m, mvm_error **err)
{
	if (write_page_tables(m, err) < 0 || write_gdt(m, err) < 0)
		return -1;
	return 0;
}
