/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The split virtqueue (src/virtio/virtq.c) on its own: the input sets the
 * queue up (size, ring addresses, EVENT_IDX and INDIRECT_DESC) and then
 * interleaves what a hostile driver writes (descriptors, indirect tables,
 * ring indices, used_event, raw RAM) with what a device does (pop, push,
 * push_many, unpop, should_signal, reset, set-up again).
 *
 * Beyond the sanitizers, every popped element is checked: its buffers lie
 * in guest RAM, they are counted and summed right, and there are no more
 * than VIRTQ_MAX_CHAIN of them.
 */
#include "fuzz_common.h"
#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"

/* Rings for up to VIRTQ_MAX_SIZE entries, then the buffer area. */
#define DESC_GPA FZ_RAM_GPA
#define AVAIL_GPA (FZ_RAM_GPA + 0x4000)
#define USED_GPA (FZ_RAM_GPA + 0x5000)
#define BUF_GPA (FZ_RAM_GPA + 0x8000)
#define MAX_OPS 256
#define N_ELEMS 4

struct state {
	struct fz_guest g;
	struct virtq q;
	uint16_t size;	 /* of the ready queue, 0 if none */
	uint16_t layout; /* size when its rings are at the default layout, else 0 */
	uint16_t avail_idx;
	struct virtq_elem elems[N_ELEMS];
	bool held[N_ELEMS];
	int last; /* the element popped last, for unpop; -1 if none */
};

static void set16(struct state *s, uint64_t gpa, uint16_t v)
{
	fz_gwrite(&s->g, gpa, &v, sizeof(v));
}

static void write_desc(struct state *s, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next)
{
	struct virtq_desc d = {addr, len, flags, next};
	fz_gwrite(&s->g, table + 16ull * i, &d, sizeof(d));
}

static void check_elem(struct state *s, const struct virtq_elem *e)
{
	FZ_CHECK(e->n_read + e->n_write <= VIRTQ_MAX_CHAIN);
	uint64_t rsum = 0, wsum = 0;
	for (unsigned i = 0; i < e->n_read + e->n_write; i++) {
		FZ_CHECK(e->iov[i].iov_len > 0);
		FZ_CHECK(fz_in_ram(&s->g, e->iov[i].iov_base, e->iov[i].iov_len));
		if (i < e->n_read)
			rsum += e->iov[i].iov_len;
		else
			wsum += e->iov[i].iov_len;
	}
	FZ_CHECK(rsum == e->read_len && wsum == e->write_len);
	FZ_CHECK(e->head < s->size);
}

static void setup(struct state *s, struct fz *f)
{
	uint8_t how = fz_u8(f);
	uint64_t features = 0;
	if (how & 1)
		features |= VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	if (how & 2)
		features |= VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	uint16_t size = (uint16_t)(1u << (fz_u8(f) % 11));
	uint64_t desc = DESC_GPA, avail = AVAIL_GPA, used = USED_GPA;
	if (how & 4) {
		/* Rings where the driver says, even bad ones. */
		size = fz_u16(f);
		desc = fz_gpa(f);
		avail = fz_gpa(f);
		used = fz_gpa(f);
	}
	mvm_error *err = NULL;
	if (virtq_setup(&s->q, &s->g.mem, size, desc, avail, used, features, &err) == 0) {
		s->size = size;
		/* The fuzzer's ring writes go to the default layout only. */
		bool dflt = desc == DESC_GPA && avail == AVAIL_GPA && used == USED_GPA;
		s->layout = dflt ? size : 0;
	} else {
		FZ_CHECK(err != NULL);
		mvm_error_free(err);
	}
	s->avail_idx = 0;
	for (int i = 0; i < N_ELEMS; i++)
		s->held[i] = false;
	s->last = -1;
}

static void pop(struct state *s, int k)
{
	mvm_error *err = NULL;
	int rc = virtq_pop(&s->q, &s->elems[k], &err);
	if (rc == 1) {
		check_elem(s, &s->elems[k]);
		s->held[k] = true;
		s->last = k;
		uint8_t buf[64];
		virtq_elem_gather(&s->elems[k], buf, sizeof(buf));
		virtq_elem_fill(&s->elems[k], buf, sizeof(buf));
	} else {
		FZ_CHECK(rc == 0 || (rc == -1 && err != NULL && virtq_is_broken(&s->q)));
		s->last = -1;
	}
	mvm_error_free(err);
}

static void step(struct state *s, struct fz *f)
{
	uint16_t size = s->layout ? s->layout : 1;
	switch (fz_u8(f) % 18) {
	case 0: { /* descriptor */
		uint16_t i = fz_u16(f) % VIRTQ_MAX_SIZE;
		uint64_t addr = fz_gpa(f);
		uint32_t len = fz_u16(f);
		uint8_t flags = fz_u8(f);
		uint16_t next = fz_u16(f);
		if (flags & 0x80)
			len |= (uint32_t)fz_u16(f) << 16;
		write_desc(s, DESC_GPA, i, addr, len, flags & 0x7f, next);
		break;
	}
	case 1: /* publish a head */
		set16(s, AVAIL_GPA + 4 + 2ull * (s->avail_idx % size), fz_u16(f));
		s->avail_idx++;
		set16(s, AVAIL_GPA + 2, s->avail_idx);
		break;
	case 2: /* avail->idx anywhere */
		s->avail_idx = fz_u16(f);
		set16(s, AVAIL_GPA + 2, s->avail_idx);
		break;
	case 3: /* used_event */
		set16(s, AVAIL_GPA + 4 + 2ull * s->layout, fz_u16(f));
		break;
	case 4: /* avail flags */
		set16(s, AVAIL_GPA, fz_u16(f));
		break;
	case 5: { /* indirect table: up to 32 entries in the buffer area */
		uint64_t table = BUF_GPA + 16ull * (fz_u16(f) % 0x400);
		uint8_t n = fz_u8(f) % 32;
		for (uint16_t i = 0; i < n; i++) {
			uint64_t addr = BUF_GPA + fz_u16(f) % 0x8000;
			uint32_t len = fz_u16(f) % 0x1000;
			uint8_t flags = fz_u8(f);
			uint8_t next = fz_u8(f);
			write_desc(s, table, i, addr, len, flags & 7, next % 32);
		}
		break;
	}
	case 6: { /* raw bytes */
		uint64_t gpa = fz_gpa(f);
		size_t len;
		const uint8_t *p = fz_take(f, fz_u8(f), &len);
		fz_gwrite(&s->g, gpa, p, len);
		break;
	}
	case 7:
	case 8: /* the device pops */
		pop(s, fz_u8(f) % N_ELEMS);
		break;
	case 9: { /* push one */
		int k = fz_u8(f) % N_ELEMS;
		if (s->held[k]) {
			virtq_push(&s->q, &s->elems[k], fz_u32(f));
			s->held[k] = false;
			if (s->last == k)
				s->last = -1;
		}
		break;
	}
	case 10: { /* push all held at once */
		struct virtq_elem *list[N_ELEMS];
		uint32_t lens[N_ELEMS];
		unsigned n = 0;
		for (int k = 0; k < N_ELEMS; k++) {
			if (s->held[k]) {
				list[n] = &s->elems[k];
				lens[n++] = fz_u32(f);
				s->held[k] = false;
			}
		}
		virtq_push_many(&s->q, list, lens, n);
		s->last = -1;
		break;
	}
	case 11: /* unpop: only the last pop, before any other */
		if (s->last >= 0) {
			virtq_unpop(&s->q, &s->elems[s->last]);
			s->held[s->last] = false;
			s->last = -1;
		}
		break;
	case 12:
		virtq_should_signal(&s->q);
		break;
	case 13: /* reset: held elements become stale; pushing them is a no-op */
		virtq_reset(&s->q);
		s->size = s->layout = 0;
		s->last = -1;
		break;
	case 14:
		setup(s, f);
		break;
	case 15:
		virtq_is_ready(&s->q);
		virtq_is_broken(&s->q);
		break;
	case 16:
	case 17: { /* a long chain at once: the chain and table limits are
		    * out of reach one descriptor at a time */
		bool indirect = fz_u8(f) & 1;
		uint64_t table = indirect ? BUF_GPA : DESC_GPA;
		uint16_t first = fz_u16(f) % VIRTQ_MAX_SIZE;
		uint16_t count = fz_u16(f) % (VIRTQ_MAX_SIZE + 1);
		uint64_t addr = fz_gpa(f);
		uint32_t len = fz_u16(f);
		uint8_t flags = fz_u8(f);
		for (uint16_t i = first; i < VIRTQ_MAX_SIZE && i < first + count; i++) {
			bool last = i + 1 == first + count;
			write_desc(s, table, i, addr, len,
				   (flags & 6) | (last && !(flags & 0x80) ? 0 : VIRTQ_DESC_F_NEXT),
				   (uint16_t)(i + 1));
		}
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state s;
	struct fz f = {data, size};
	fz_guest_init(&s.g);
	virtq_init(&s.q);
	setup(&s, &f);
	for (int i = 0; i < MAX_OPS && !fz_empty(&f); i++)
		step(&s, &f);
	virtq_destroy(&s.q);
	return 0;
}
