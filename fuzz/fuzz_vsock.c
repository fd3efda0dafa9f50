/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock under a hostile driver (fuzz_driver.h) and a busy host:
 * besides raw ring operations, the target's own operation sends a guest
 * packet with a header of the input's choosing (ports from a small set, so
 * that packets meet connections), opens host connections over socketpairs,
 * writes to or closes their host ends, and serves the host sockets. The
 * device must never touch memory outside guest RAM, never hold more than
 * its connection limit, and never block. */
#include "fuzz_driver.h"
#include "virtio/vsock.h"

#include <sys/socket.h>
#include <unistd.h>

#define HOST_ENDS 8

struct host {
	int fd[HOST_ENDS];
	unsigned next;
};

static const uint32_t ports[] = {1, 2, 1024, 0x40000000u, 0x40000001u, 0xffffffffu};

static uint32_t pick_port(struct fz *f)
{
	uint8_t b = fz_u8(f);
	return b < 0xf0 ? ports[b % (sizeof(ports) / sizeof(ports[0]))] : fz_u32(f);
}

static void close_end(struct host *h, unsigned i)
{
	if (h->fd[i] >= 0)
		close(h->fd[i]);
	h->fd[i] = -1;
}

/* A tx packet in the buffer area: header fields from the input, then up
 * to 255 payload bytes; one or two descriptors (split anywhere). */
static void guest_packet(struct fzd *d, struct fz *f)
{
	struct vsock_hdr h = {.src_cid = VSOCK_DEFAULT_GUEST_CID, .dst_cid = VSOCK_HOST_CID};
	uint8_t how = fz_u8(f);
	if (how & 1)
		h.src_cid = fz_u64(f);
	if (how & 2)
		h.dst_cid = fz_u64(f);
	h.src_port = pick_port(f);
	h.dst_port = pick_port(f);
	h.type = how & 4 ? fz_u16(f) : VSOCK_TYPE_STREAM;
	h.op = fz_u8(f) % 9;
	h.flags = fz_u8(f);
	h.buf_alloc = how & 8 ? fz_u32(f) : 65536;
	h.fwd_cnt = fz_u32(f);
	size_t len;
	const uint8_t *p = fz_take(f, fz_u8(f), &len);
	h.len = how & 0x10 ? fz_u32(f) : (uint32_t)len;
	uint16_t slot = fz_u8(f) % 16;
	uint64_t buf = FZ_BUF_GPA + 0x400ull * slot;
	fz_gwrite(&d->g, buf, &h, sizeof(h));
	fz_gwrite(&d->g, buf + sizeof(h), p, len);
	uint32_t total = (uint32_t)(sizeof(h) + len);
	uint16_t q = 1, size = d->qsize[q] ? d->qsize[q] : 1;
	uint16_t head = (uint16_t)((d->avail_idx[q] * 2u) % FZ_QSIZE_MAX);
	if (how & 0x20) {
		uint32_t split = fz_u8(f) % (total + 1);
		fzd_write_desc(d, FZ_RING(q), head, buf, split, VIRTQ_DESC_F_NEXT,
			       (uint16_t)((head + 1) % FZ_QSIZE_MAX));
		fzd_write_desc(d, FZ_RING(q), (uint16_t)((head + 1) % FZ_QSIZE_MAX), buf + split,
			       total - split, 0, 0);
	} else {
		fzd_write_desc(d, FZ_RING(q), head, buf, total, 0, 0);
	}
	fzd_set16(d, fzd_avail(q) + 4 + 2ull * (d->avail_idx[q] % size), head);
	d->avail_idx[q]++;
	fzd_set16(d, fzd_avail(q) + 2, d->avail_idx[q]);
	fzd_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static void vsock_op(struct fzd *d, struct fz *f)
{
	struct host *h = d->ctx;
	struct virtio_dev *dev = virtio_mmio_dev(d->m);
	uint8_t what = fz_u8(f);
	unsigned i = (what >> 3) % HOST_ENDS;
	switch (what % 6) {
	case 0:
	case 1:
		guest_packet(d, f);
		break;
	case 2: {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			break;
		unsigned k = h->next++ % HOST_ENDS;
		close_end(h, k);
		h->fd[k] = sv[0];
		if (virtio_vsock_connect(dev, sv[1], pick_port(f), NULL) < 0)
			close_end(h, k);
		break;
	}
	case 3: {
		size_t len;
		const uint8_t *p = fz_take(f, fz_u8(f), &len);
		if (h->fd[i] >= 0 && len > 0 &&
		    send(h->fd[i], p, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* full or closed: the host end simply does not take more */
		}
		break;
	}
	case 4: {
		uint8_t buf[512];
		if (h->fd[i] >= 0 && read(h->fd[i], buf, sizeof(buf)) == 0)
			close_end(h, i);
		else if (what & 0x80)
			close_end(h, i);
		break;
	}
	case 5:
		virtio_vsock_poll_host(dev);
		break;
	}
	struct virtio_vsock_stats s;
	virtio_vsock_get_stats(dev, &s);
	FZ_CHECK(s.conns <= VSOCK_MAX_CONNS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzd d;
	static struct host h;
	struct fz f = {data, size};
	fzd_init(&d, 3);
	for (unsigned i = 0; i < HOST_ENDS; i++)
		h.fd[i] = -1;
	h.next = 0;
	d.device_op = vsock_op;
	d.ctx = &h;
	struct virtio_vsock_params p = {.guest_cid = VSOCK_DEFAULT_GUEST_CID};
	d.m = virtio_mmio_new(&virtio_vsock_ops, virtio_vsock_new(&p, NULL), &d.host, 0xd0000000, 5,
			      NULL);
	FZ_CHECK(d.m != NULL);
	fzd_run(&d, &f);
	for (unsigned i = 0; i < HOST_ENDS; i++)
		close_end(&h, i);
	return 0;
}
