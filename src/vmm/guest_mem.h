/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest physical memory and the ONE checked way to reach it.
 *
 * The guest is hostile: every address and length it hands us goes through
 * gpa_slice() (idea from solo5's hvt tender), which refuses overflow, zero
 * RAM and ranges that leave a RAM region. Nothing else in the VMM turns a
 * guest physical address into a host pointer.
 *
 * Memory map (x86-64): RAM starts at GPA 0. RAM above MVM_MEM_32BIT_GAP_START
 * is placed at 4 GiB, leaving a hole for device MMIO (see arch/x86_64/layout.h).
 */
#ifndef MVM_VMM_GUEST_MEM_H
#define MVM_VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 2

struct guest_mem_region {
	uint64_t gpa;  /* first guest physical address */
	uint64_t size; /* bytes */
	uint8_t *host; /* host mapping of gpa */
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned n_regions;
	uint64_t total; /* bytes of RAM over all regions */
};

/* Host pointer to [gpa, gpa+len) if the whole range lies in one RAM region,
 * else NULL. len == 0 is allowed and still needs gpa inside a region (or at
 * its end). Overflow-safe. */
static inline void *gpa_slice(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->n_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off > r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

/* Typed helpers: the slice must fit the object; alignment is not required
 * (x86 allows unaligned access), so callers memcpy out of the slice when
 * they need a stable copy of guest data that the guest may change. */
#define gpa_ptr(m, gpa, type) ((type *)gpa_slice((m), (gpa), sizeof(type)))

static inline bool gpa_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return gpa_slice(m, gpa, len) != NULL;
}

#endif
