/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock against a fake Linux driver: host sockets are socketpairs
 * and real Unix sockets, served by virtio_vsock_poll_host() in place of the
 * event loop. The guest's packets are built here byte by byte, hostile
 * ones included; and the CONNECT line parser of vsock_listen.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_guest.h"
#include "virtio/vsock.h"
#include "virtio/vsock_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define QSIZE 64
#define RXBUF 0x300000ull
#define RXBUF_SIZE (VSOCK_HDR_SIZE + 4096)
#define TXBUF 0x3a0000ull
#define TX_SLOT 0x1000ull
#define GUEST_CID 3u

struct fixture {
	struct fake_guest g;
	struct virtio_host host;
	struct virtio_mmio *m;
	struct virtio_dev *d;
	struct fake_vq vq[3];
	uint16_t tx_next;
	char dir[64];
};

struct pkt {
	struct vsock_hdr h;
	uint8_t data[4096];
};

static void post_rx(struct fixture *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t head = f->vq[0].avail_idx % QSIZE;
		fvq_desc(&f->g, &f->vq[0], head, RXBUF + head * 0x2000ull, RXBUF_SIZE,
			 VIRTQ_DESC_F_WRITE, 0);
		fvq_publish(&f->g, &f->vq[0], head);
	}
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* The next packet the device put into rxq; false when there is none. */
static bool next_rx(struct fixture *f, struct pkt *p)
{
	struct fake_vq *vq = &f->vq[0];
	if (vq->used_seen == fvq_used_idx(&f->g, vq))
		return false;
	struct virtq_used_elem u = fvq_used_elem(&f->g, vq, vq->used_seen++);
	assert_true(u.len >= VSOCK_HDR_SIZE && u.len <= RXBUF_SIZE);
	memcpy(p, fg_ptr(&f->g, RXBUF + u.id * 0x2000ull), u.len);
	assert_int_equal(p->h.len, u.len - VSOCK_HDR_SIZE);
	assert_int_equal(p->h.src_cid, VSOCK_HOST_CID);
	assert_int_equal(p->h.dst_cid, GUEST_CID);
	assert_int_equal(p->h.type, VSOCK_TYPE_STREAM);
	post_rx(f, 1); /* the driver refills as it consumes */
	return true;
}

static void expect_rx(struct fixture *f, struct pkt *p, uint16_t op)
{
	if (!next_rx(f, p))
		fail_msg("no packet in rxq, expected op %u", op);
	if (p->h.op != op)
		fail_msg("rxq packet op %u, expected %u", p->h.op, op);
}

static void expect_no_rx(struct fixture *f)
{
	struct pkt p;
	if (next_rx(f, &p))
		fail_msg("unexpected rxq packet op %u len %u", p.h.op, p.h.len);
}

/* A guest packet: header fields from h (cids filled in unless set), then
 * `len` payload bytes, in one readable descriptor; then a kick. */
static void send_tx_raw(struct fixture *f, const struct vsock_hdr *h, const void *payload,
			size_t payload_len)
{
	uint16_t head = f->tx_next++ % QSIZE;
	uint64_t buf = TXBUF + head * TX_SLOT;
	assert_true(VSOCK_HDR_SIZE + payload_len <= TX_SLOT);
	memcpy(fg_ptr(&f->g, buf), h, VSOCK_HDR_SIZE);
	if (payload_len)
		memcpy(fg_ptr(&f->g, buf + VSOCK_HDR_SIZE), payload, payload_len);
	fvq_desc(&f->g, &f->vq[1], head, buf, (uint32_t)(VSOCK_HDR_SIZE + payload_len), 0, 0);
	fvq_publish(&f->g, &f->vq[1], head);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
}

static void send_tx(struct fixture *f, uint16_t op, uint32_t guest_port, uint32_t host_port,
		    const void *payload, uint32_t len, uint32_t flags, uint32_t buf_alloc,
		    uint32_t fwd_cnt)
{
	struct vsock_hdr h = {.src_cid = GUEST_CID,
			      .dst_cid = VSOCK_HOST_CID,
			      .src_port = guest_port,
			      .dst_port = host_port,
			      .len = len,
			      .type = VSOCK_TYPE_STREAM,
			      .op = op,
			      .flags = flags,
			      .buf_alloc = buf_alloc,
			      .fwd_cnt = fwd_cnt};
	send_tx_raw(f, &h, payload, len);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fg_init(&f->g);
	f->host = (struct virtio_host){.mem = &f->g.mem, .vm_fd = -1};
	strcpy(f->dir, "/tmp/mvm-vsock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/v.sock", f->dir);
	struct virtio_vsock_params p = {.guest_cid = GUEST_CID, .uds_path = path};
	f->m = virtio_mmio_new(&virtio_vsock_ops, virtio_vsock_new(&p, NULL), &f->host, 0xd0000000,
			       5, NULL);
	assert_non_null(f->m);
	f->d = virtio_mmio_dev(f->m);
	assert_int_equal(mmio_bring_up(f->m, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->vq, 3, QSIZE), 0xf);
	post_rx(f, 16);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	virtio_mmio_free(f->m);
	fg_fini(&f->g);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void read_exact(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, 2000), 1);
		ssize_t r = read(fd, (char *)buf + got, n - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
}

static void device_identity(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_DEVICE_ID), 19);
	uint32_t lo = mmio_rd(f->m, VIRTIO_MMIO_CONFIG), hi = mmio_rd(f->m, VIRTIO_MMIO_CONFIG + 4);
	assert_int_equal(lo, GUEST_CID);
	assert_int_equal(hi, 0);
	/* No device feature (F_STREAM is bit 0): without any, streams only
	 * (§5.10.3); the transport's ring features are all there is. */
	assert_int_equal(mmio_device_features(f->m), FG_ALL_RING_FEATURES);
}

/* A host connection the guest accepts: REQUEST, RESPONSE, "OK <port>",
 * bytes both ways with the guest's credit respected. Returns the host
 * end and its host port. */
static int open_host_conn(struct fixture *f, uint32_t guest_port, uint32_t *host_port)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(virtio_vsock_connect(f->d, sv[1], guest_port, NULL), 0);
	struct pkt p;
	expect_rx(f, &p, VSOCK_OP_REQUEST);
	assert_int_equal(p.h.dst_port, guest_port);
	assert_true(p.h.src_port >= 0x40000000u);
	assert_int_equal(p.h.buf_alloc, VSOCK_BUF_ALLOC);
	*host_port = p.h.src_port;
	send_tx(f, VSOCK_OP_RESPONSE, guest_port, *host_port, NULL, 0, 0, 65536, 0);
	char line[32] = {0};
	int n = snprintf(line, sizeof(line), "OK %u\n", *host_port);
	char got[32] = {0};
	read_exact(sv[0], got, (size_t)n);
	assert_string_equal(got, line);
	return sv[0];
}

static void host_connect_and_talk(void **state)
{
	struct fixture *f = *state;
	uint32_t hp;
	int fd = open_host_conn(f, 1234, &hp);
	assert_int_equal(write(fd, "hello", 5), 5);
	virtio_vsock_poll_host(f->d);
	struct pkt p;
	expect_rx(f, &p, VSOCK_OP_RW);
	assert_int_equal(p.h.len, 5);
	assert_memory_equal(p.data, "hello", 5);
	assert_int_equal(p.h.src_port, hp);
	assert_int_equal(p.h.dst_port, 1234);
	send_tx(f, VSOCK_OP_RW, 1234, hp, "world!", 6, 0, 65536, 5);
	char got[6];
	read_exact(fd, got, 6);
	assert_memory_equal(got, "world!", 6);
	struct virtio_vsock_stats s;
	virtio_vsock_get_stats(f->d, &s);
	assert_int_equal(s.conns, 1);
	assert_int_equal(s.to_guest, 5);
	assert_int_equal(s.from_guest, 6);
	/* The host closes: the guest hears SHUTDOWN(SEND); its own
	 * SHUTDOWN(both) is answered with RST and the connection is gone. */
	close(fd);
	virtio_vsock_poll_host(f->d);
	expect_rx(f, &p, VSOCK_OP_SHUTDOWN);
	assert_int_equal(p.h.flags, VSOCK_SHUTDOWN_SEND);
	send_tx(f, VSOCK_OP_SHUTDOWN, 1234, hp, NULL, 0, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND,
		65536, 5);
	expect_rx(f, &p, VSOCK_OP_RST);
	virtio_vsock_get_stats(f->d, &s);
	assert_int_equal(s.conns, 0);
}

/* Bytes written right after the connection opened, before the guest
 * gave credit for more, arrive only as far as its buf_alloc allows; a
 * credit update brings the rest. */
static void host_to_guest_respects_credit(void **state)
{
	struct fixture *f = *state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(virtio_vsock_connect(f->d, sv[1], 99, NULL), 0);
	struct pkt p;
	expect_rx(f, &p, VSOCK_OP_REQUEST);
	uint32_t hp = p.h.src_port;
	send_tx(f, VSOCK_OP_RESPONSE, 99, hp, NULL, 0, 0, 1000, 0); /* room for 1000 bytes */
	char line[32];
	read_exact(sv[0], line, (size_t)snprintf(line, sizeof(line), "OK %u\n", hp));
	static char big[3000];
	memset(big, 'x', sizeof(big));
	assert_int_equal(write(sv[0], big, sizeof(big)), (ssize_t)sizeof(big));
	virtio_vsock_poll_host(f->d);
	uint32_t got = 0;
	while (next_rx(f, &p)) {
		assert_int_equal(p.h.op, VSOCK_OP_RW);
		got += p.h.len;
	}
	assert_int_equal(got, 1000);
	virtio_vsock_poll_host(f->d);
	expect_no_rx(f);
	/* The guest read 1000 bytes and says so. */
	send_tx(f, VSOCK_OP_CREDIT_UPDATE, 99, hp, NULL, 0, 0, 1000, 1000);
	got = 0;
	while (next_rx(f, &p))
		got += p.h.len;
	assert_int_equal(got, 1000);
	/* A credit request is answered with our window. */
	send_tx(f, VSOCK_OP_CREDIT_REQUEST, 99, hp, NULL, 0, 0, 1000, 2000);
	bool update = false;
	while (next_rx(f, &p))
		update |= p.h.op == VSOCK_OP_CREDIT_UPDATE && p.h.buf_alloc == VSOCK_BUF_ALLOC;
	assert_true(update);
	close(sv[0]);
}

/* A host socket that does not read: the device keeps up to its
 * buf_alloc, and resets a guest that sends past its credit. */
static void guest_past_credit_is_reset(void **state)
{
	struct fixture *f = *state;
	uint32_t hp;
	int fd = open_host_conn(f, 7, &hp);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	static char chunk[4000];
	memset(chunk, 'y', sizeof(chunk));
	uint32_t sent = 0;
	while (sent + sizeof(chunk) <= VSOCK_BUF_ALLOC) {
		send_tx(f, VSOCK_OP_RW, 7, hp, chunk, sizeof(chunk), 0, 65536, 0);
		sent += sizeof(chunk);
	}
	struct pkt p;
	while (next_rx(f, &p))
		assert_int_not_equal(p.h.op, VSOCK_OP_RST); /* all within credit */
	/* Far past what fits: the socketpair's buffers hold ~200 KiB at most
	 * here, the device another 256 KiB, and the guest's credit ends. */
	for (int i = 0; i < 200; i++)
		send_tx(f, VSOCK_OP_RW, 7, hp, chunk, sizeof(chunk), 0, 65536, 0);
	bool reset = false;
	while (next_rx(f, &p))
		reset |= p.h.op == VSOCK_OP_RST;
	assert_true(reset);
	struct virtio_vsock_stats s;
	virtio_vsock_get_stats(f->d, &s);
	assert_int_equal(s.conns, 0);
	assert_true(s.resets >= 1);
	close(fd);
}

/* Everything the host socket could not take at once is delivered once it
 * reads, in order, and the guest is told it has room again. */
static void buffered_bytes_arrive_in_order(void **state)
{
	struct fixture *f = *state;
	uint32_t hp;
	int fd = open_host_conn(f, 8, &hp);
	static uint8_t chunk[4000];
	uint32_t total = 0;
	for (int i = 0; i < 50; i++) {
		for (size_t j = 0; j < sizeof(chunk); j++)
			chunk[j] = (uint8_t)((total + j) * 7);
		send_tx(f, VSOCK_OP_RW, 8, hp, chunk, sizeof(chunk), 0, 65536, 0);
		total += sizeof(chunk);
	}
	static uint8_t got[200000];
	uint32_t n = 0;
	bool credit = false;
	struct pkt p;
	while (n < total) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, 2000), 1);
		ssize_t r = read(fd, got + n, total - n);
		assert_true(r > 0);
		n += (uint32_t)r;
		virtio_vsock_poll_host(f->d);
		while (next_rx(f, &p)) {
			assert_int_not_equal(p.h.op, VSOCK_OP_RST);
			credit |= p.h.op == VSOCK_OP_CREDIT_UPDATE;
		}
	}
	for (uint32_t i = 0; i < total; i++)
		if (got[i] != (uint8_t)(i * 7))
			fail_msg("byte %u is %u, expected %u", i, got[i], (uint8_t)(i * 7));
	assert_true(credit); /* 200000 bytes: the window was half used more than once */
	close(fd);
}

static void guest_connects_to_host_socket(void **state)
{
	struct fixture *f = *state;
	char path[128];
	snprintf(path, sizeof(path), "%s/v.sock_5000", f->dir);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 4), 0);
	send_tx(f, VSOCK_OP_REQUEST, 49152, 5000, NULL, 0, 0, 65536, 0);
	struct pkt p;
	expect_rx(f, &p, VSOCK_OP_RESPONSE);
	assert_int_equal(p.h.src_port, 5000);
	assert_int_equal(p.h.dst_port, 49152);
	int c = accept(ls, NULL, NULL);
	assert_true(c >= 0);
	send_tx(f, VSOCK_OP_RW, 49152, 5000, "ping", 4, 0, 65536, 0);
	char got[4];
	read_exact(c, got, 4);
	assert_memory_equal(got, "ping", 4);
	assert_int_equal(write(c, "pong", 4), 4);
	virtio_vsock_poll_host(f->d);
	expect_rx(f, &p, VSOCK_OP_RW);
	assert_memory_equal(p.data, "pong", 4);
	/* The guest resets: the host end reads EOF. */
	send_tx(f, VSOCK_OP_RST, 49152, 5000, NULL, 0, 0, 65536, 0);
	char b;
	struct pollfd pfd = {.fd = c, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(read(c, &b, 1), 0);
	/* No socket for port 5001: refused. */
	send_tx(f, VSOCK_OP_REQUEST, 49153, 5001, NULL, 0, 0, 65536, 0);
	expect_rx(f, &p, VSOCK_OP_RST);
	assert_int_equal(p.h.dst_port, 49153);
	close(c);
	close(ls);
}

/* Packets that break the rules: each is answered with RST (or dropped)
 * and the device goes on. */
static void hostile_packets(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	/* RW, SHUTDOWN, RESPONSE for a connection that does not exist. */
	send_tx(f, VSOCK_OP_RW, 1, 2, "abc", 3, 0, 65536, 0);
	expect_rx(f, &p, VSOCK_OP_RST);
	send_tx(f, VSOCK_OP_SHUTDOWN, 1, 2, NULL, 0, 3, 65536, 0);
	expect_rx(f, &p, VSOCK_OP_RST);
	/* An RST for nothing is not answered. */
	send_tx(f, VSOCK_OP_RST, 1, 2, NULL, 0, 0, 65536, 0);
	expect_no_rx(f);
	/* Other CIDs: dropped. */
	struct vsock_hdr h = {.src_cid = 7, .dst_cid = VSOCK_HOST_CID, .type = 1, .op = 1};
	send_tx_raw(f, &h, NULL, 0);
	h = (struct vsock_hdr){.src_cid = GUEST_CID, .dst_cid = 9, .type = 1, .op = 1};
	send_tx_raw(f, &h, NULL, 0);
	expect_no_rx(f);
	/* A header shorter than 44 bytes: used, nothing answered. */
	uint16_t head = f->tx_next++ % QSIZE;
	fvq_desc(&f->g, &f->vq[1], head, TXBUF + head * TX_SLOT, 20, 0, 0);
	fvq_publish(&f->g, &f->vq[1], head);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	expect_no_rx(f);

	uint32_t hp;
	int fd = open_host_conn(f, 55, &hp);
	/* A length past the payload that is there. */
	h = (struct vsock_hdr){.src_cid = GUEST_CID,
			       .dst_cid = VSOCK_HOST_CID,
			       .src_port = 55,
			       .dst_port = hp,
			       .len = 100,
			       .type = 1,
			       .op = VSOCK_OP_RW};
	send_tx_raw(f, &h, "short", 5);
	expect_rx(f, &p, VSOCK_OP_RST);
	char b;
	assert_int_equal(read(fd, &b, 1), 0); /* closed, nothing forwarded */
	close(fd);

	fd = open_host_conn(f, 56, &hp);
	/* A second REQUEST on a live connection; a seqpacket type. */
	send_tx(f, VSOCK_OP_REQUEST, 56, hp, NULL, 0, 0, 65536, 0);
	expect_rx(f, &p, VSOCK_OP_RST);
	close(fd);
	fd = open_host_conn(f, 57, &hp);
	h = (struct vsock_hdr){.src_cid = GUEST_CID,
			       .dst_cid = VSOCK_HOST_CID,
			       .src_port = 57,
			       .dst_port = hp,
			       .type = 2,
			       .op = VSOCK_OP_RW};
	send_tx_raw(f, &h, NULL, 0);
	expect_rx(f, &p, VSOCK_OP_RST);
	close(fd);
	/* A RESPONSE the device never asked for. */
	send_tx(f, VSOCK_OP_RESPONSE, 60, 0x40000100, NULL, 0, 0, 65536, 0);
	expect_rx(f, &p, VSOCK_OP_RST);
	struct virtio_vsock_stats s;
	virtio_vsock_get_stats(f->d, &s);
	assert_int_equal(s.conns, 0);
	assert_int_equal(mmio_rd(f->m, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}

/* The guest refuses: the host end is closed without a line. */
static void guest_refuses(void **state)
{
	struct fixture *f = *state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(virtio_vsock_connect(f->d, sv[1], 4242, NULL), 0);
	struct pkt p;
	expect_rx(f, &p, VSOCK_OP_REQUEST);
	send_tx(f, VSOCK_OP_RST, 4242, p.h.src_port, NULL, 0, 0, 0, 0);
	char b;
	struct pollfd pfd = {.fd = sv[0], .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(read(sv[0], &b, 1), 0);
	close(sv[0]);
}

/* A reset of the driver closes every host connection. */
static void reset_closes_connections(void **state)
{
	struct fixture *f = *state;
	uint32_t hp;
	int fd = open_host_conn(f, 1, &hp);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0);
	char b;
	assert_int_equal(read(fd, &b, 1), 0);
	close(fd);
	/* Without a driver, a new host connection is refused at once. */
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	mvm_error *e = NULL;
	assert_int_equal(virtio_vsock_connect(f->d, sv[1], 1, &e), -1);
	assert_non_null(strstr(mvm_error_get_message(e), "port 1"));
	mvm_error_free(e);
	assert_int_equal(read(sv[0], &b, 1), 0);
	close(sv[0]);
}

/* An rx buffer too small for a header and data breaks the device, which
 * would otherwise take it and give it back for ever. */
static void tiny_rx_buffer_breaks_device(void **state)
{
	struct fixture *f = *state;
	/* Fresh queue state: used_seen is behind the 16 posted buffers. */
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Use up the good buffers with REQUESTs the guest never answers. */
	for (int i = 0; i < 16; i++) {
		int fd = dup(sv[1]);
		assert_int_equal(virtio_vsock_connect(f->d, fd, 100 + (uint32_t)i, NULL), 0);
	}
	uint16_t head = f->vq[0].avail_idx % QSIZE;
	fvq_desc(&f->g, &f->vq[0], head, RXBUF + head * 0x2000ull, VSOCK_HDR_SIZE,
		 VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq[0], head);
	assert_int_equal(virtio_vsock_connect(f->d, sv[1], 200, NULL), 0);
	assert_true(mmio_rd(f->m, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	close(sv[0]);
}

/* ---- the Unix socket listener, on a real event loop -------------------- */

static void *loop_main(void *arg)
{
	event_loop_run(arg, NULL);
	return NULL;
}

struct loop_fixture {
	struct fixture f;
	struct event_loop *loop;
	pthread_t thread;
};

static int setup_loop(void **state)
{
	struct loop_fixture *lf = calloc(1, sizeof(*lf));
	lf->loop = event_loop_new(NULL);
	assert_non_null(lf->loop);
	pthread_create(&lf->thread, NULL, loop_main, lf->loop);
	struct fixture *f = &lf->f;
	fg_init(&f->g);
	f->host = (struct virtio_host){.mem = &f->g.mem, .vm_fd = -1, .loop = lf->loop};
	strcpy(f->dir, "/tmp/mvm-vsock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	struct virtio_vsock_params p = {.guest_cid = GUEST_CID};
	f->m = virtio_mmio_new(&virtio_vsock_ops, virtio_vsock_new(&p, NULL), &f->host, 0xd0000000,
			       5, NULL);
	assert_non_null(f->m);
	f->d = virtio_mmio_dev(f->m);
	assert_int_equal(mmio_bring_up(f->m, VIRTIO_BIT(VIRTIO_F_VERSION_1), f->vq, 3, QSIZE), 0xf);
	post_rx(f, 16);
	*state = lf;
	return 0;
}

static int teardown_loop(void **state)
{
	struct loop_fixture *lf = *state;
	virtio_mmio_free(lf->f.m);
	event_loop_stop(lf->loop);
	pthread_join(lf->thread, NULL);
	event_loop_free(lf->loop);
	fg_fini(&lf->f.g);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", lf->f.dir);
	assert_int_equal(system(cmd), 0);
	free(lf);
	return 0;
}

/* The next rx packet within 2 s (the loop thread puts it there). */
static bool wait_rx(struct fixture *f, struct pkt *p)
{
	for (int i = 0; i < 2000; i++) {
		if (next_rx(f, p))
			return true;
		usleep(1000);
	}
	return false;
}

static int client(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Closed with nothing written: end of file, or a reset when the VMM
 * closed with the client's bytes unread. */
static bool closed_without_line(int fd)
{
	char b;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	if (poll(&pfd, 1, 2000) != 1)
		return false;
	ssize_t n = read(fd, &b, 1);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void listener_serves_connect_lines(void **state)
{
	struct loop_fixture *lf = *state;
	struct fixture *f = &lf->f;
	char path[128];
	snprintf(path, sizeof(path), "%s/l.sock", f->dir);
	mvm_error *e = NULL;
	struct vsock_listener *l = vsock_listener_new(f->d, lf->loop, path, &e);
	assert_non_null(l);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0); /* the owner only */
	/* A second listener on the same path is refused, naming it. */
	assert_null(vsock_listener_new(f->d, lf->loop, path, &e));
	assert_non_null(strstr(mvm_error_get_message(e), "exists"));
	mvm_error_free(e);

	/* Garbage, and half a line then a hang-up: closed, no request. */
	int bad = client(path);
	assert_int_equal(write(bad, "HELLO\n", 6), 6);
	assert_true(closed_without_line(bad));
	close(bad);
	int half = client(path);
	assert_int_equal(write(half, "CONNECT 5", 9), 9);
	shutdown(half, SHUT_WR);
	assert_true(closed_without_line(half));
	close(half);
	struct pkt p;
	usleep(50000);
	expect_no_rx(f);

	/* A line in two pieces, and bytes right behind it: the guest gets
	 * the request, then the bytes once it accepted. */
	int c = client(path);
	assert_int_equal(write(c, "CONN", 4), 4);
	usleep(50000);
	assert_int_equal(write(c, "ECT 77\nearly", 12), 12);
	assert_true(wait_rx(f, &p));
	assert_int_equal(p.h.op, VSOCK_OP_REQUEST);
	assert_int_equal(p.h.dst_port, 77);
	uint32_t hp = p.h.src_port;
	send_tx(f, VSOCK_OP_RESPONSE, 77, hp, NULL, 0, 0, 65536, 0);
	char line[32], want[32];
	int n = snprintf(want, sizeof(want), "OK %u\n", hp);
	memset(line, 0, sizeof(line));
	read_exact(c, line, (size_t)n);
	assert_string_equal(line, want);
	assert_true(wait_rx(f, &p));
	assert_int_equal(p.h.op, VSOCK_OP_RW);
	assert_int_equal(p.h.len, 5);
	assert_memory_equal(p.data, "early", 5);
	close(c);

	vsock_listener_free(l);
	assert_int_equal(stat(path, &st), -1); /* removed */
}

static void parse_connect_lines(void **state)
{
	(void)state;
	uint32_t port = 0;
	assert_int_equal(vsock_parse_connect("CONNECT 52\n", 11, &port), 11);
	assert_int_equal(port, 52);
	assert_int_equal(vsock_parse_connect("CONNECT 4294967295\nxyz", 22, &port), 19);
	assert_int_equal(port, 4294967295u);
	assert_int_equal(vsock_parse_connect("CONNECT 007\n", 12, &port), 12);
	assert_int_equal(port, 7);
	/* Incomplete: wait for more. */
	assert_int_equal(vsock_parse_connect("CONN", 4, &port), 0);
	assert_int_equal(vsock_parse_connect("CONNECT 12", 10, &port), 0);
	assert_int_equal(vsock_parse_connect("", 0, &port), 0);
	/* Not a CONNECT line. */
	assert_int_equal(vsock_parse_connect("CONNECT 4294967296\n", 19, &port), -1);
	assert_int_equal(vsock_parse_connect("CONNECT \n", 9, &port), -1);
	assert_int_equal(vsock_parse_connect("CONNECT -1\n", 11, &port), -1);
	assert_int_equal(vsock_parse_connect("CONNECT 1 \n", 11, &port), -1);
	assert_int_equal(vsock_parse_connect("connect 1\n", 10, &port), -1);
	assert_int_equal(vsock_parse_connect("GET / HTTP/1.1\r\n", 16, &port), -1);
	assert_int_equal(vsock_parse_connect("CONNECT 00000000001\n", 20, &port), -1);
	char junk[VSOCK_CONNECT_LINE_MAX];
	memcpy(junk, "CONNECT ", 8);
	memset(junk + 8, '1', sizeof(junk) - 8);
	assert_int_equal(vsock_parse_connect(junk, sizeof(junk), &port), -1);
}

static void bad_params(void **state)
{
	(void)state;
	mvm_error *e = NULL;
	struct virtio_vsock_params p = {.guest_cid = 2};
	assert_null(virtio_vsock_new(&p, &e));
	assert_non_null(strstr(mvm_error_get_message(e), "CID 2"));
	mvm_error_free(e);
	e = NULL;
	p.guest_cid = 0xffffffffu;
	assert_null(virtio_vsock_new(&p, &e));
	mvm_error_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(device_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(host_connect_and_talk, setup, teardown),
	    cmocka_unit_test_setup_teardown(host_to_guest_respects_credit, setup, teardown),
	    cmocka_unit_test_setup_teardown(guest_past_credit_is_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(buffered_bytes_arrive_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(guest_connects_to_host_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(hostile_packets, setup, teardown),
	    cmocka_unit_test_setup_teardown(guest_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(reset_closes_connections, setup, teardown),
	    cmocka_unit_test_setup_teardown(tiny_rx_buffer_breaks_device, setup, teardown),
	    cmocka_unit_test_setup_teardown(listener_serves_connect_lines, setup_loop,
					    teardown_loop),
	    cmocka_unit_test(parse_connect_lines),
	    cmocka_unit_test(bad_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
