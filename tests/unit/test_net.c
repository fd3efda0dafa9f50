/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net against a fake guest and a fake backend: tx frames lose their
 * header (and get their checksum completed), rx frames land behind a
 * correct virtio_net_hdr_v1 in one or several buffers, and hostile chains
 * are dropped without harm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_guest.h"
#include "util/error.h"
#include "virtio/net.h"

#include <stdio.h>
#include <string.h>

#define QS 64
#define RXBUF 0x400000ull /* rx buffer d at RXBUF + 0x1000 * d */
#define TXBUF 0x300000ull /* up to 0x100000 bytes of tx data */
#define RXQ 0
#define TXQ 1

#define MAX_SEEN 8

struct fixture {
	struct fake_guest g;
	struct virtio_host host;
	struct virtio_mmio *m;
	struct fake_vq vq[2];
	uint16_t rx_next, tx_next, tx_used;
	/* fake backend */
	int n_seen;
	size_t seen_len[MAX_SEEN];
	uint8_t seen[MAX_SEEN][2048];
	int kicks;
};

static const uint8_t test_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void fake_send(void *ctx, const struct iovec *frame, int n)
{
	struct fixture *f = ctx;
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		if (f->n_seen < MAX_SEEN && len + frame[i].iov_len <= sizeof(f->seen[0]))
			memcpy(f->seen[f->n_seen] + len, frame[i].iov_base, frame[i].iov_len);
		len += frame[i].iov_len;
	}
	if (f->n_seen < MAX_SEEN)
		f->seen_len[f->n_seen] = len;
	f->n_seen++;
}

/* Like the slirp backend's thread, but at once: a kick transmits. */
static void fake_kick(void *ctx)
{
	struct fixture *f = ctx;
	f->kicks++;
	if (f->m != NULL)
		virtio_net_transmit(virtio_mmio_dev(f->m));
}

static int setup_mtu(void **state, uint16_t mtu)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fg_init(&f->g);
	f->host = (struct virtio_host){.mem = &f->g.mem, .vm_fd = -1, .loop = NULL};
	struct virtio_net_params p = {
	    .mtu = mtu, .send_to_backend = fake_send, .kick = fake_kick, .backend_ctx = f};
	memcpy(p.mac, test_mac, 6);
	struct virtio_net *n = virtio_net_new(&p, NULL);
	assert_non_null(n);
	f->m = virtio_mmio_new(&virtio_net_ops, n, &f->host, 0xd0000000, 5, NULL);
	assert_non_null(f->m);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_mtu(state, 0);
}

static int setup_jumbo(void **state)
{
	return setup_mtu(state, 65520);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	virtio_mmio_free(f->m);
	fg_fini(&f->g);
	free(f);
	return 0;
}

static struct virtio_dev *dev(struct fixture *f)
{
	return virtio_mmio_dev(f->m);
}

static void bring_up(struct fixture *f, uint64_t net_features)
{
	uint32_t st = mmio_bring_up(f->m, FG_ALL_RING_FEATURES | net_features, f->vq, 2, QS);
	assert_int_equal(st, 0xf);
}

#define ALL_NET                                                                                    \
	(VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |                       \
	 VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM))

static bool device_broken(struct fixture *f)
{
	return (mmio_rd(f->m, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET) != 0;
}

static struct virtio_net_stats stats(struct fixture *f)
{
	struct virtio_net_stats s;
	virtio_net_get_stats(dev(f), &s);
	return s;
}

/* ---- tx helpers ---- */

/* One tx chain: `parts` readable buffers with the given contents. */
static void tx_chain(struct fixture *f, const void *const *bufs, const uint32_t *lens, int parts)
{
	uint16_t head = f->tx_next;
	uint64_t gpa = TXBUF;
	for (int i = 0; i < parts; i++) {
		uint16_t d = f->tx_next++ % QS;
		memcpy(fg_ptr(&f->g, gpa), bufs[i], lens[i]);
		fvq_desc(&f->g, &f->vq[TXQ], d, gpa, lens[i], i + 1 < parts ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)((d + 1) % QS));
		gpa += (lens[i] + 15) & ~15ull;
	}
	fvq_publish(&f->g, &f->vq[TXQ], head % QS);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	f->tx_used++;
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[TXQ]), f->tx_used);
}

static void tx_hdr_frame(struct fixture *f, const struct virtio_net_hdr_v1 *h, const void *frame,
			 uint32_t len)
{
	const void *bufs[] = {h, frame};
	uint32_t lens[] = {VIRTIO_NET_HDR_LEN, len};
	tx_chain(f, bufs, lens, 2);
}

static void config_and_features(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_DEVICE_ID), 1);
	uint64_t feat = mmio_device_features(f->m);
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MAC));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_CSUM));
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	assert_true(feat & VIRTIO_BIT(VIRTIO_F_VERSION_1));
	uint8_t mac[6];
	for (int i = 0; i < 6; i++) {
		uint8_t b = 0xee;
		virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + i, &b, 1, false);
		mac[i] = b;
	}
	assert_memory_equal(mac, test_mac, 6);
	/* The fixture asks for no MTU: the config says Ethernet's 1500. */
	assert_true(feat & VIRTIO_BIT(VIRTIO_NET_F_MTU));
	uint16_t mtu = 0;
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 10, &mtu, 2, false);
	assert_int_equal(mtu, 1500);
}

static void mtu_in_config(void **state)
{
	struct fixture *f = *state;
	uint8_t b[2] = {0, 0};
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 10, &b[0], 1, false);
	virtio_mmio_access(f->m, VIRTIO_MMIO_CONFIG + 11, &b[1], 1, false);
	assert_int_equal(b[0] | b[1] << 8, 65520); /* little-endian, byte by byte too */
}

static void tx_strips_header(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	struct virtio_net_hdr_v1 h = {0};
	uint8_t frame[60];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	tx_hdr_frame(f, &h, frame, sizeof(frame));
	assert_int_equal(f->n_seen, 1);
	assert_int_equal(f->seen_len[0], sizeof(frame));
	assert_memory_equal(f->seen[0], frame, sizeof(frame));

	/* Header and frame in one buffer, the way Linux sends small frames. */
	uint8_t both[VIRTIO_NET_HDR_LEN + 42] = {0};
	memcpy(both + VIRTIO_NET_HDR_LEN, frame, 42);
	const void *bufs[] = {both};
	uint32_t lens[] = {sizeof(both)};
	tx_chain(f, bufs, lens, 1);
	assert_int_equal(f->n_seen, 2);
	assert_int_equal(f->seen_len[1], 42);
	assert_memory_equal(f->seen[1], frame, 42);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[TXQ], 1).len, 0);
	assert_int_equal(stats(f).tx_frames, 2);
	assert_int_equal(stats(f).tx_dropped, 0);
}

/* Independent ones' complement sum (byte-wise, not word-wise). */
static uint16_t ones_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	while (s > 0xffff)
		s = (s >> 16) + (s & 0xffff);
	return (uint16_t)s;
}

static void tx_completes_checksum(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	uint8_t frame[81];
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(0xa5 ^ (i * 13));
	/* csum field at 34 + 6 holds a "pseudo-header sum" the guest left */
	frame[40] = 0x12;
	frame[41] = 0x34;
	struct virtio_net_hdr_v1 h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .csum_start = 34,
				      .csum_offset = 6};
	tx_hdr_frame(f, &h, frame, sizeof(frame));
	assert_int_equal(f->n_seen, 1);
	const uint8_t *out = f->seen[0];
	assert_memory_equal(out, frame, 40);			 /* before the field: untouched */
	assert_memory_equal(out + 42, frame + 42, sizeof(frame) - 42); /* after: untouched */
	/* The receiver's check: region sum plus the pseudo-header sum (what
	 * the guest seeded the field with) is 0xffff. */
	uint32_t total = ones_sum(out + 34, sizeof(frame) - 34) + 0x1234u;
	total = (total & 0xffff) + (total >> 16);
	assert_int_equal(total, 0xffff);
	assert_false(out[40] == 0x12 && out[41] == 0x34);
}

static void tx_malformed_chains_are_dropped(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	static uint8_t big[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME + 1];
	struct virtio_net_hdr_v1 h = {0};
	uint8_t frame[64] = {1, 2, 3};

	/* header only, no frame */
	const void *b1[] = {&h};
	uint32_t l1[] = {VIRTIO_NET_HDR_LEN};
	tx_chain(f, b1, l1, 1);
	/* shorter than the header */
	uint32_t l2[] = {5};
	tx_chain(f, b1, l2, 1);
	/* one byte over the frame limit */
	const void *b3[] = {big};
	uint32_t l3[] = {sizeof(big)};
	tx_chain(f, b3, l3, 1);
	/* GSO we never offered */
	struct virtio_net_hdr_v1 gso = {.gso_type = 1, .gso_size = 1000};
	tx_hdr_frame(f, &gso, frame, sizeof(frame));
	/* checksum offsets outside the frame */
	struct virtio_net_hdr_v1 bad1 = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .csum_start = 64,
					 .csum_offset = 0};
	tx_hdr_frame(f, &bad1, frame, sizeof(frame));
	struct virtio_net_hdr_v1 bad2 = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .csum_start = 60,
					 .csum_offset = 3};
	tx_hdr_frame(f, &bad2, frame, sizeof(frame));
	struct virtio_net_hdr_v1 bad3 = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .csum_start = 0xffff,
					 .csum_offset = 0xffff};
	tx_hdr_frame(f, &bad3, frame, sizeof(frame));

	assert_int_equal(f->n_seen, 0);
	assert_int_equal(stats(f).tx_dropped, 7);
	assert_false(device_broken(f));

	/* The largest legal frame still passes, and so does a small one. */
	const void *b4[] = {big};
	uint32_t l4[] = {sizeof(big) - 1};
	memset(big, 0, VIRTIO_NET_HDR_LEN);
	tx_chain(f, b4, l4, 1);
	assert_int_equal(f->n_seen, 1);
	assert_int_equal(f->seen_len[0], VIRTIO_NET_MAX_FRAME);
	tx_hdr_frame(f, &h, frame, sizeof(frame));
	assert_int_equal(f->n_seen, 2);
	assert_int_equal(stats(f).tx_frames, 2);
}

/* ---- rx ---- */

static uint16_t add_rx(struct fixture *f, uint32_t len)
{
	uint16_t d = f->rx_next++;
	fvq_desc(&f->g, &f->vq[RXQ], d, RXBUF + 0x1000ull * d, len, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq[RXQ], d);
	return d;
}

static struct virtio_net_hdr_v1 rx_hdr(struct fixture *f, uint16_t d)
{
	struct virtio_net_hdr_v1 h;
	memcpy(&h, fg_ptr(&f->g, RXBUF + 0x1000ull * d), sizeof(h));
	return h;
}

static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

static void rx_single_buffer(void **state)
{
	struct fixture *f = *state;
	bring_up(f, VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	uint16_t d = add_rx(f, 2048);
	uint8_t frame[100];
	fill_pattern(frame, sizeof(frame), 3);
	uint64_t irqs = virtio_mmio_irq_count(f->m);
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 1);
	struct virtq_used_elem u = fvq_used_elem(&f->g, &f->vq[RXQ], 0);
	assert_int_equal(u.id, d);
	assert_int_equal(u.len, VIRTIO_NET_HDR_LEN + sizeof(frame));
	struct virtio_net_hdr_v1 h = rx_hdr(f, d);
	assert_int_equal(h.num_buffers, 1);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(h.gso_type, 0);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d + VIRTIO_NET_HDR_LEN), frame,
			    sizeof(frame));
	assert_true(virtio_mmio_irq_count(f->m) > irqs);
	assert_int_equal(stats(f).rx_frames, 1);
}

static void rx_without_guest_csum_has_no_flags(void **state)
{
	struct fixture *f = *state;
	bring_up(f, VIRTIO_BIT(VIRTIO_NET_F_MAC));
	uint16_t d = add_rx(f, 2048);
	uint8_t frame[60] = {9};
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), 0);
	assert_int_equal(rx_hdr(f, d).flags, 0);
	assert_int_equal(rx_hdr(f, d).num_buffers, 1);
}

static void rx_mergeable_spans_buffers(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	uint16_t d0 = add_rx(f, 1000), d1 = add_rx(f, 1000), d2 = add_rx(f, 1000);
	uint16_t d3 = add_rx(f, 1000);
	static uint8_t frame[2500];
	fill_pattern(frame, sizeof(frame), 5);
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 3);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 0).id, d0);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 0).len, 1000);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 1).id, d1);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 1).len, 1000);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 2).id, d2);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 2).len, 2512 - 2000);
	assert_int_equal(rx_hdr(f, d0).num_buffers, 3);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d0 + 12), frame, 988);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d1), frame + 988, 1000);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d2), frame + 1988, 512);
	/* The fourth buffer is left for the next frame. */
	uint8_t small[20];
	fill_pattern(small, sizeof(small), 9);
	assert_int_equal(virtio_net_receive(dev(f), small, sizeof(small)), 0);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 3).id, d3);
	assert_int_equal(rx_hdr(f, d3).num_buffers, 1);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d3 + 12), small, sizeof(small));
}

static void rx_without_buffers_drops_and_keeps_them(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	uint8_t frame[500];
	fill_pattern(frame, sizeof(frame), 1);
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), -1);
	/* Too little room: nothing is consumed. */
	uint16_t d0 = add_rx(f, 100);
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), -1);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	assert_int_equal(stats(f).rx_dropped, 2);
	/* More room: the same first buffer is used first. */
	uint16_t d1 = add_rx(f, 1000);
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 2);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 0).id, d0);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 1).id, d1);
	assert_int_equal(rx_hdr(f, d0).num_buffers, 2);
	assert_int_equal(stats(f).rx_frames, 1);
	assert_false(device_broken(f));
}

static void rx_without_mrg_needs_one_big_buffer(void **state)
{
	struct fixture *f = *state;
	bring_up(f, VIRTIO_BIT(VIRTIO_NET_F_MAC));
	add_rx(f, 200);
	add_rx(f, 200);
	uint8_t frame[300] = {0};
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), -1);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	assert_int_equal(virtio_net_receive(dev(f), frame, 188), 0);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 0).len, 200);
}

static void rx_bad_lengths_are_dropped(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	for (int i = 0; i < 40; i++)
		add_rx(f, 4096);
	static uint8_t big[VIRTIO_NET_MAX_FRAME + 1];
	assert_int_equal(virtio_net_receive(dev(f), big, 0), -1);
	assert_int_equal(virtio_net_receive(dev(f), big, sizeof(big)), -1);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	/* The largest frame fits in 17 buffers of 4 KiB. */
	assert_int_equal(virtio_net_receive(dev(f), big, VIRTIO_NET_MAX_FRAME), 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 17);
	assert_int_equal(rx_hdr(f, 0).num_buffers, 17);
}

static void rx_too_many_tiny_buffers_drops(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	for (int i = 0; i < QS; i++)
		add_rx(f, 16);
	static uint8_t frame[4 * VIRTIO_NET_RX_MAX_BUFS + 1000];
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), -1);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	assert_false(device_broken(f));
	/* And the queue still works for a frame that fits. */
	assert_int_equal(virtio_net_receive(dev(f), frame, 20), 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 2);
}

static void rx_buffer_smaller_than_header_breaks_device(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	add_rx(f, 8);
	uint8_t frame[60] = {0};
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), -1);
	assert_true(device_broken(f));
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
}

static void rx_readable_buffer_breaks_device(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	fvq_desc(&f->g, &f->vq[RXQ], 0, RXBUF, 2048, 0, 0); /* not WRITE */
	fvq_publish(&f->g, &f->vq[RXQ], 0);
	uint8_t frame[60] = {0};
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), -1);
	assert_true(device_broken(f));
}

static void rx_before_driver_ok_drops(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[60] = {0};
	assert_int_equal(virtio_net_receive(dev(f), frame, sizeof(frame)), -1);
	assert_int_equal(stats(f).rx_dropped, 1);
}

static void kicks_wake_backend(void **state)
{
	struct fixture *f = *state;
	bring_up(f, ALL_NET);
	int before = f->kicks; /* activate wakes it once */
	assert_true(before >= 1);
	add_rx(f, 2048);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	assert_int_equal(f->kicks, before + 1);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_int_equal(f->kicks, before + 2);
	assert_int_equal(virtio_net_transmit(dev(f)), 0); /* nothing queued */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(config_and_features, setup, teardown),
	    cmocka_unit_test_setup_teardown(mtu_in_config, setup_jumbo, teardown),
	    cmocka_unit_test_setup_teardown(tx_strips_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(tx_completes_checksum, setup, teardown),
	    cmocka_unit_test_setup_teardown(tx_malformed_chains_are_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_single_buffer, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_without_guest_csum_has_no_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_mergeable_spans_buffers, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_without_buffers_drops_and_keeps_them, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(rx_without_mrg_needs_one_big_buffer, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_bad_lengths_are_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_too_many_tiny_buffers_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_buffer_smaller_than_header_breaks_device, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(rx_readable_buffer_breaks_device, setup, teardown),
	    cmocka_unit_test_setup_teardown(rx_before_driver_ok_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(kicks_wake_backend, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
