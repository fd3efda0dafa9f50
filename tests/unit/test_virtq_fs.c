/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-fs device: config space, and requests dispatched to a fake FUSE
 * handler from several worker threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_guest.h"
#include "util/error.h"
#include "virtio/fs.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#define QS 16
#define REQ_Q 1
#define BUF 0x400000ull
#define NREQ 8

struct fake_server {
	pthread_mutex_t lock;
	int in_flight, max_in_flight, calls;
	pthread_t threads[64];
	int n_threads;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Request: u32 id, u32 sleep_ms. Reply: "r" + id, or -1 for id 0xdead. */
static ssize_t fake_handle(void *ctx, const struct iovec *in, int n_in, const struct iovec *out,
			   int n_out)
{
	struct fake_server *s = ctx;
	uint32_t req[2] = {0, 0};
	if (n_in < 1 || in[0].iov_len < 8 || n_out < 1 || out[0].iov_len < 5)
		return -1;
	memcpy(req, in[0].iov_base, 8);
	pthread_mutex_lock(&s->lock);
	s->calls++;
	if (++s->in_flight > s->max_in_flight)
		s->max_in_flight = s->in_flight;
	bool known = false;
	for (int i = 0; i < s->n_threads; i++)
		known |= pthread_equal(s->threads[i], pthread_self());
	if (!known && s->n_threads < 64)
		s->threads[s->n_threads++] = pthread_self();
	pthread_mutex_unlock(&s->lock);
	sleep_ms((int)req[1]);
	pthread_mutex_lock(&s->lock);
	s->in_flight--;
	pthread_mutex_unlock(&s->lock);
	if (req[0] == 0xdead)
		return -1;
	uint8_t *o = out[0].iov_base;
	o[0] = 'r';
	memcpy(o + 1, &req[0], 4);
	return 5;
}

struct fixture {
	struct fake_guest g;
	struct virtio_host host;
	struct virtio_mmio *m;
	struct fake_vq vq[2];
	struct fake_server srv;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fg_init(&f->g);
	pthread_mutex_init(&f->srv.lock, NULL);
	f->host = (struct virtio_host){.mem = &f->g.mem, .vm_fd = -1};
	struct virtio_fs_params p = {
	    .tag = "/dev/root", .num_workers = 4, .handle = fake_handle, .ctx = &f->srv};
	struct virtio_fs *fs = virtio_fs_new(&p, NULL);
	assert_non_null(fs);
	f->m = virtio_mmio_new(virtio_fs_ops(fs), fs, &f->host, 0xd0001000, 7, NULL);
	assert_non_null(f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	virtio_mmio_free(f->m);
	pthread_mutex_destroy(&f->srv.lock);
	fg_fini(&f->g);
	free(f);
	return 0;
}

static void submit(struct fixture *f, uint16_t slot, uint32_t id, uint32_t ms)
{
	uint64_t buf = BUF + 0x100ull * slot;
	uint32_t req[2] = {id, ms};
	memcpy(fg_ptr(&f->g, buf), req, 8);
	uint16_t d = (uint16_t)(2 * slot);
	fvq_desc(&f->g, &f->vq[REQ_Q], d, buf, 8, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
	fvq_desc(&f->g, &f->vq[REQ_Q], (uint16_t)(d + 1), buf + 0x80, 16, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq[REQ_Q], d);
}

static bool wait_used(struct fixture *f, uint16_t n)
{
	for (int i = 0; i < 5000; i++) {
		if (fvq_used_idx(&f->g, &f->vq[REQ_Q]) >= n)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void config_space(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_DEVICE_ID), 26);
	char tag[37] = {0};
	for (int i = 0; i < 36; i += 4) {
		uint32_t v = mmio_rd(f->m, VIRTIO_MMIO_CONFIG + (uint64_t)i);
		memcpy(tag + i, &v, 4);
	}
	assert_string_equal(tag, "/dev/root");
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_CONFIG + 36), 1); /* num_request_queues */
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_CONFIG + 40), 0); /* beyond */
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_QUEUE_NUM_MAX), 0); /* hiprio + 1 */
}

static void requests_run_concurrently(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, QS), 0xf);
	for (uint16_t i = 0; i < NREQ; i++)
		submit(f, i, 100 + i, 40);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, REQ_Q);
	assert_true(wait_used(f, NREQ));
	assert_int_equal(f->srv.calls, NREQ);
	assert_true(f->srv.max_in_flight >= 2);
	assert_true(f->srv.n_threads >= 2);
	/* Every request got its own reply, in whatever order they finished. */
	bool seen[NREQ] = {false};
	for (uint16_t i = 0; i < NREQ; i++) {
		struct virtq_used_elem u = fvq_used_elem(&f->g, &f->vq[REQ_Q], i);
		assert_int_equal(u.len, 5);
		assert_true(u.id % 2 == 0 && u.id / 2 < NREQ);
		uint16_t slot = (uint16_t)(u.id / 2);
		assert_false(seen[slot]);
		seen[slot] = true;
		uint8_t *r = fg_ptr(&f->g, BUF + 0x100ull * slot + 0x80);
		uint32_t id;
		memcpy(&id, r + 1, 4);
		assert_int_equal(r[0], 'r');
		assert_int_equal(id, 100u + slot);
	}
	assert_true(virtio_mmio_irq_count(f->m) >= 1);
}

/* The driver side of §2.6.10 with EVENT_IDX: after publishing, kick only
 * if the device asked for a notification within the new entries. */
static void driver_kick_if_asked(struct fixture *f, uint16_t old_idx)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t event = fvq_avail_event(&f->g, &f->vq[REQ_Q]);
	if (virtq_need_event(event, f->vq[REQ_Q].avail_idx, old_idx))
		mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, REQ_Q);
}

/* Brings the device up with every ring feature and starts a request that
 * takes `ms`; returns once a worker handles it. */
static void start_one_request(struct fixture *f, uint32_t ms)
{
	assert_int_equal(mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, QS), 0xf);
	submit(f, 0, 1, ms);
	driver_kick_if_asked(f, 0);
	for (int i = 0; i < 1000 && __atomic_load_n(&f->srv.in_flight, __ATOMIC_SEQ_CST) == 0; i++)
		sleep_ms(1);
	assert_int_equal(f->srv.in_flight, 1);
}

/* Requests come one after another, each published while the one before
 * is still being handled, by a driver that kicks only when avail_event
 * asks for it: every one is served, kicked or not. */
static void chains_added_while_busy_are_all_served(void **state)
{
	struct fixture *f = *state;
	start_one_request(f, 60);
	for (uint16_t i = 1; i < 6; i++) {
		uint16_t old = f->vq[REQ_Q].avail_idx;
		submit(f, i, 1 + i, i == 5 ? 0 : 20);
		driver_kick_if_asked(f, old);
	}
	assert_true(wait_used(f, 6));
	assert_int_equal(f->srv.calls, 6);
	/* Idle again: avail_event points at the next chain, so the driver's
	 * next one is kicked. */
	assert_int_equal(fvq_avail_event(&f->g, &f->vq[REQ_Q]), 6);
}

/* One slow request in flight must not hold up the next: the queue is
 * armed again while the slow one is handled, so the driver kicks for the
 * next chain and another worker takes it. */
static void a_chain_added_during_a_slow_one_runs_beside_it(void **state)
{
	struct fixture *f = *state;
	start_one_request(f, 3000);
	submit(f, 1, 2, 0);
	driver_kick_if_asked(f, 1);
	for (int i = 0; i < 1000 && fvq_used_idx(&f->g, &f->vq[REQ_Q]) < 1; i++)
		sleep_ms(1);
	/* The fast one is done while the slow one still runs. */
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[REQ_Q]), 1);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[REQ_Q], 0).id, 2);
	assert_int_equal(__atomic_load_n(&f->srv.in_flight, __ATOMIC_SEQ_CST), 1);
	assert_true(wait_used(f, 2));
}

static void unanswerable_request_returns_zero_bytes(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, QS), 0xf);
	submit(f, 0, 0xdead, 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, REQ_Q);
	assert_true(wait_used(f, 1));
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[REQ_Q], 0).len, 0);
}

static void requests_before_driver_ok_are_served_on_activation(void **state)
{
	struct fixture *f = *state;
	/* Queue buffers that exist before DRIVER_OK; the kick is dropped. */
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 1);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 3);
	mmio_set_features(f->m, FG_ALL_RING_FEATURES);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0xb);
	for (uint16_t i = 0; i < 2; i++) {
		fvq_layout(&f->vq[i], QS, 0x200000ull + 0x40000ull * i);
		mmio_setup_queue(f->m, i, &f->vq[i]);
	}
	submit(f, 0, 1, 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, REQ_Q);
	sleep_ms(20);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[REQ_Q]), 0);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0xf);
	assert_true(wait_used(f, 1));
}

static void reset_waits_for_requests_in_flight(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, QS), 0xf);
	submit(f, 0, 1, 150);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, REQ_Q);
	for (int i = 0; i < 1000 && __atomic_load_n(&f->srv.in_flight, __ATOMIC_SEQ_CST) == 0; i++)
		sleep_ms(1);
	assert_int_equal(f->srv.in_flight, 1);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0);
	/* Reset returned: the request finished and its push was dropped. */
	assert_int_equal(f->srv.in_flight, 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[REQ_Q]), 0);
}

static void bad_params_are_refused(void **state)
{
	(void)state;
	const char *long_tag = "0123456789012345678901234567890123456";
	struct virtio_fs_params cases[] = {
	    {.tag = long_tag, .handle = fake_handle},
	    {.tag = "", .handle = fake_handle},
	    {.tag = NULL, .handle = fake_handle},
	    {.tag = "t", .handle = NULL},
	    {.tag = "t", .handle = fake_handle, .num_workers = 1000},
	    {.tag = "t", .handle = fake_handle, .num_request_queues = 100},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mvm_error *err = NULL;
		assert_null(virtio_fs_new(&cases[i], &err));
		assert_non_null(err);
		mvm_error_free(err);
	}
	/* Exactly 36 bytes is allowed (no NUL in config space). */
	struct virtio_fs_params ok = {.tag = "012345678901234567890123456789012345",
				      .handle = fake_handle};
	struct virtio_fs *fs = virtio_fs_new(&ok, NULL);
	assert_non_null(fs);
	virtio_fs_ops(fs)->free(fs);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(config_space),
	    T(requests_run_concurrently),
	    T(chains_added_while_busy_are_all_served),
	    T(a_chain_added_during_a_slow_one_runs_beside_it),
	    T(unanswerable_request_returns_zero_bytes),
	    T(requests_before_driver_ok_are_served_on_activation),
	    T(reset_waits_for_requests_in_flight),
	    cmocka_unit_test(bad_params_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
