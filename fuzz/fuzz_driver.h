/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hostile virtio driver for the device targets (mmio, net, console, rng):
 * the input is a program of driver actions (write a descriptor, publish a
 * chain, kick, poke RAM, move ring indices, raw register accesses, reset),
 * run against one virtio-mmio device on the fake guest of fuzz_common.h.
 * The device runs without KVM (vm_fd -1, no event loop): a QueueNotify
 * write calls the device's notify at once, on this thread.
 *
 * Input: u8 setup flags, u64 driver features, u8 queue size (log2), then
 * operations, each an opcode byte and its arguments (see fzd_step()).
 */
#ifndef MVM_FUZZ_DRIVER_H
#define MVM_FUZZ_DRIVER_H

#include "fuzz_common.h"
#include "virtio/mmio.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"

#define FZD_MAX_OPS 256
#define FZD_SETUP_BRING_UP 1u	  /* do the Linux probe sequence first */
#define FZD_SETUP_RAW_FEATURES 2u /* also accept features the device lacks */

struct fzd {
	struct fz_guest g;
	struct virtio_host host;
	struct virtio_mmio *m;
	uint16_t nq;
	uint16_t qsize[FZ_MAX_QUEUES];
	uint16_t avail_idx[FZ_MAX_QUEUES];
	/* The device target's own operation (opcode FZD_OP_DEVICE). */
	void (*device_op)(struct fzd *d, struct fz *f);
	void *ctx;
};

static inline void fzd_rd(struct fzd *d, uint64_t off, void *v, uint32_t len)
{
	virtio_mmio_access(d->m, off, v, len, false);
}

static inline void fzd_wr(struct fzd *d, uint64_t off, uint32_t v)
{
	virtio_mmio_access(d->m, off, &v, 4, true);
}

static inline uint64_t fzd_avail(uint16_t q)
{
	return FZ_RING(q) + 0x1000;
}

static inline uint64_t fzd_used(uint16_t q)
{
	return FZ_RING(q) + 0x1800;
}

static inline void fzd_bring_up(struct fzd *d, uint64_t features, uint16_t qsize)
{
	fzd_wr(d, VIRTIO_MMIO_STATUS, 0);
	fzd_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	fzd_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		fzd_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		fzd_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
	}
	fzd_wr(d, VIRTIO_MMIO_STATUS,
	       VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	for (uint16_t q = 0; q < d->nq; q++) {
		d->qsize[q] = qsize;
		d->avail_idx[q] = 0;
		fzd_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		fzd_wr(d, VIRTIO_MMIO_QUEUE_NUM, qsize);
		fzd_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)FZ_RING(q));
		fzd_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
		fzd_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)fzd_avail(q));
		fzd_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
		fzd_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)fzd_used(q));
		fzd_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
		fzd_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	fzd_wr(d, VIRTIO_MMIO_STATUS,
	       VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		   VIRTIO_CONFIG_S_DRIVER_OK);
}

static inline uint64_t fzd_device_features(struct fzd *d)
{
	uint64_t feat = 0;
	for (uint32_t sel = 0; sel < 2; sel++) {
		uint32_t v = 0;
		fzd_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		fzd_rd(d, VIRTIO_MMIO_DEVICE_FEATURES, &v, 4);
		feat |= (uint64_t)v << (32 * sel);
	}
	return feat;
}

static inline uint16_t fzd_queue(struct fzd *d, struct fz *f)
{
	return (uint16_t)(fz_u8(f) % d->nq);
}

static inline void fzd_write_desc(struct fzd *d, uint64_t table, uint16_t i, uint64_t addr,
				  uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc desc = {addr, len, flags, next};
	fz_gwrite(&d->g, table + 16ull * i, &desc, sizeof(desc));
}

static inline void fzd_set16(struct fzd *d, uint64_t gpa, uint16_t v)
{
	fz_gwrite(&d->g, gpa, &v, sizeof(v));
}

enum {
	FZD_OP_DESC,	    /* one descriptor of a queue's table */
	FZD_OP_PUBLISH,	    /* a head into the avail ring, avail->idx + 1 */
	FZD_OP_KICK,	    /* QueueNotify */
	FZD_OP_POKE,	    /* raw bytes anywhere in RAM */
	FZD_OP_AVAIL_IDX,   /* avail->idx set to anything */
	FZD_OP_USED_EVENT,  /* EVENT_IDX: when the driver wants an interrupt */
	FZD_OP_AVAIL_FLAGS, /* NO_INTERRUPT and garbage */
	FZD_OP_MMIO,	    /* any register access, any width */
	FZD_OP_INDIRECT,    /* a small indirect table in the buffer area */
	FZD_OP_DEVICE,	    /* the target's own operation */
	FZD_OP_RESET,	    /* Status 0, then the probe sequence again */
	FZD_OP_INT_ACK,	    /* read InterruptStatus and acknowledge it */
	FZD_OP_RUN,	    /* many buffers at once: one long chain, or many heads */
	FZD_OP_COUNT
};

static inline void fzd_step(struct fzd *d, struct fz *f)
{
	uint8_t op = fz_u8(f) % FZD_OP_COUNT;
	switch (op) {
	case FZD_OP_DESC: {
		uint16_t q = fzd_queue(d, f);
		uint16_t i = fz_u16(f);
		uint64_t addr = fz_gpa(f);
		uint32_t len = fz_u16(f);
		uint16_t flags = fz_u8(f);
		uint16_t next = fz_u16(f);
		/* Large lengths now and then: the 16-bit form never reaches
		 * the 32-bit limits. */
		if (flags & 0x80)
			len |= (uint32_t)fz_u16(f) << 16;
		fzd_write_desc(d, FZ_RING(q), (uint16_t)(i % FZ_QSIZE_MAX), addr, len, flags & 0x7f,
			       next);
		break;
	}
	case FZD_OP_PUBLISH: {
		uint16_t q = fzd_queue(d, f);
		uint16_t head = fz_u16(f);
		uint16_t size = d->qsize[q] ? d->qsize[q] : 1;
		fzd_set16(d, fzd_avail(q) + 4 + 2ull * (d->avail_idx[q] % size), head);
		d->avail_idx[q]++;
		fzd_set16(d, fzd_avail(q) + 2, d->avail_idx[q]);
		break;
	}
	case FZD_OP_KICK: {
		uint8_t q = fz_u8(f);
		fzd_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q & 0x80 ? fz_u32(f) : q % d->nq);
		break;
	}
	case FZD_OP_POKE: {
		uint64_t gpa = fz_gpa(f);
		size_t len;
		const uint8_t *p = fz_take(f, fz_u8(f), &len);
		fz_gwrite(&d->g, gpa, p, len);
		break;
	}
	case FZD_OP_AVAIL_IDX: {
		uint16_t q = fzd_queue(d, f);
		d->avail_idx[q] = fz_u16(f);
		fzd_set16(d, fzd_avail(q) + 2, d->avail_idx[q]);
		break;
	}
	case FZD_OP_USED_EVENT: {
		uint16_t q = fzd_queue(d, f);
		fzd_set16(d, fzd_avail(q) + 4 + 2ull * d->qsize[q], fz_u16(f));
		break;
	}
	case FZD_OP_AVAIL_FLAGS: {
		uint16_t q = fzd_queue(d, f);
		fzd_set16(d, fzd_avail(q), fz_u16(f));
		break;
	}
	case FZD_OP_MMIO: {
		static const uint32_t widths[] = {1, 2, 4, 8, 3, 0};
		uint8_t how = fz_u8(f);
		uint64_t off = how & 0x80 ? fz_u64(f) : fz_u16(f) % 0x200;
		uint32_t len = widths[(how & 0x3f) % 6];
		uint8_t buf[8];
		fz_bytes(f, buf, sizeof(buf));
		virtio_mmio_access(d->m, off, buf, len, (how & 0x40) != 0);
		break;
	}
	case FZD_OP_INDIRECT: {
		uint64_t table = FZ_BUF_GPA + 16ull * (fz_u16(f) % 0x800);
		uint8_t n = fz_u8(f) % 8;
		for (uint16_t i = 0; i < n; i++) {
			uint64_t addr = FZ_BUF_GPA + fz_u16(f) % (FZ_RAM_SIZE / 2);
			uint32_t len = fz_u16(f) % 0x2000;
			uint8_t flags = fz_u8(f);
			uint8_t next = fz_u8(f);
			fzd_write_desc(d, table, i, addr, len, flags & 7, next % 8);
		}
		break;
	}
	case FZD_OP_DEVICE:
		if (d->device_op)
			d->device_op(d, f);
		break;
	case FZD_OP_RESET: {
		uint16_t qsize = (uint16_t)(1u << (fz_u8(f) % 9));
		fzd_bring_up(d, fz_u64(f), qsize);
		break;
	}
	case FZD_OP_RUN: {
		uint16_t q = fzd_queue(d, f);
		uint16_t first = fz_u16(f);
		uint16_t count = fz_u8(f);
		uint64_t addr = fz_gpa(f);
		uint32_t len = fz_u16(f);
		uint8_t flags = fz_u8(f);
		uint16_t size = d->qsize[q] ? d->qsize[q] : 1;
		for (uint16_t k = 0; k < count; k++) {
			uint16_t i = (uint16_t)((first + k) % FZ_QSIZE_MAX);
			bool chained = (flags & 0x80) && k + 1 < count;
			fzd_write_desc(d, FZ_RING(q), i, addr + (uint64_t)len * k, len,
				       (flags & VIRTQ_DESC_F_WRITE) |
					   (chained ? VIRTQ_DESC_F_NEXT : 0),
				       (uint16_t)((i + 1) % FZ_QSIZE_MAX));
			if (!(flags & 0x80) || k == 0) {
				fzd_set16(d, fzd_avail(q) + 4 + 2ull * (d->avail_idx[q] % size), i);
				d->avail_idx[q]++;
			}
		}
		fzd_set16(d, fzd_avail(q) + 2, d->avail_idx[q]);
		break;
	}
	case FZD_OP_INT_ACK: {
		uint32_t v = 0;
		fzd_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS, &v, 4);
		fzd_wr(d, VIRTIO_MMIO_INTERRUPT_ACK, v);
		break;
	}
	}
}

/* Runs one input against the device m (taken: freed here). */
static inline void fzd_run(struct fzd *d, struct fz *f)
{
	uint8_t setup = fz_u8(f);
	uint64_t features = fz_u64(f);
	uint16_t qsize = (uint16_t)(1u << (fz_u8(f) % 9));
	if (setup & FZD_SETUP_BRING_UP) {
		if (!(setup & FZD_SETUP_RAW_FEATURES))
			features &= fzd_device_features(d);
		fzd_bring_up(d, features, qsize);
	}
	for (int i = 0; i < FZD_MAX_OPS && !fz_empty(f); i++)
		fzd_step(d, f);
	virtio_mmio_free(d->m);
	d->m = NULL;
}

static inline void fzd_init(struct fzd *d, uint16_t nq)
{
	memset(d, 0, sizeof(*d));
	fz_guest_init(&d->g);
	d->host = (struct virtio_host){.mem = &d->g.mem, .vm_fd = -1};
	d->nq = nq;
}

#endif
