/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The split virtqueue (virtio 1.1 §2.6, "split virtqueues").
 *
 * The device side only: pop descriptor chains the driver made available,
 * push them back as used, and decide whether the driver needs an interrupt.
 * Everything the guest wrote is hostile: ring indices, descriptors and
 * indirect tables are copied once into locals before use (the guest may
 * rewrite them concurrently), every buffer goes through gpa_slice(), chains
 * are bounded, and a malformed chain makes the queue broken (pop returns -1
 * from then on) instead of crashing the VMM.
 *
 * Thread-safety: each queue has a mutex; pop, push, should_signal, setup and
 * reset may be called from any thread. The iovecs of a popped element point
 * into guest RAM, which stays mapped for the VM's lifetime, so an element may
 * be handled outside the lock (virtio-fs workers do).
 */
#ifndef MVM_VIRTIO_VIRTQ_H
#define MVM_VIRTIO_VIRTQ_H

#include "mvm.h"
#include "vmm/guest_mem.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Largest queue size any device offers (the spec's maximum is 32768). */
#define VIRTQ_MAX_SIZE 1024u
/* Longest chain accepted, indirect tables included; also the iovec capacity
 * of an element. QEMU uses the same bound. A 1 MiB FUSE read needs ~260. */
#define VIRTQ_MAX_CHAIN 1024u

/* 2.6.5 descriptor flags */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
/* 2.6.6 / 2.6.8 ring flags (used only without EVENT_IDX) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* Guest-visible layouts (little-endian; mvm runs on little-endian hosts). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* One popped chain. Device-readable buffers come first in iov[], then the
 * device-writable ones (the spec requires that order in a chain). */
struct virtq_elem {
	uint16_t head;	     /* chain head index, returned in the used ring */
	uint32_t generation; /* queue generation at pop; stale after a reset */
	unsigned n_read;     /* iov[0 .. n_read) are device-readable */
	unsigned n_write;    /* iov[n_read .. n_read + n_write) device-writable */
	uint64_t read_len;   /* total bytes in the readable iovecs */
	uint64_t write_len;  /* total bytes in the writable iovecs */
	struct iovec iov[VIRTQ_MAX_CHAIN];
};

static inline struct iovec *virtq_elem_read_iov(struct virtq_elem *e)
{
	return e->iov;
}

static inline struct iovec *virtq_elem_write_iov(struct virtq_elem *e)
{
	return e->iov + e->n_read;
}

/* Copies up to len bytes from buf into the writable buffers; returns how
 * many were copied. */
size_t virtq_elem_fill(struct virtq_elem *e, const void *buf, size_t len);
/* Copies up to len bytes of the readable buffers into buf. */
size_t virtq_elem_gather(const struct virtq_elem *e, void *buf, size_t len);

/* Fields are private to virtq.c; the struct is public so that transports can
 * embed queues without an allocation each. */
struct virtq {
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	bool ready;
	bool broken;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint16_t size;
	uint32_t generation;
	/* Host views of the three rings, resolved once by virtq_setup(). */
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail;	 /* next avail ring slot we will consume */
	uint16_t used_idx;	 /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when we last decided about an interrupt */
	bool signalled_valid;
};

void virtq_init(struct virtq *q);
void virtq_destroy(struct virtq *q);

/* The driver set QueueReady: check size (power of two, 1..VIRTQ_MAX_SIZE)
 * and ring addresses (in RAM, aligned per §2.6) and start the queue. The
 * features are the negotiated ones (EVENT_IDX, INDIRECT_DESC). */
int virtq_setup(struct virtq *q, const struct guest_mem *mem, uint16_t size, uint64_t desc_gpa,
		uint64_t avail_gpa, uint64_t used_gpa, uint64_t features, mvm_error **err);
/* Forgets all state; elements popped before are stale and dropped by push. */
void virtq_reset(struct virtq *q);

/* 1: *e holds the next chain. 0: nothing available (with EVENT_IDX the
 * driver has been asked to notify on the next buffer). -1: the queue is
 * broken or the chain is malformed (err says why; the queue is now broken). */
int virtq_pop(struct virtq *q, struct virtq_elem *e, mvm_error **err);
/* Gives the last popped element back (the device could not use it yet).
 * Only valid with one consumer, before any later pop. */
void virtq_unpop(struct virtq *q, const struct virtq_elem *e);
/* Returns e to the driver with `len` bytes written (clamped to the writable
 * size). A stale element (popped before a reset) is dropped. */
void virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len);
/* Pushes n elements and publishes them with one used->idx store, so the
 * driver never sees part of the group (virtio-net mergeable rx buffers: the
 * driver reads num_buffers entries at once, §5.1.6.4). */
void virtq_push_many(struct virtq *q, struct virtq_elem *const *elems, const uint32_t *lens,
		     unsigned n);
/* After pushes: does the driver want an interrupt? With EVENT_IDX this is
 * the used_event test of §2.6.7.2; without, the NO_INTERRUPT flag. */
bool virtq_should_signal(struct virtq *q);

/* §2.6.7.2: true if the driver asked for an interrupt once used entry
 * `event_idx` is done and that entry lies in [old_idx, new_idx), the entries
 * used since the last decision. Exposed for tests of the wrap-around. */
static inline bool virtq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* After a pop, while the popped chain is handled: asks the driver for a
 * kick at its next chain (EVENT_IDX's avail_event; without EVENT_IDX it
 * always kicks) and tells whether more chains wait already, for which no
 * kick will come. Only a hint for waking more consumers: a pop decides. */
bool virtq_arm_more_avail(struct virtq *q);
bool virtq_is_ready(struct virtq *q);
bool virtq_is_broken(struct virtq *q);
void virtq_set_broken(struct virtq *q);

#endif
