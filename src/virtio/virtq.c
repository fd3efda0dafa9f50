/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/virtq.h"

#include "util/error.h"
#include "virtio/virtio_spec.h"

#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtq.c reads the little-endian rings natively"
#endif

/* Ring layouts, §2.6: avail = flags, idx, ring[size], used_event;
 * used = flags, idx, ring[size] of {id, len}, avail_event. */
#define AVAIL_IDX_OFF 2u
#define AVAIL_RING_OFF 4u
#define USED_FLAGS_OFF 0u
#define USED_IDX_OFF 2u
#define USED_RING_OFF 4u

static uint64_t avail_bytes(uint16_t size)
{
	return 6ull + 2ull * size;
}

static uint64_t used_bytes(uint16_t size)
{
	return 6ull + 8ull * size;
}

static uint16_t *avail_idx_p(struct virtq *q)
{
	return (uint16_t *)(q->avail + AVAIL_IDX_OFF);
}

static uint16_t *avail_ring_p(struct virtq *q, uint16_t slot)
{
	return (uint16_t *)(q->avail + AVAIL_RING_OFF + 2u * slot);
}

static uint16_t *used_event_p(struct virtq *q)
{
	return avail_ring_p(q, q->size);
}

static uint16_t *used_idx_p(struct virtq *q)
{
	return (uint16_t *)(q->used + USED_IDX_OFF);
}

static struct virtq_used_elem *used_ring_p(struct virtq *q, uint16_t slot)
{
	return (struct virtq_used_elem *)(q->used + USED_RING_OFF + 8u * slot);
}

static uint16_t *avail_event_p(struct virtq *q)
{
	return (uint16_t *)(q->used + USED_RING_OFF + 8u * q->size);
}

/* One copy of guest data into a local; the compiler barrier stops it from
 * re-reading guest memory later instead of using the copy (TOCTOU). */
static void copy_from_guest(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void virtq_init(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
}

void virtq_destroy(struct virtq *q)
{
	pthread_mutex_destroy(&q->lock);
}

static void reset_locked(struct virtq *q)
{
	q->ready = false;
	q->broken = false;
	q->size = 0;
	q->desc = q->avail = q->used = NULL;
	q->last_avail = q->used_idx = q->signalled_used = 0;
	q->signalled_valid = false;
	q->generation++;
}

void virtq_reset(struct virtq *q)
{
	pthread_mutex_lock(&q->lock);
	reset_locked(q);
	pthread_mutex_unlock(&q->lock);
}

static void *ring_slice(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t align,
			const char *what, mvm_error **err)
{
	if (gpa % align != 0) {
		mvm_err(err, MVM_ERR_GUEST, 0,
			"virtqueue %s ring at 0x%llx is not %llu-byte aligned", what,
			(unsigned long long)gpa, (unsigned long long)align);
		return NULL;
	}
	void *p = gpa_slice(mem, gpa, len);
	if (p == NULL)
		mvm_err(err, MVM_ERR_GUEST, 0,
			"virtqueue %s ring [0x%llx, +0x%llx) is not inside guest RAM", what,
			(unsigned long long)gpa, (unsigned long long)len);
	return p;
}

int virtq_setup(struct virtq *q, const struct guest_mem *mem, uint16_t size, uint64_t desc_gpa,
		uint64_t avail_gpa, uint64_t used_gpa, uint64_t features, mvm_error **err)
{
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) != 0)
		return mvm_err(err, MVM_ERR_GUEST, 0,
			       "virtqueue size %u is not a power of two in 1..%u", size,
			       VIRTQ_MAX_SIZE);
	/* §2.6 alignment table: descriptors 16, available ring 2, used ring 4. */
	uint8_t *desc = ring_slice(mem, desc_gpa, 16ull * size, 16, "descriptor", err);
	uint8_t *avail = ring_slice(mem, avail_gpa, avail_bytes(size), 2, "available", err);
	uint8_t *used = ring_slice(mem, used_gpa, used_bytes(size), 4, "used", err);
	if (desc == NULL || avail == NULL || used == NULL)
		return -1;

	pthread_mutex_lock(&q->lock);
	reset_locked(q);
	q->mem = mem;
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->event_idx = (features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)) != 0;
	q->indirect = (features & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC)) != 0;
	/* The driver may have left garbage here; start from its used idx. */
	q->used_idx = __atomic_load_n(used_idx_p(q), __ATOMIC_RELAXED);
	q->signalled_used = q->used_idx;
	q->ready = true;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int malformed(struct virtq *q, mvm_error **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int malformed(struct virtq *q, mvm_error **err, const char *fmt, ...)
{
	q->broken = true;
	va_list ap;
	va_start(ap, fmt);
	mvm_verr(err, MVM_ERR_GUEST, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* Walks one chain starting at `head`. Runs under q->lock. */
static int walk_chain(struct virtq *q, uint16_t head, struct virtq_elem *e, mvm_error **err)
{
	const uint8_t *table = q->desc;
	uint32_t table_len = q->size;
	uint32_t steps_left = q->size; /* loop guard for this table */
	bool in_indirect = false;
	bool seen_write = false;
	unsigned nseg = 0;
	uint32_t idx = head;

	e->head = head;
	e->n_read = e->n_write = 0;
	e->read_len = e->write_len = 0;

	for (;;) {
		if (idx >= table_len)
			return malformed(q, err,
					 "descriptor index %u is outside the %s table of %u", idx,
					 in_indirect ? "indirect" : "queue", table_len);
		if (steps_left-- == 0)
			return malformed(q, err,
					 "descriptor chain from head %u is longer than %u "
					 "(a loop?)",
					 head, in_indirect ? table_len : q->size);
		struct virtq_desc d;
		copy_from_guest(&d, table + 16u * idx, sizeof(d));

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return malformed(q, err,
						 "indirect descriptor without "
						 "VIRTIO_RING_F_INDIRECT_DESC");
			if (in_indirect)
				return malformed(q, err,
						 "indirect descriptor inside an indirect "
						 "table");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return malformed(q, err, "indirect descriptor %u also has NEXT set",
						 idx);
			if (d.len == 0 || d.len % 16 != 0 || d.len / 16 > VIRTQ_MAX_CHAIN)
				return malformed(q, err,
						 "indirect table length %u is not a "
						 "multiple of 16 in 16..%u",
						 d.len, 16 * VIRTQ_MAX_CHAIN);
			const uint8_t *t = gpa_slice(q->mem, d.addr, d.len);
			if (t == NULL)
				return malformed(q, err,
						 "indirect table [0x%llx, +%u) is not inside "
						 "guest RAM",
						 (unsigned long long)d.addr, d.len);
			table = t;
			table_len = d.len / 16;
			steps_left = table_len;
			in_indirect = true;
			idx = 0;
			continue;
		}

		void *p = gpa_slice(q->mem, d.addr, d.len);
		if (p == NULL)
			return malformed(q, err, "buffer [0x%llx, +%u) is not inside guest RAM",
					 (unsigned long long)d.addr, d.len);
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			seen_write = true;
		} else if (seen_write) {
			return malformed(q, err, "readable descriptor %u after a writable one",
					 idx);
		}
		/* Zero-length buffers carry nothing; they use no iovec. */
		if (d.len != 0) {
			if (nseg == VIRTQ_MAX_CHAIN)
				return malformed(q, err, "chain has more than %u buffers",
						 VIRTQ_MAX_CHAIN);
			e->iov[nseg].iov_base = p;
			e->iov[nseg].iov_len = d.len;
			nseg++;
			if (d.flags & VIRTQ_DESC_F_WRITE) {
				e->n_write++;
				e->write_len += d.len;
			} else {
				e->n_read++;
				e->read_len += d.len;
			}
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

/* §2.6.7.2 / 2.6.10: asks for a notification at the driver's next buffer
 * (EVENT_IDX), then reads avail->idx again, since the driver may have added
 * one before it saw avail_event. Until this runs, avail_event stays behind
 * and the driver does not kick us. Runs under q->lock. */
static uint16_t rearm_locked(struct virtq *q)
{
	if (q->event_idx) {
		__atomic_store_n(avail_event_p(q), q->last_avail, __ATOMIC_RELAXED);
		/* Our store must be visible before we read avail->idx
		 * (store-load ordering needs a full fence). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	return __atomic_load_n(avail_idx_p(q), __ATOMIC_ACQUIRE);
}

int virtq_pop(struct virtq *q, struct virtq_elem *e, mvm_error **err)
{
	pthread_mutex_lock(&q->lock);
	int rc;
	if (!q->ready) {
		rc = 0;
		goto out;
	}
	if (q->broken) {
		rc = mvm_err(err, MVM_ERR_GUEST, 0, "virtqueue is broken");
		goto out;
	}
	/* Acquire: the ring entry and descriptors are read after the index. */
	uint16_t avail_idx = __atomic_load_n(avail_idx_p(q), __ATOMIC_ACQUIRE);
	/* Going idle: ask for a kick at the next buffer (see rearm_locked). */
	if (avail_idx == q->last_avail && q->event_idx)
		avail_idx = rearm_locked(q);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	if (pending == 0) {
		rc = 0;
		goto out;
	}
	if (pending > q->size) {
		rc = malformed(q, err, "available index moved by %u, more than the queue size %u",
			       pending, q->size);
		goto out;
	}
	uint16_t head = __atomic_load_n(avail_ring_p(q, q->last_avail % q->size), __ATOMIC_RELAXED);
	rc = walk_chain(q, head, e, err);
	if (rc == 0) {
		e->generation = q->generation;
		q->last_avail++;
		rc = 1;
	}
out:
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void virtq_unpop(struct virtq *q, const struct virtq_elem *e)
{
	pthread_mutex_lock(&q->lock);
	if (q->ready && e->generation == q->generation)
		q->last_avail--;
	pthread_mutex_unlock(&q->lock);
}

void virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len)
{
	pthread_mutex_lock(&q->lock);
	if (q->ready && e->generation == q->generation) {
		if (len > e->write_len)
			len = (uint32_t)e->write_len;
		struct virtq_used_elem *u = used_ring_p(q, q->used_idx % q->size);
		__atomic_store_n(&u->id, e->head, __ATOMIC_RELAXED);
		__atomic_store_n(&u->len, len, __ATOMIC_RELAXED);
		q->used_idx++;
		/* Release: the element is visible before the index that covers it. */
		__atomic_store_n(used_idx_p(q), q->used_idx, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&q->lock);
}

void virtq_push_many(struct virtq *q, struct virtq_elem *const *elems, const uint32_t *lens,
		     unsigned n)
{
	pthread_mutex_lock(&q->lock);
	bool any = false;
	for (unsigned i = 0; i < n && q->ready; i++) {
		const struct virtq_elem *e = elems[i];
		if (e->generation != q->generation)
			continue;
		uint32_t len = lens[i] > e->write_len ? (uint32_t)e->write_len : lens[i];
		struct virtq_used_elem *u = used_ring_p(q, q->used_idx % q->size);
		__atomic_store_n(&u->id, e->head, __ATOMIC_RELAXED);
		__atomic_store_n(&u->len, len, __ATOMIC_RELAXED);
		q->used_idx++;
		any = true;
	}
	if (any)
		__atomic_store_n(used_idx_p(q), q->used_idx, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&q->lock);
}

bool virtq_should_signal(struct virtq *q)
{
	pthread_mutex_lock(&q->lock);
	bool want = false;
	if (!q->ready)
		goto out;
	uint16_t old = q->signalled_used, now = q->used_idx;
	bool valid = q->signalled_valid;
	q->signalled_used = now;
	q->signalled_valid = true;
	/* Our used->idx store must be visible before we read the driver's
	 * used_event/flags (store-load ordering needs a full fence). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t event = __atomic_load_n(used_event_p(q), __ATOMIC_RELAXED);
		want = (!valid && now != old) || virtq_need_event(event, now, old);
	} else {
		uint16_t flags = __atomic_load_n((uint16_t *)q->avail, __ATOMIC_RELAXED);
		want = !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
out:
	pthread_mutex_unlock(&q->lock);
	return want;
}

bool virtq_arm_more_avail(struct virtq *q)
{
	pthread_mutex_lock(&q->lock);
	bool more = q->ready && !q->broken && rearm_locked(q) != q->last_avail;
	pthread_mutex_unlock(&q->lock);
	return more;
}

bool virtq_is_ready(struct virtq *q)
{
	pthread_mutex_lock(&q->lock);
	bool r = q->ready;
	pthread_mutex_unlock(&q->lock);
	return r;
}

bool virtq_is_broken(struct virtq *q)
{
	pthread_mutex_lock(&q->lock);
	bool r = q->broken;
	pthread_mutex_unlock(&q->lock);
	return r;
}

void virtq_set_broken(struct virtq *q)
{
	pthread_mutex_lock(&q->lock);
	q->broken = true;
	pthread_mutex_unlock(&q->lock);
}

size_t virtq_elem_fill(struct virtq_elem *e, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	size_t done = 0;
	struct iovec *iov = virtq_elem_write_iov(e);
	for (unsigned i = 0; i < e->n_write && done < len; i++) {
		size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy(iov[i].iov_base, src + done, n);
		done += n;
	}
	return done;
}

size_t virtq_elem_gather(const struct virtq_elem *e, void *buf, size_t len)
{
	uint8_t *dst = buf;
	size_t done = 0;
	for (unsigned i = 0; i < e->n_read && done < len; i++) {
		size_t n = e->iov[i].iov_len < len - done ? e->iov[i].iov_len : len - done;
		memcpy(dst + done, e->iov[i].iov_base, n);
		done += n;
	}
	return done;
}
