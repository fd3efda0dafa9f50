/* SPDX-License-Identifier: Apache-2.0 */
/* Split virtqueue: chains, indirect tables, EVENT_IDX, and hostile rings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_guest.h"
#include "util/error.h"
#include "virtio/virtq.h"

#include <string.h>

#define QSIZE 8
#define RINGS 0x200000ull
#define BUF 0x300000ull	 /* data buffers */
#define ITAB 0x380000ull /* indirect tables */

struct fixture {
	struct fake_guest g;
	struct fake_vq vq;
	struct virtq q;
	struct virtq_elem *e;
};

static int setup_features(void **state, uint64_t features)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fg_init(&f->g);
	fvq_layout(&f->vq, QSIZE, RINGS);
	virtq_init(&f->q);
	f->e = calloc(1, sizeof(*f->e));
	mvm_error *err = NULL;
	int rc = virtq_setup(&f->q, &f->g.mem, QSIZE, f->vq.desc, f->vq.avail, f->vq.used, features,
			     &err);
	assert_int_equal(rc, 0);
	assert_null(err);
	*state = f;
	return 0;
}

static int setup_all(void **state)
{
	return setup_features(state, FG_ALL_RING_FEATURES);
}

static int setup_plain(void **state)
{
	return setup_features(state, VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	virtq_destroy(&f->q);
	fg_fini(&f->g);
	free(f->e);
	free(f);
	return 0;
}

/* Pops expecting a malformed chain; checks the queue is broken for good. */
static void expect_malformed(struct fixture *f, const char *needle)
{
	mvm_error *err = NULL;
	assert_int_equal(virtq_pop(&f->q, f->e, &err), -1);
	assert_non_null(err);
	if (needle && !strstr(mvm_error_get_message(err), needle))
		fail_msg("error '%s' lacks '%s'", mvm_error_get_message(err), needle);
	mvm_error_free(err);
	assert_true(virtq_is_broken(&f->q));
	err = NULL;
	assert_int_equal(virtq_pop(&f->q, f->e, &err), -1);
	mvm_error_free(err);
}

static void direct_chain_pop_push(void **state)
{
	struct fixture *f = *state;
	memcpy(fg_ptr(&f->g, BUF), "hello", 5);
	memcpy(fg_ptr(&f->g, BUF + 0x100), "world!", 6);
	fvq_desc(&f->g, &f->vq, 3, BUF, 5, VIRTQ_DESC_F_NEXT, 5);
	fvq_desc(&f->g, &f->vq, 5, BUF + 0x100, 6, VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq, 1, BUF + 0x1000, 64, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 3);

	mvm_error *err = NULL;
	assert_int_equal(virtq_pop(&f->q, f->e, &err), 1);
	assert_int_equal(f->e->head, 3);
	assert_int_equal(f->e->n_read, 2);
	assert_int_equal(f->e->n_write, 1);
	assert_int_equal(f->e->read_len, 11);
	assert_int_equal(f->e->write_len, 64);
	assert_ptr_equal(f->e->iov[0].iov_base, fg_ptr(&f->g, BUF));
	assert_ptr_equal(virtq_elem_write_iov(f->e)[0].iov_base, fg_ptr(&f->g, BUF + 0x1000));
	char got[16] = {0};
	assert_int_equal(virtq_elem_gather(f->e, got, sizeof(got)), 11);
	assert_memory_equal(got, "helloworld!", 11);
	assert_int_equal(virtq_elem_fill(f->e, "reply", 5), 5);
	assert_memory_equal(fg_ptr(&f->g, BUF + 0x1000), "reply", 5);

	assert_int_equal(virtq_pop(&f->q, f->e, &err), 0); /* only one chain */
	virtq_push(&f->q, f->e, 5);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq), 1);
	struct virtq_used_elem u = fvq_used_elem(&f->g, &f->vq, 0);
	assert_int_equal(u.id, 3);
	assert_int_equal(u.len, 5);
}

static void push_clamps_len_to_writable(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 16, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	virtq_push(&f->q, f->e, 1000);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq, 0).len, 16);
}

static void indirect_chain(void **state)
{
	struct fixture *f = *state;
	fg_desc_at(&f->g, ITAB, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	fg_desc_at(&f->g, ITAB, 2, BUF + 0x10, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	fg_desc_at(&f->g, ITAB, 1, BUF + 0x20, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_desc(&f->g, &f->vq, 0, ITAB, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	assert_int_equal(f->e->head, 0);
	assert_int_equal(f->e->n_read, 1);
	assert_int_equal(f->e->n_write, 2);
	assert_int_equal(f->e->write_len, 8);
	assert_ptr_equal(f->e->iov[2].iov_base, fg_ptr(&f->g, BUF + 0x20));
}

static void direct_then_indirect(void **state)
{
	struct fixture *f = *state;
	fg_desc_at(&f->g, ITAB, 0, BUF + 0x10, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_desc(&f->g, &f->vq, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq, 1, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	assert_int_equal(f->e->n_read, 1);
	assert_int_equal(f->e->n_write, 1);
}

static void zero_length_buffer_is_skipped(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 0, VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq, 1, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	assert_int_equal(f->e->n_read, 0);
	assert_int_equal(f->e->n_write, 1);
}

static void index_wraps_past_65535(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 70000; i++) {
		fvq_publish(&f->g, &f->vq, 0);
		assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
		virtq_push(&f->q, f->e, 4);
	}
	assert_int_equal(fvq_used_idx(&f->g, &f->vq), (uint16_t)70000);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 0);
	assert_false(virtq_is_broken(&f->q));
}

static void unpop_gives_element_back(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 4, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 4);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	virtq_unpop(&f->q, f->e);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	assert_int_equal(f->e->head, 4);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 0);
}

static void stale_element_after_reset_is_dropped(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	virtq_reset(&f->q);
	assert_int_equal(virtq_setup(&f->q, &f->g.mem, QSIZE, f->vq.desc, f->vq.avail, f->vq.used,
				     FG_ALL_RING_FEATURES, NULL),
			 0);
	virtq_push(&f->q, f->e, 4);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq), 0);
}

/* ---- EVENT_IDX ---- */

static void need_event_math(void **state)
{
	(void)state;
	/* §2.6.7.2: signal when used entry `event` lies in [old, new). */
	assert_true(virtq_need_event(0, 1, 0));
	assert_false(virtq_need_event(1, 1, 0)); /* wants an event after entry 1 */
	assert_true(virtq_need_event(1, 2, 0));
	assert_false(virtq_need_event(5, 4, 2));
	assert_true(virtq_need_event(3, 4, 2));
	assert_true(virtq_need_event(2, 4, 2));	 /* entry 2 was just used */
	assert_false(virtq_need_event(1, 4, 2)); /* entry 1 was signalled before */
	/* wrap-around */
	assert_true(virtq_need_event(0xffff, 1, 0xfffe));
	assert_true(virtq_need_event(0, 1, 0xffff));
	assert_false(virtq_need_event(2, 1, 0xffff));
	assert_false(virtq_need_event(7, 7, 7)); /* nothing new */
}

static void event_idx_suppresses_interrupts(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_set_used_event(&f->g, &f->vq, 0);
	/* First used entry crosses used_event 0: interrupt. */
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	virtq_push(&f->q, f->e, 4);
	assert_true(virtq_should_signal(&f->q));
	/* The driver has not moved used_event: no more interrupts. */
	for (int i = 0; i < 3; i++) {
		fvq_publish(&f->g, &f->vq, 0);
		assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
		virtq_push(&f->q, f->e, 4);
		assert_false(virtq_should_signal(&f->q));
	}
	/* used idx is 4; the driver asks for an event after entry 5. */
	fvq_set_used_event(&f->g, &f->vq, 5);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	virtq_push(&f->q, f->e, 4); /* used idx 5 = entry 4 done */
	assert_false(virtq_should_signal(&f->q));
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	virtq_push(&f->q, f->e, 4); /* used idx 6: entry 5 done */
	assert_true(virtq_should_signal(&f->q));
	/* Nothing pushed since: never signal twice for the same entries. */
	assert_false(virtq_should_signal(&f->q));
}

static void event_idx_publishes_avail_event_when_idle(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	/* Busy: avail_event stays behind, so the driver does not kick. */
	assert_int_equal(fvq_avail_event(&f->g, &f->vq), 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 0);
	/* Idle: ask for a kick at the next buffer. */
	assert_int_equal(fvq_avail_event(&f->g, &f->vq), 2);
}

static void no_interrupt_flag_without_event_idx(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 1);
	virtq_push(&f->q, f->e, 4);
	fvq_set_avail_flags(&f->g, &f->vq, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(virtq_should_signal(&f->q));
	fvq_set_avail_flags(&f->g, &f->vq, 0);
	assert_true(virtq_should_signal(&f->q));
	/* Without EVENT_IDX, avail_event is never written. */
	assert_int_equal(virtq_pop(&f->q, f->e, NULL), 0);
	assert_int_equal(fvq_avail_event(&f->g, &f->vq), 0);
}

static void indirect_rejected_without_feature(void **state)
{
	struct fixture *f = *state;
	fg_desc_at(&f->g, ITAB, 0, BUF, 4, 0, 0);
	fvq_desc(&f->g, &f->vq, 0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "INDIRECT_DESC");
}

/* ---- hostile chains ---- */

static void loop_in_chain(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq, 1, BUF, 4, VIRTQ_DESC_F_NEXT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "longer than");
}

static void self_loop_in_indirect_table(void **state)
{
	struct fixture *f = *state;
	fg_desc_at(&f->g, ITAB, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	fg_desc_at(&f->g, ITAB, 1, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq, 0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "longer than");
}

static void head_index_out_of_range(void **state)
{
	struct fixture *f = *state;
	fvq_publish(&f->g, &f->vq, QSIZE);
	expect_malformed(f, "index 8");
}

static void next_index_out_of_range(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 0xffff);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "index 65535");
}

static void indirect_next_out_of_table(void **state)
{
	struct fixture *f = *state;
	fg_desc_at(&f->g, ITAB, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 2); /* table has 2 entries */
	fvq_desc(&f->g, &f->vq, 0, ITAB, 32, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "indirect table of 2");
}

static void indirect_inside_indirect(void **state)
{
	struct fixture *f = *state;
	fg_desc_at(&f->g, ITAB, 0, ITAB + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fg_desc_at(&f->g, ITAB + 0x100, 0, BUF, 4, 0, 0);
	fvq_desc(&f->g, &f->vq, 0, ITAB, 16, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "inside an indirect");
}

static void indirect_with_next(void **state)
{
	struct fixture *f = *state;
	fg_desc_at(&f->g, ITAB, 0, BUF, 4, 0, 0);
	fvq_desc(&f->g, &f->vq, 0, ITAB, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq, 1, BUF, 4, 0, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "NEXT");
}

static void indirect_len_not_multiple_of_16(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, ITAB, 24, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "multiple of 16");
}

static void indirect_len_zero(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, ITAB, 0, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "indirect table length 0");
}

static void indirect_table_too_long(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, ITAB, 16 * (VIRTQ_MAX_CHAIN + 1), VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "indirect table length");
}

static void indirect_table_outside_ram(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, FG_RAM_GPA + FG_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "not inside guest RAM");
}

static void buffer_outside_ram(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, FG_RAM_GPA + FG_RAM_SIZE, 1, 0, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "not inside guest RAM");
}

static void buffer_below_ram(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, 0, 16, 0, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "not inside guest RAM");
}

static void buffer_len_wraps_address_space(void **state)
{
	struct fixture *f = *state;
	/* addr + len overflows 2^64 and would land inside RAM if added
	 * naively. */
	fvq_desc(&f->g, &f->vq, 0, 0xfffffffffffff000ull, 0x200000, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "not inside guest RAM");
}

static void buffer_crosses_ram_end(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, FG_RAM_GPA + FG_RAM_SIZE - 8, 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "not inside guest RAM");
}

static void readable_after_writable(void **state)
{
	struct fixture *f = *state;
	fvq_desc(&f->g, &f->vq, 0, BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq, 1, BUF + 8, 4, 0, 0);
	fvq_publish(&f->g, &f->vq, 0);
	expect_malformed(f, "readable descriptor 1 after a writable");
}

static void avail_idx_jumps_too_far(void **state)
{
	struct fixture *f = *state;
	fvq_set_avail_idx(&f->g, &f->vq, QSIZE + 1);
	expect_malformed(f, "more than the queue size");
}

static void setup_rejects_bad_rings(void **state)
{
	struct fixture *f = *state;
	struct virtq q;
	virtq_init(&q);
	const struct guest_mem *m = &f->g.mem;
	struct {
		uint16_t size;
		uint64_t desc, avail, used;
		const char *why;
	} bad[] = {
	    {0, RINGS, RINGS + 0x1000, RINGS + 0x2000, "power of two"},
	    {6, RINGS, RINGS + 0x1000, RINGS + 0x2000, "power of two"},
	    {2048, RINGS, RINGS + 0x10000, RINGS + 0x20000, "power of two"},
	    {8, RINGS + 8, RINGS + 0x1000, RINGS + 0x2000, "aligned"},
	    {8, RINGS, RINGS + 0x1001, RINGS + 0x2000, "aligned"},
	    {8, RINGS, RINGS + 0x1000, RINGS + 0x2002, "aligned"},
	    {8, 0, RINGS + 0x1000, RINGS + 0x2000, "not inside guest RAM"},
	    {8, RINGS, RINGS + 0x1000, FG_RAM_GPA + FG_RAM_SIZE - 32, "not inside guest RAM"},
	    {8, 0xfffffffffffffff0ull, RINGS + 0x1000, RINGS + 0x2000, "not inside guest RAM"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mvm_error *err = NULL;
		assert_int_equal(virtq_setup(&q, m, bad[i].size, bad[i].desc, bad[i].avail,
					     bad[i].used, 0, &err),
				 -1);
		assert_non_null(err);
		if (!strstr(mvm_error_get_message(err), bad[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, mvm_error_get_message(err),
				 bad[i].why);
		mvm_error_free(err);
		assert_false(virtq_is_ready(&q));
	}
	virtq_destroy(&q);
}

static void pop_on_unready_queue_is_empty(void **state)
{
	(void)state;
	struct virtq q;
	virtq_init(&q);
	struct virtq_elem *e = calloc(1, sizeof(*e));
	assert_int_equal(virtq_pop(&q, e, NULL), 0);
	assert_false(virtq_should_signal(&q));
	free(e);
	virtq_destroy(&q);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_all, teardown)
#define TP(fn) cmocka_unit_test_setup_teardown(fn, setup_plain, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(direct_chain_pop_push),
	    T(push_clamps_len_to_writable),
	    T(indirect_chain),
	    T(direct_then_indirect),
	    T(zero_length_buffer_is_skipped),
	    T(index_wraps_past_65535),
	    T(unpop_gives_element_back),
	    T(stale_element_after_reset_is_dropped),
	    cmocka_unit_test(need_event_math),
	    T(event_idx_suppresses_interrupts),
	    T(event_idx_publishes_avail_event_when_idle),
	    TP(no_interrupt_flag_without_event_idx),
	    TP(indirect_rejected_without_feature),
	    T(loop_in_chain),
	    T(self_loop_in_indirect_table),
	    T(head_index_out_of_range),
	    T(next_index_out_of_range),
	    T(indirect_next_out_of_table),
	    T(indirect_inside_indirect),
	    T(indirect_with_next),
	    T(indirect_len_not_multiple_of_16),
	    T(indirect_len_zero),
	    T(indirect_table_too_long),
	    T(indirect_table_outside_ram),
	    T(buffer_outside_ram),
	    T(buffer_below_ram),
	    T(buffer_len_wraps_address_space),
	    T(buffer_crosses_ram_end),
	    T(readable_after_writable),
	    T(avail_idx_jumps_too_far),
	    T(setup_rejects_bad_rings),
	    cmocka_unit_test(pop_on_unready_queue_is_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
