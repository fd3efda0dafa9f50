/* SPDX-License-Identifier: Apache-2.0 */
#include "arch/arch.h"
#include "arch/x86_64/layout.h"
#include "util/error.h"

int arch_memory_layout(uint64_t ram_bytes, struct guest_mem *m, mvm_error **err)
{
	/* The kernel needs the boot structures below 1 MiB and its image at
	 * 16 MiB; anything smaller than this cannot boot. */
	if (ram_bytes < (32ull << 20))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "RAM of %llu MiB is too small: the guest needs at least 32 MiB",
			       (unsigned long long)(ram_bytes >> 20));
	*m = (struct guest_mem){0};
	uint64_t low = ram_bytes < LAYOUT_MMIO_GAP_START ? ram_bytes : LAYOUT_MMIO_GAP_START;
	m->regions[0] = (struct guest_mem_region){.gpa = 0, .size = low};
	m->n_regions = 1;
	if (ram_bytes > low) {
		m->regions[1] = (struct guest_mem_region){.gpa = LAYOUT_MMIO_GAP_END,
							  .size = ram_bytes - low};
		m->n_regions = 2;
	}
	m->total = ram_bytes;
	return 0;
}

void arch_dax_window_span(const struct guest_mem *m, uint64_t *first, uint64_t *align,
			  uint64_t *end)
{
	uint64_t top = LAYOUT_MMIO_GAP_END;
	for (unsigned i = 0; i < m->n_regions; i++)
		if (m->regions[i].gpa + m->regions[i].size > top)
			top = m->regions[i].gpa + m->regions[i].size;
	*first = (top + LAYOUT_DAX_ALIGN - 1) & ~(LAYOUT_DAX_ALIGN - 1);
	*align = LAYOUT_DAX_ALIGN;
	*end = LAYOUT_DAX_END;
}
