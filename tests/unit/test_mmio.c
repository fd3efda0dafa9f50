/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-mmio v2 register semantics, driven like a Linux driver would, with
 * a small echo device as the test double behind the ops table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_guest.h"
#include "util/error.h"
#include "virtio/mmio.h"

#include <string.h>

#define ECHO_FEATURE_BIT 3
#define ECHO_QSIZE 16
#define BUF 0x400000ull
#define ST_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define ST_DRV VIRTIO_CONFIG_S_DRIVER
#define ST_FOK VIRTIO_CONFIG_S_FEATURES_OK
#define ST_DOK VIRTIO_CONFIG_S_DRIVER_OK

struct echo {
	int activations, resets, freed;
	int notifies[2];
	uint8_t config[10];
	uint8_t written[10];
	struct virtq_elem elem;
	int *freed_flag;
};

/* Echoes readable bytes of each chain on queue 0 into its writable ones. */
static void echo_notify(struct virtio_dev *d, uint16_t q)
{
	struct echo *e = virtio_dev_priv(d);
	e->notifies[q]++;
	if (q != 0)
		return;
	bool pushed = false;
	while (virtio_dev_pop(d, 0, &e->elem) == 1) {
		uint8_t tmp[256];
		size_t n = virtq_elem_gather(&e->elem, tmp, sizeof(tmp));
		virtio_dev_push(d, 0, &e->elem, (uint32_t)virtq_elem_fill(&e->elem, tmp, n));
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal_used(d, 0);
}

static int echo_activate(struct virtio_dev *d, mvm_error **err)
{
	((struct echo *)virtio_dev_priv(d))->activations++;
	return 0;
}

static void echo_reset(struct virtio_dev *d)
{
	((struct echo *)virtio_dev_priv(d))->resets++;
}

static void echo_read_config(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	struct echo *e = virtio_dev_priv(d);
	memcpy(buf, e->config + off, len);
}

static void echo_write_config(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	struct echo *e = virtio_dev_priv(d);
	memcpy(e->written + off, buf, len);
}

static void echo_free(void *priv)
{
	struct echo *e = priv;
	if (e->freed_flag)
		*e->freed_flag = 1;
	free(e);
}

static const struct virtio_dev_ops echo_ops = {
    .name = "echo",
    .device_id = 42,
    .features = VIRTIO_BIT(ECHO_FEATURE_BIT),
    .num_queues = 2,
    .queue_max_size = ECHO_QSIZE,
    .config_size = 10,
    .read_config = echo_read_config,
    .write_config = echo_write_config,
    .activate = echo_activate,
    .notify = echo_notify,
    .reset = echo_reset,
    .free = echo_free,
};

struct fixture {
	struct fake_guest g;
	struct virtio_host host;
	struct virtio_mmio *m;
	struct echo *e;
	struct fake_vq vq[2];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fg_init(&f->g);
	f->host = (struct virtio_host){.mem = &f->g.mem, .vm_fd = -1};
	f->e = calloc(1, sizeof(*f->e));
	for (int i = 0; i < 10; i++)
		f->e->config[i] = (uint8_t)(0xa0 + i);
	f->m = virtio_mmio_new(&echo_ops, f->e, &f->host, 0xd0000000, 5, NULL);
	assert_non_null(f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	virtio_mmio_free(f->m);
	fg_fini(&f->g);
	free(f);
	return 0;
}

/* A device with shared memory region 3 only, as virtio-fs has region 0. */
static bool shm_region3(struct virtio_dev *d, uint8_t id, uint64_t *gpa, uint64_t *len)
{
	if (id != 3)
		return false;
	*gpa = 0x1234567890000ull;
	*len = 0x240000000ull;
	return true;
}

static void shm_regions(void **state)
{
	struct fixture *f = *state;
	struct virtio_dev_ops ops = echo_ops;
	ops.shm_region = shm_region3;
	struct echo *e = calloc(1, sizeof(*e));
	struct virtio_mmio *m = virtio_mmio_new(&ops, e, &f->host, 0xd0001000, 6, NULL);
	assert_non_null(m);
	mmio_wr(m, VIRTIO_MMIO_SHM_SEL, 3);
	assert_int_equal(mmio_rd(m, VIRTIO_MMIO_SHM_LEN_LOW), 0x40000000u);
	assert_int_equal(mmio_rd(m, VIRTIO_MMIO_SHM_LEN_HIGH), 0x2u);
	assert_int_equal(mmio_rd(m, VIRTIO_MMIO_SHM_BASE_LOW), 0x67890000u);
	assert_int_equal(mmio_rd(m, VIRTIO_MMIO_SHM_BASE_HIGH), 0x12345u);
	/* Any other id, one past u8 included, has no region. */
	uint32_t others[] = {0, 2, 4, 255, 256 + 3, 0xffffffffu};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		mmio_wr(m, VIRTIO_MMIO_SHM_SEL, others[i]);
		assert_int_equal(mmio_rd(m, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
		assert_int_equal(mmio_rd(m, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffffu);
		assert_int_equal(mmio_rd(m, VIRTIO_MMIO_SHM_BASE_LOW), 0xffffffffu);
	}
	virtio_mmio_free(m);
}

static uint32_t status(struct fixture *f)
{
	return mmio_rd(f->m, VIRTIO_MMIO_STATUS);
}

static void identity_registers(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_DEVICE_ID), 42);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	assert_int_equal(status(f), 0);
	/* No shared memory regions: length ~0 tells Linux so. */
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffffu);
}

static void device_features(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = mmio_device_features(f->m);
	assert_int_equal(feat, FG_ALL_RING_FEATURES | VIRTIO_BIT(ECHO_FEATURE_BIT));
	mmio_wr(f->m, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

static void negotiate(struct fixture *f, uint64_t features)
{
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV);
	mmio_set_features(f->m, features);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV | ST_FOK);
}

static void features_ok_needs_version_1(void **state)
{
	struct fixture *f = *state;
	negotiate(f, VIRTIO_BIT(ECHO_FEATURE_BIT)); /* a legacy driver */
	assert_int_equal(status(f), ST_ACK | ST_DRV);
	/* And DRIVER_OK is then refused too. */
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV | ST_DOK);
	assert_int_equal(status(f), ST_ACK | ST_DRV);
	assert_int_equal(f->e->activations, 0);
}

static void features_ok_refuses_unoffered_bits(void **state)
{
	struct fixture *f = *state;
	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(5));
	assert_false(status(f) & ST_FOK);
}

static void features_ok_accepts_subset(void **state)
{
	struct fixture *f = *state;
	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(ECHO_FEATURE_BIT));
	assert_int_equal(status(f), ST_ACK | ST_DRV | ST_FOK);
	/* Features are frozen after FEATURES_OK. */
	mmio_wr(f->m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_wr(f->m, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_int_equal(virtio_dev_features(virtio_mmio_dev(f->m)),
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(ECHO_FEATURE_BIT));
}

static void driver_features_need_driver_bit(void **state)
{
	struct fixture *f = *state;
	mmio_set_features(f->m, FG_ALL_RING_FEATURES); /* status 0: ignored */
	assert_int_equal(virtio_dev_features(virtio_mmio_dev(f->m)), 0);
}

static void status_cannot_clear_bits_or_skip_features_ok(void **state)
{
	struct fixture *f = *state;
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK);
	assert_int_equal(status(f), ST_ACK | ST_DRV);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV | ST_DOK);
	assert_int_equal(status(f), ST_ACK | ST_DRV);
	assert_int_equal(f->e->activations, 0);
}

static void full_bring_up_and_reset(void **state)
{
	struct fixture *f = *state;
	uint32_t st = mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, ECHO_QSIZE);
	assert_int_equal(st, ST_ACK | ST_DRV | ST_FOK | ST_DOK);
	assert_int_equal(f->e->activations, 1);
	/* Kicks before DRIVER_OK were dropped, so every queue is looked at. */
	assert_int_equal(f->e->notifies[0], 1);
	assert_int_equal(f->e->notifies[1], 1);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 1);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_NUM), ECHO_QSIZE);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)f->vq[1].desc);

	int resets_before = f->e->resets;
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(status(f), 0);
	assert_int_equal(f->e->resets, resets_before + 1);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(virtio_dev_features(virtio_mmio_dev(f->m)), 0);
	/* A second bring-up works after reset. */
	st = mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, ECHO_QSIZE);
	assert_int_equal(st, ST_ACK | ST_DRV | ST_FOK | ST_DOK);
	assert_int_equal(f->e->activations, 2);
}

static void queue_setup_only_in_allowed_states(void **state)
{
	struct fixture *f = *state;
	fvq_layout(&f->vq[0], 8, 0x200000);
	/* Before FEATURES_OK: ignored. */
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV);
	mmio_setup_queue(f->m, 0, &f->vq[0]);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_NUM), ECHO_QSIZE);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	/* Queue index beyond num_queues: QueueNumMax 0, nothing sticks. */
	mmio_set_features(f->m, FG_ALL_RING_FEATURES);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV | ST_FOK);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_NUM_MAX), ECHO_QSIZE);
	/* Allowed now. */
	mmio_setup_queue(f->m, 0, &f->vq[0]);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 1);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_NUM), 8);
	/* While ready: the address cannot change under the device. */
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x12340000);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)f->vq[0].desc);
	/* QueueReady=0 takes the queue down (Linux's vm_del_vq checks this). */
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void bad_queue_marks_needs_reset(void **state)
{
	struct fixture *f = *state;
	negotiate(f, FG_ALL_RING_FEATURES);
	struct fake_vq vq;
	fvq_layout(&vq, 8, FG_RAM_GPA + FG_RAM_SIZE); /* rings outside RAM */
	mmio_setup_queue(f->m, 0, &vq);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(status(f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* DRIVER_OK does not activate a broken device. */
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV | ST_FOK | ST_DOK);
	assert_int_equal(f->e->activations, 0);
	/* Reset clears it. */
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(status(f), 0);
}

static void queue_num_above_max_is_refused(void **state)
{
	struct fixture *f = *state;
	negotiate(f, FG_ALL_RING_FEATURES);
	struct fake_vq vq;
	fvq_layout(&vq, 32, 0x200000);
	mmio_setup_queue(f->m, 0, &vq);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(status(f) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void config_space_access(void **state)
{
	struct fixture *f = *state;
	uint8_t b[8];
	memset(b, 0xee, sizeof(b));
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 3, b, 1, false);
	assert_int_equal(b[0], 0xa3);
	uint16_t w = 0;
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 1, &w, 2, false); /* odd offset */
	assert_int_equal(w, 0xa2a1);
	uint64_t q = 0;
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 2, &q, 8, false);
	assert_int_equal(q, 0xa9a8a7a6a5a4a3a2ull);
	/* Straddling the end, or beyond it: zeros. */
	uint32_t l = 0xffffffff;
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 8, &l, 4, false);
	assert_int_equal(l, 0);
	l = 0xffffffff;
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 0x200, &l, 4, false);
	assert_int_equal(l, 0);
	l = 0xffffffff;
	virtio_mmio_access(f->m, VIRTIO_MMIO_SIZE - 2, &l, 4, false);
	assert_int_equal(l, 0); /* straddles the window end */
	l = 0xffffffff;
	virtio_mmio_access(f->m, VIRTIO_MMIO_SIZE, &l, 4, false);
	assert_int_equal(l, 0xffffffff); /* not ours: untouched */
	/* Writes inside reach the device; beyond are dropped. */
	uint16_t v = 0x1234;
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 8, &v, 2, true);
	assert_int_equal(f->e->written[8], 0x34);
	assert_int_equal(f->e->written[9], 0x12);
	uint32_t big = 0x55555555;
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 8, &big, 4, true);
	assert_int_equal(f->e->written[8], 0x34);
	/* len 0 and len > 8 are ignored. */
	uint8_t huge[16];
	memset(huge, 0x77, sizeof(huge));
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG, huge, 16, false);
	assert_int_equal(huge[0], 0x77);
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG, huge, 0, false);
	assert_int_equal(huge[0], 0x77);
}

static void registers_need_aligned_32bit_access(void **state)
{
	struct fixture *f = *state;
	uint16_t w = 0xffff;
	virtio_mmio_access(f->m, VIRTIO_MMIO_MAGIC_VALUE, &w, 2, false);
	assert_int_equal(w, 0);
	uint32_t l = 0xffffffff;
	virtio_mmio_access(f->m, VIRTIO_MMIO_MAGIC_VALUE + 1, &l, 4, false);
	assert_int_equal(l, 0);
	uint8_t s = ST_ACK;
	virtio_mmio_access(f->m, VIRTIO_MMIO_STATUS, &s, 1, true);
	assert_int_equal(status(f), 0);
	/* Unknown and read-only registers ignore writes. */
	mmio_wr(f->m, VIRTIO_MMIO_MAGIC_VALUE, 0);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	mmio_wr(f->m, 0x0d0, 1);
	assert_int_equal(mmio_rd(f->m, 0x0d0), 0);
}

static uint16_t echo_request(struct fixture *f, uint16_t head, const char *msg)
{
	size_t len = strlen(msg);
	uint64_t buf = BUF + 0x100ull * head;
	memcpy(fg_ptr(&f->g, buf), msg, len);
	fvq_desc(&f->g, &f->vq[0], head, buf, (uint32_t)len, VIRTQ_DESC_F_NEXT,
		 (uint16_t)(head + 1));
	fvq_desc(&f->g, &f->vq[0], (uint16_t)(head + 1), buf + 0x80, 64, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq[0], head);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	return fvq_used_idx(&f->g, &f->vq[0]);
}

static void notify_and_interrupt(void **state)
{
	struct fixture *f = *state;
	/* Without EVENT_IDX, every used buffer interrupts. */
	mmio_bring_up(f->m, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->vq, 2, ECHO_QSIZE);
	assert_int_equal(virtio_mmio_irq_count(f->m), 0);
	assert_int_equal(echo_request(f, 0, "ping"), 1);
	struct virtq_used_elem u = fvq_used_elem(&f->g, &f->vq[0], 0);
	assert_int_equal(u.id, 0);
	assert_int_equal(u.len, 4);
	assert_memory_equal(fg_ptr(&f->g, BUF + 0x80), "ping", 4);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(virtio_mmio_irq_count(f->m), 1);
	mmio_wr(f->m, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(echo_request(f, 2, "pong"), 2);
	assert_int_equal(virtio_mmio_irq_count(f->m), 2);
	/* QueueNotify of a queue that does not exist: nothing happens. */
	int n0 = f->e->notifies[0], n1 = f->e->notifies[1];
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	assert_int_equal(f->e->notifies[0] + f->e->notifies[1], n0 + n1);
}

static void notify_before_driver_ok_is_dropped(void **state)
{
	struct fixture *f = *state;
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(f->e->notifies[0], 0);
}

static void event_idx_suppresses_irqs(void **state)
{
	struct fixture *f = *state;
	mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, ECHO_QSIZE);
	fvq_set_used_event(&f->g, &f->vq[0], 0);
	assert_int_equal(echo_request(f, 0, "a"), 1);
	assert_int_equal(virtio_mmio_irq_count(f->m), 1);
	/* used_event still 0: the driver is polling, no more interrupts. */
	assert_int_equal(echo_request(f, 2, "b"), 2);
	assert_int_equal(echo_request(f, 4, "c"), 3);
	assert_int_equal(virtio_mmio_irq_count(f->m), 1);
	/* Driver re-arms for the next entry (index 3). */
	fvq_set_used_event(&f->g, &f->vq[0], 3);
	assert_int_equal(echo_request(f, 6, "d"), 4);
	assert_int_equal(virtio_mmio_irq_count(f->m), 2);
	/* And the device asked for a kick at the next buffer when it idled. */
	assert_int_equal(fvq_avail_event(&f->g, &f->vq[0]), 4);
}

static void malformed_chain_breaks_device(void **state)
{
	struct fixture *f = *state;
	mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, ECHO_QSIZE);
	fvq_desc(&f->g, &f->vq[0], 0, BUF, 4, VIRTQ_DESC_F_NEXT, 0); /* self loop */
	fvq_publish(&f->g, &f->vq[0], 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_true(status(f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_true(mmio_rd(f->m, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[0]), 0);
	/* The status write-back of a driver keeps NEEDS_RESET. */
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, ST_ACK | ST_DRV | ST_FOK | ST_DOK);
	assert_true(status(f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* After a reset and a new bring-up, the device works again. */
	memset(fg_ptr(&f->g, 0x200000), 0, 0x80000);
	uint32_t st = mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, ECHO_QSIZE);
	assert_int_equal(st, ST_ACK | ST_DRV | ST_FOK | ST_DOK);
	assert_int_equal(echo_request(f, 0, "ok"), 1);
}

static void config_changed_bumps_generation(void **state)
{
	struct fixture *f = *state;
	mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, ECHO_QSIZE);
	uint32_t g0 = mmio_rd(f->m, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_dev_config_changed(virtio_mmio_dev(f->m));
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_CONFIG_GENERATION), g0 + 1);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
}

static void cmdline_fragment(void **state)
{
	struct fixture *f = *state;
	char buf[128];
	int n = virtio_mmio_cmdline(f->m, buf, sizeof(buf));
	assert_string_equal(buf, "virtio_mmio.device=4K@0xd0000000:5");
	assert_int_equal(n, (int)strlen(buf));
	char small[8];
	assert_true(virtio_mmio_cmdline(f->m, small, sizeof(small)) >= (int)sizeof(small));
}

static void new_rejects_bad_ops_and_frees_priv(void **state)
{
	(void)state;
	struct virtio_dev_ops bad = echo_ops;
	bad.queue_max_size = 24; /* not a power of two */
	struct virtio_host host = {.vm_fd = -1};
	struct echo *e = calloc(1, sizeof(*e));
	int freed = 0;
	e->freed_flag = &freed;
	mvm_error *err = NULL;
	assert_null(virtio_mmio_new(&bad, e, &host, 0xd0000000, 5, &err));
	assert_non_null(err);
	assert_non_null(strstr(mvm_error_get_message(err), "power"));
	mvm_error_free(err);
	assert_int_equal(freed, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(identity_registers),
	    T(shm_regions),
	    T(device_features),
	    T(features_ok_needs_version_1),
	    T(features_ok_refuses_unoffered_bits),
	    T(features_ok_accepts_subset),
	    T(driver_features_need_driver_bit),
	    T(status_cannot_clear_bits_or_skip_features_ok),
	    T(full_bring_up_and_reset),
	    T(queue_setup_only_in_allowed_states),
	    T(bad_queue_marks_needs_reset),
	    T(queue_num_above_max_is_refused),
	    T(config_space_access),
	    T(registers_need_aligned_32bit_access),
	    T(notify_and_interrupt),
	    T(notify_before_driver_ok_is_dropped),
	    T(event_idx_suppresses_irqs),
	    T(malformed_chain_breaks_device),
	    T(config_changed_bumps_generation),
	    T(cmdline_fragment),
	    cmocka_unit_test(new_rejects_bad_ops_and_frees_priv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
