/* SPDX-License-Identifier: Apache-2.0 */
/* A fake guest for virtio unit tests: RAM is a malloc'd buffer described as
 * struct guest_mem, and the helpers play the driver's side of the rings and
 * of the virtio-mmio registers. Everything is written the way a Linux
 * driver would, so the device code under test cannot tell the difference. */
#ifndef MVM_TEST_FAKE_GUEST_H
#define MVM_TEST_FAKE_GUEST_H

#include "virtio/mmio.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"
#include "vmm/guest_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FG_RAM_GPA 0x100000ull /* RAM does not start at 0: tests catch gpa 0 */
#define FG_RAM_SIZE (4ull << 20)

struct fake_guest {
	struct guest_mem mem;
	uint8_t *ram;
};

static inline void fg_init(struct fake_guest *g)
{
	g->ram = aligned_alloc(4096, FG_RAM_SIZE);
	memset(g->ram, 0, FG_RAM_SIZE);
	g->mem.n_regions = 1;
	g->mem.regions[0] = (struct guest_mem_region){FG_RAM_GPA, FG_RAM_SIZE, g->ram};
	g->mem.total = FG_RAM_SIZE;
}

static inline void fg_fini(struct fake_guest *g)
{
	free(g->ram);
}

static inline void *fg_ptr(struct fake_guest *g, uint64_t gpa)
{
	return g->ram + (gpa - FG_RAM_GPA);
}

/* The driver's view of one queue. Rings live at `base`; buffers elsewhere. */
struct fake_vq {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
	uint16_t used_seen;
};

static inline void fvq_layout(struct fake_vq *vq, uint16_t size, uint64_t base)
{
	vq->size = size;
	vq->desc = base;
	vq->avail = base + 16ull * size;
	vq->used = (vq->avail + 6 + 2ull * size + 4095) & ~4095ull;
	vq->avail_idx = 0;
	vq->used_seen = 0;
}

static inline void fvq_desc(struct fake_guest *g, struct fake_vq *vq, uint16_t i, uint64_t addr,
			    uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc d = {addr, len, flags, next};
	memcpy(fg_ptr(g, vq->desc + 16ull * i), &d, sizeof(d));
}

/* A descriptor in a table at `table` (indirect tables). */
static inline void fg_desc_at(struct fake_guest *g, uint64_t table, uint16_t i, uint64_t addr,
			      uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc d = {addr, len, flags, next};
	memcpy(fg_ptr(g, table + 16ull * i), &d, sizeof(d));
}

static inline void fvq_publish(struct fake_guest *g, struct fake_vq *vq, uint16_t head)
{
	uint16_t *ring = fg_ptr(g, vq->avail + 4);
	ring[vq->avail_idx % vq->size] = head;
	vq->avail_idx++;
	__atomic_store_n((uint16_t *)fg_ptr(g, vq->avail + 2), vq->avail_idx, __ATOMIC_RELEASE);
}

/* Moves avail->idx without filling ring slots (for hostile tests). */
static inline void fvq_set_avail_idx(struct fake_guest *g, struct fake_vq *vq, uint16_t idx)
{
	vq->avail_idx = idx;
	*(uint16_t *)fg_ptr(g, vq->avail + 2) = idx;
}

static inline uint16_t fvq_used_idx(struct fake_guest *g, struct fake_vq *vq)
{
	return __atomic_load_n((uint16_t *)fg_ptr(g, vq->used + 2), __ATOMIC_ACQUIRE);
}

static inline struct virtq_used_elem fvq_used_elem(struct fake_guest *g, struct fake_vq *vq,
						   uint16_t n)
{
	struct virtq_used_elem u;
	memcpy(&u, fg_ptr(g, vq->used + 4 + 8ull * (n % vq->size)), sizeof(u));
	return u;
}

static inline void fvq_set_used_event(struct fake_guest *g, struct fake_vq *vq, uint16_t v)
{
	*(uint16_t *)fg_ptr(g, vq->avail + 4 + 2ull * vq->size) = v;
}

static inline void fvq_set_avail_flags(struct fake_guest *g, struct fake_vq *vq, uint16_t v)
{
	*(uint16_t *)fg_ptr(g, vq->avail) = v;
}

static inline uint16_t fvq_avail_event(struct fake_guest *g, struct fake_vq *vq)
{
	return *(uint16_t *)fg_ptr(g, vq->used + 4 + 8ull * vq->size);
}

/* ---- the driver side of virtio-mmio ---- */

static inline uint32_t mmio_rd(struct virtio_mmio *m, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	virtio_mmio_access(m, off, &v, 4, false);
	return v;
}

static inline void mmio_wr(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	virtio_mmio_access(m, off, &v, 4, true);
}

static inline void mmio_set_features(struct virtio_mmio *m, uint64_t f)
{
	mmio_wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_wr(m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	mmio_wr(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_wr(m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

static inline uint64_t mmio_device_features(struct virtio_mmio *m)
{
	mmio_wr(m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = mmio_rd(m, VIRTIO_MMIO_DEVICE_FEATURES);
	mmio_wr(m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = mmio_rd(m, VIRTIO_MMIO_DEVICE_FEATURES);
	return lo | (hi << 32);
}

static inline void mmio_setup_queue(struct virtio_mmio *m, uint16_t q, const struct fake_vq *vq)
{
	mmio_wr(m, VIRTIO_MMIO_QUEUE_SEL, q);
	mmio_wr(m, VIRTIO_MMIO_QUEUE_NUM, vq->size);
	mmio_wr(m, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc);
	mmio_wr(m, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(vq->desc >> 32));
	mmio_wr(m, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)vq->avail);
	mmio_wr(m, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(vq->avail >> 32));
	mmio_wr(m, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)vq->used);
	mmio_wr(m, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(vq->used >> 32));
	mmio_wr(m, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* The Linux probe sequence: ACK, DRIVER, features, FEATURES_OK, queues,
 * DRIVER_OK. Queue i's rings at 0x200000 + i * 0x40000. Returns status. */
static inline uint32_t mmio_bring_up(struct virtio_mmio *m, uint64_t features, struct fake_vq *vqs,
				     uint16_t nq, uint16_t qsize)
{
	mmio_wr(m, VIRTIO_MMIO_STATUS, 0);
	mmio_wr(m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mmio_wr(m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mmio_set_features(m, features);
	mmio_wr(m, VIRTIO_MMIO_STATUS,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	for (uint16_t i = 0; i < nq; i++) {
		fvq_layout(&vqs[i], qsize, 0x200000ull + 0x40000ull * i);
		mmio_setup_queue(m, i, &vqs[i]);
	}
	mmio_wr(m, VIRTIO_MMIO_STATUS,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		    VIRTIO_CONFIG_S_DRIVER_OK);
	return mmio_rd(m, VIRTIO_MMIO_STATUS);
}

#define FG_ALL_RING_FEATURES                                                                       \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |                    \
	 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))

#endif
