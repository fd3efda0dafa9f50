/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng fills the guest's writable buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/rng.h"

#include <string.h>

#define BUF 0x400000ull

struct fixture {
	struct fake_guest g;
	struct virtio_host host;
	struct virtio_mmio *m;
	struct fake_vq vq;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fg_init(&f->g);
	f->host = (struct virtio_host){.mem = &f->g.mem, .vm_fd = -1};
	f->m =
	    virtio_mmio_new(&virtio_rng_ops, virtio_rng_new(NULL), &f->host, 0xd0000000, 6, NULL);
	assert_non_null(f->m);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_DEVICE_ID), 4);
	assert_int_equal(mmio_bring_up(f->m, FG_ALL_RING_FEATURES, &f->vq, 1, 8), 0xf);
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

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void fills_buffers(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
	fvq_desc(&f->g, &f->vq, 1, BUF + 0x100, 32, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	fvq_desc(&f->g, &f->vq, 2, BUF + 0x200, 32, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	fvq_publish(&f->g, &f->vq, 1);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq), 2);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq, 0).len, 64);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq, 1).len, 64);
	/* 2^-256 chance of a false failure per buffer. */
	assert_false(all_zero(fg_ptr(&f->g, BUF), 32));
	assert_false(all_zero(fg_ptr(&f->g, BUF + 0x100), 32));
	assert_false(all_zero(fg_ptr(&f->g, BUF + 0x200), 32));
	assert_memory_not_equal(fg_ptr(&f->g, BUF), fg_ptr(&f->g, BUF + 0x100), 32);
	/* Bytes beyond the buffer are untouched. */
	assert_true(all_zero(fg_ptr(&f->g, BUF + 64), 0x100 - 64));
	assert_true(virtio_mmio_irq_count(f->m) >= 1);
}

static void large_request_is_bounded(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 1u << 20, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq, 0).len, 65536);
	assert_true(all_zero(fg_ptr(&f->g, BUF + 65536), 4096));
}

static void readable_only_request_gets_nothing(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 16, 0, 0);
	fvq_publish(&f->g, &f->vq, 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq), 1);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq, 0).len, 0);
	assert_true(all_zero(fg_ptr(&f->g, BUF), 16));
}

static void hostile_buffer_breaks_device(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, FG_RAM_GPA + FG_RAM_SIZE - 8, 64, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq), 0);
	assert_true(mmio_rd(f->m, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(fills_buffers),
	    T(large_request_is_bounded),
	    T(readable_only_request_gets_nothing),
	    T(hostile_buffer_breaks_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
