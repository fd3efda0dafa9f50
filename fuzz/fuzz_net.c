/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net request handling under a hostile driver (fuzz_driver.h):
 * transmit chains of any shape (header split anywhere, bogus checksum
 * offsets, lengths past the frame limit), receive buffers of any shape for
 * frames of any length, mergeable buffers or not. A fake backend (as in
 * tests/unit/test_net.c) takes frames at once; a kick transmits, like the
 * slirp backend's thread would. */
#include "fuzz_driver.h"
#include "virtio/net.h"

struct backend {
	struct fzd *d;
	unsigned frames;
};

static void fake_send(void *ctx, const struct iovec *frame, int n)
{
	struct backend *b = ctx;
	/* The frame must be the device's private copy, never guest RAM, and
	 * no longer than the device allows. */
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		FZ_CHECK(!fz_in_ram(&b->d->g, frame[i].iov_base, 1));
		len += frame[i].iov_len;
	}
	FZ_CHECK(len <= VIRTIO_NET_MAX_FRAME);
	b->frames++;
}

static void fake_kick(void *ctx)
{
	struct backend *b = ctx;
	if (b->d->m != NULL)
		virtio_net_transmit(virtio_mmio_dev(b->d->m));
}

/* The backend's side: a frame for the guest, or a transmit pass. */
static void net_op(struct fzd *d, struct fz *f)
{
	uint8_t what = fz_u8(f);
	struct virtio_dev *dev = virtio_mmio_dev(d->m);
	if (what & 1) {
		virtio_net_transmit(dev);
		return;
	}
	static uint8_t frame[VIRTIO_NET_MAX_FRAME + 16];
	size_t len = fz_u16(f);
	if (what & 2)
		len += fz_u16(f); /* up to and past VIRTIO_NET_MAX_FRAME */
	size_t got;
	const uint8_t *p = fz_take(f, len < 256 ? len : 256, &got);
	memcpy(frame, p, got);
	virtio_net_receive(dev, frame, len);
	struct virtio_net_stats s;
	virtio_net_get_stats(dev, &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzd d;
	static struct backend b;
	struct fz f = {data, size};
	fzd_init(&d, 2);
	b = (struct backend){.d = &d};
	d.device_op = net_op;
	struct virtio_net_params p = {.mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56},
				      .mtu = fz_u16(&f),
				      .send_to_backend = fake_send,
				      .kick = fake_kick,
				      .backend_ctx = &b};
	struct virtio_net *n = virtio_net_new(&p, NULL);
	if (n == NULL)
		return 0; /* an MTU the device refuses */
	d.m = virtio_mmio_new(&virtio_net_ops, n, &d.host, 0xd0000000, 5, NULL);
	FZ_CHECK(d.m != NULL);
	fzd_run(&d, &f);
	return 0;
}
