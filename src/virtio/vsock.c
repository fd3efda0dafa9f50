/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/vsock.h"

#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct vsock_hdr) == VSOCK_HDR_SIZE, "virtio_vsock_hdr is 44 bytes");

#define RX_Q 0
#define TX_Q 1
#define EVENT_Q 2
#define CONFIG_SIZE 8 /* le64 guest_cid */
/* Host-side ports of host-initiated connections start here (Linux's own
 * ephemeral ports for the guest start at 1024). */
#define HOST_PORT_FIRST 0x40000000u
/* Connection-less resets waiting for an rx buffer; more are dropped (the
 * guest's connect then times out, as on a lossy host). */
#define RST_QUEUE 64u

/* What the device still owes the guest for a connection, in this order. */
enum {
	OWE_RST = 1u << 0,
	OWE_REQUEST = 1u << 1,
	OWE_RESPONSE = 1u << 2,
	OWE_SHUTDOWN = 1u << 3,
	OWE_CREDIT = 1u << 4,
};

enum conn_state {
	CONN_CONNECTING, /* host-initiated: REQUEST sent or owed, no answer yet */
	CONN_OPEN,
	CONN_DEAD, /* off the table; its fd is closed once no callback runs */
};

struct vsock_conn {
	struct virtio_vsock *v;
	int fd;
	bool registered; /* fd is on the event loop */
	enum conn_state state;
	uint32_t host_port; /* our end's port */
	uint32_t guest_port;
	bool host_initiated;
	uint64_t deadline_ns;	 /* CONNECTING only */
	unsigned owe;		 /* OWE_* */
	uint32_t shutdown_flags; /* in the SHUTDOWN owed */

	/* Guest -> host. buf holds what fd did not take at once: buf_len
	 * bytes from buf_head in a ring of VSOCK_BUF_ALLOC bytes. */
	uint8_t *buf;
	uint32_t buf_head, buf_len;
	uint32_t fwd_cnt;	/* bytes written to fd (announced as fwd_cnt) */
	uint32_t fwd_announced; /* fwd_cnt in the last packet to the guest */
	bool guest_shut_send;	/* SHUTDOWN(SEND) seen: fd gets SHUT_WR once drained */
	bool guest_shut_rcv;	/* the guest reads no more: fd is not read */
	bool host_shut_wr_done;

	/* Host -> guest. */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t rx_cnt;  /* payload bytes sent to the guest */
	bool may_read;	  /* fd may have bytes: an edge came, no EAGAIN since */
	bool credit_wait; /* reading stopped until the guest has room */
	bool host_eof;	  /* fd read end of file */

	bool in_rx; /* on the rx list */
	struct vsock_conn *rx_next;
	struct vsock_conn *grave_next;
};

struct rst_owed {
	uint32_t host_port, guest_port;
};

struct virtio_vsock {
	pthread_mutex_t lock;
	struct virtio_dev *dev; /* set at activation: host sockets and the timer exist only after */
	uint64_t guest_cid;
	char *uds_path;
	const char *uds_base; /* its last component */
	int dir_fd;	      /* O_PATH of its directory, or -1 */
	bool active;

	struct vsock_conn *conns[VSOCK_MAX_CONNS];
	uint32_t n_conns;
	uint32_t next_host_port;

	struct vsock_conn *rx_head, *rx_tail;
	struct rst_owed rst[RST_QUEUE];
	uint32_t rst_first, rst_count;
	struct vsock_conn *grave; /* dead conns to close outside the lock */

	int timer_fd; /* connect timeouts; -1 without an event loop */
	bool timer_registered;
	struct virtio_vsock_stats stats;

	struct virtq_elem elem; /* rx and tx are both handled under lock */
};

static const struct mvm_logger *log_of(struct virtio_dev *d)
{
	return virtio_dev_host(d)->log;
}

static struct event_loop *loop_of(struct virtio_dev *d)
{
	return virtio_dev_host(d)->loop;
}

/* ---- the connection table ---------------------------------------------- */

static struct vsock_conn *find_conn(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port)
{
	for (uint32_t i = 0; i < v->n_conns; i++) {
		struct vsock_conn *c = v->conns[i];
		if (c->host_port == host_port && c->guest_port == guest_port)
			return c;
	}
	return NULL;
}

static bool host_port_used(struct virtio_vsock *v, uint32_t port)
{
	for (uint32_t i = 0; i < v->n_conns; i++)
		if (v->conns[i]->host_port == port)
			return true;
	return false;
}

static void rx_list_add(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->in_rx || c->state == CONN_DEAD)
		return;
	c->in_rx = true;
	c->rx_next = NULL;
	if (v->rx_tail)
		v->rx_tail->rx_next = c;
	else
		v->rx_head = c;
	v->rx_tail = c;
}

static void rx_list_remove(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (!c->in_rx)
		return;
	struct vsock_conn **p = &v->rx_head, *prev = NULL;
	while (*p && *p != c) {
		prev = *p;
		p = &(*p)->rx_next;
	}
	if (*p)
		*p = c->rx_next;
	if (v->rx_tail == c)
		v->rx_tail = prev;
	c->in_rx = false;
	c->rx_next = NULL;
}

/* Off the table at once; the fd is closed by reap() once the lock is
 * dropped, because event_loop_del() may wait for a callback that waits
 * for the lock. */
static void conn_kill(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	rx_list_remove(v, c);
	for (uint32_t i = 0; i < v->n_conns; i++) {
		if (v->conns[i] == c) {
			v->conns[i] = v->conns[--v->n_conns];
			break;
		}
	}
	c->state = CONN_DEAD;
	c->grave_next = v->grave;
	v->grave = c;
}

static void owe(struct virtio_vsock *v, struct vsock_conn *c, unsigned what)
{
	c->owe |= what;
	rx_list_add(v, c);
}

/* Something to send now: a packet owed, or bytes to read that the guest
 * has room for. A conn that has nothing must stay off the rx list, or
 * rx_pump() would take and give back the same buffer for ever. */
static bool wants_rx(const struct vsock_conn *c)
{
	if (c->state == CONN_DEAD)
		return false;
	if (c->owe)
		return true;
	return c->state == CONN_OPEN && c->may_read && !c->credit_wait && !c->host_eof &&
	       !c->guest_shut_rcv;
}

static void kick_rx(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (wants_rx(c))
		rx_list_add(v, c);
}

/* A reset for the guest's end, then the connection is gone. */
static void conn_reset(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	c->owe = OWE_RST;
	c->may_read = false;
	rx_list_add(v, c);
}

static void owe_rst_to(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port)
{
	if (v->rst_count == RST_QUEUE)
		return;
	v->rst[(v->rst_first + v->rst_count++) % RST_QUEUE] =
	    (struct rst_owed){host_port, guest_port};
}

/* Bytes the guest has room for (its buf_alloc minus what is in flight).
 * A guest that announces less than it has been sent gets 0, not a
 * wrapped-around huge number. */
static uint32_t peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->rx_cnt - c->peer_fwd_cnt;
	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static void reap_list(struct virtio_dev *d, struct vsock_conn *g)
{
	while (g) {
		struct vsock_conn *next = g->grave_next;
		if (g->registered)
			event_loop_del(loop_of(d), g->fd);
		if (g->fd >= 0)
			close(g->fd);
		free(g->buf);
		free(g);
		g = next;
	}
}

/* Call without the lock. */
static void reap(struct virtio_dev *d, struct virtio_vsock *v)
{
	pthread_mutex_lock(&v->lock);
	struct vsock_conn *g = v->grave;
	v->grave = NULL;
	pthread_mutex_unlock(&v->lock);
	reap_list(d, g);
}

/* ---- guest -> host bytes ------------------------------------------------- */

/* Writes buffered bytes to fd until it would block. false: fd is broken. */
static bool flush_buf(struct vsock_conn *c)
{
	while (c->buf_len > 0) {
		uint32_t first = VSOCK_BUF_ALLOC - c->buf_head;
		if (first > c->buf_len)
			first = c->buf_len;
		struct iovec iov[2] = {{c->buf + c->buf_head, first}, {c->buf, c->buf_len - first}};
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = c->buf_len > first ? 2 : 1};
		ssize_t n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		c->buf_head = (c->buf_head + (uint32_t)n) % VSOCK_BUF_ALLOC;
		c->buf_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	return true;
}

/* The guest has freed its end, or drained: what follows from its
 * SHUTDOWN flags once nothing is left to write. */
static void after_drain(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->buf_len > 0 || c->state != CONN_OPEN)
		return;
	if (c->guest_shut_send && !c->host_shut_wr_done) {
		shutdown(c->fd, SHUT_WR);
		c->host_shut_wr_done = true;
	}
	/* Both ends are done (the guest's close() sends SHUTDOWN with both
	 * flags and waits for our RST). */
	if (c->guest_shut_send && (c->guest_shut_rcv || c->host_eof))
		conn_reset(v, c);
	/* The guest waits for credit once its window is half used: tell it. */
	else if (c->fwd_cnt - c->fwd_announced >= VSOCK_BUF_ALLOC / 2)
		owe(v, c, OWE_CREDIT);
}

/* A RW payload: straight to fd while nothing is buffered, the rest into
 * the buffer the credit reserved. false: the guest broke the credit rule
 * or fd failed; the connection is reset. */
static bool take_payload(struct virtio_vsock *v, struct vsock_conn *c, const struct iovec *iov,
			 unsigned n_iov, uint32_t len)
{
	if (len > VSOCK_BUF_ALLOC - c->buf_len) {
		v->stats.resets++;
		return false;
	}
	v->stats.from_guest += len;
	uint32_t done = 0;
	unsigned i = 0;
	size_t skip = 0; /* into iov[i] */
	if (c->buf_len == 0 && !c->host_shut_wr_done) {
		struct iovec tmp[64];
		unsigned k = 0;
		uint32_t left = len;
		for (unsigned j = 0; j < n_iov && k < 64 && left > 0; j++) {
			size_t l = iov[j].iov_len < left ? iov[j].iov_len : left;
			if (l == 0)
				continue;
			tmp[k++] = (struct iovec){iov[j].iov_base, l};
			left -= (uint32_t)l;
		}
		struct msghdr mh = {.msg_iov = tmp, .msg_iovlen = k};
		ssize_t n;
		do
			n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN)
			return false;
		if (n > 0) {
			done = (uint32_t)n;
			c->fwd_cnt += done;
		}
	}
	if (done == len)
		return true;
	if (c->buf == NULL && (c->buf = malloc(VSOCK_BUF_ALLOC)) == NULL)
		return false;
	/* Skip what went out, copy the rest into the ring. */
	uint32_t to_skip = done;
	while (i < n_iov && to_skip >= iov[i].iov_len) {
		to_skip -= (uint32_t)iov[i].iov_len;
		i++;
	}
	skip = to_skip;
	uint32_t left = len - done;
	for (; i < n_iov && left > 0; i++, skip = 0) {
		const uint8_t *src = (const uint8_t *)iov[i].iov_base + skip;
		size_t l = iov[i].iov_len - skip;
		if (l > left)
			l = left;
		while (l > 0) {
			uint32_t tail = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;
			uint32_t room = VSOCK_BUF_ALLOC - tail;
			uint32_t chunk = l < room ? (uint32_t)l : room;
			memcpy(c->buf + tail, src, chunk);
			c->buf_len += chunk;
			src += chunk;
			l -= chunk;
			left -= chunk;
		}
	}
	return true;
}

/* ---- guest packets --------------------------------------------------------- */

/* "<uds_path>_P". The event loop may run in the jail's empty mount
 * namespace (docs/security.md), where the path does not resolve: the
 * directory's fd, opened before, does, through /proc/self/fd. */
static int connect_host_port(const struct virtio_vsock *v, uint32_t port)
{
	if (v->uds_path == NULL)
		return -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int len = -1;
	if (v->dir_fd >= 0)
		len = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s_%u",
			       v->dir_fd, v->uds_base, port);
	if (len < 0 || (size_t)len >= sizeof(sa.sun_path))
		len = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->uds_path, port);
	if (len < 0 || (size_t)len >= sizeof(sa.sun_path))
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd); /* EAGAIN (backlog full) refuses as well */
		return -1;
	}
	return fd;
}

static void host_event(void *opaque, uint32_t events);

static struct vsock_conn *conn_new(struct virtio_dev *d, struct virtio_vsock *v, int fd,
				   uint32_t host_port, uint32_t guest_port, mvm_error **err)
{
	if (v->n_conns >= VSOCK_MAX_CONNS) {
		mvm_err(err, MVM_ERR_STATE, EBUSY, "vsock: %u connections are open already",
			VSOCK_MAX_CONNS);
		return NULL;
	}
	struct vsock_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "vsock connection");
		return NULL;
	}
	*c =
	    (struct vsock_conn){.v = v, .fd = fd, .host_port = host_port, .guest_port = guest_port};
	struct event_loop *l = loop_of(d);
	if (l != NULL) {
		/* Edge-triggered: a socket that hung up while the device waits
		 * for credit or rx buffers must not wake the loop again and
		 * again. Each edge is followed up until EAGAIN. */
		if (event_loop_add(l, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, host_event, c,
				   err) < 0) {
			free(c);
			return NULL;
		}
		c->registered = true;
	}
	v->conns[v->n_conns++] = c;
	return c;
}

static void fill_hdr(const struct virtio_vsock *v, struct vsock_conn *c, struct vsock_hdr *h,
		     uint16_t op)
{
	*h = (struct vsock_hdr){.src_cid = VSOCK_HOST_CID,
				.dst_cid = v->guest_cid,
				.src_port = c->host_port,
				.dst_port = c->guest_port,
				.type = VSOCK_TYPE_STREAM,
				.op = op,
				.buf_alloc = VSOCK_BUF_ALLOC,
				.fwd_cnt = c->fwd_cnt};
	c->fwd_announced = c->fwd_cnt;
}

static void guest_request(struct virtio_dev *d, struct virtio_vsock *v, const struct vsock_hdr *h)
{
	int fd = connect_host_port(v, h->dst_port);
	if (fd < 0) {
		log_debug(log_of(d), "vsock: guest port %u -> host port %u refused", h->src_port,
			  h->dst_port);
		owe_rst_to(v, h->dst_port, h->src_port);
		return;
	}
	mvm_error *e = NULL;
	struct vsock_conn *c = conn_new(d, v, fd, h->dst_port, h->src_port, &e);
	if (c == NULL) {
		log_debug(log_of(d), "vsock: %s", mvm_error_get_message(e));
		mvm_error_free(e);
		close(fd);
		owe_rst_to(v, h->dst_port, h->src_port);
		return;
	}
	c->state = CONN_OPEN;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->may_read = true;
	owe(v, c, OWE_RESPONSE);
}

static void guest_response(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->state != CONN_CONNECTING || !c->host_initiated || (c->owe & OWE_REQUEST)) {
		v->stats.resets++;
		conn_reset(v, c);
		return;
	}
	char line[32];
	int n = snprintf(line, sizeof(line), "OK %u\n", c->host_port);
	/* A fresh socket's buffer takes a dozen bytes: anything less means
	 * the client is gone. */
	if (send(c->fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
		conn_reset(v, c);
		return;
	}
	c->state = CONN_OPEN;
	c->may_read = true;
	kick_rx(v, c);
}

static void guest_shutdown(struct virtio_vsock *v, struct vsock_conn *c, uint32_t flags)
{
	if (flags & VSOCK_SHUTDOWN_RCV) {
		c->guest_shut_rcv = true;
		c->may_read = false;
	}
	if (flags & VSOCK_SHUTDOWN_SEND)
		c->guest_shut_send = true;
	after_drain(v, c);
}

/* One packet from the guest: the header is our copy; the payload is
 * iov (guest memory; only copied, never interpreted). */
static void guest_packet(struct virtio_dev *d, struct virtio_vsock *v, const struct vsock_hdr *h,
			 const struct iovec *iov, unsigned n_iov, uint64_t payload_avail)
{
	if (h->src_cid != v->guest_cid || h->dst_cid != VSOCK_HOST_CID) {
		log_debug(log_of(d), "vsock: dropped a packet from CID %llu to CID %llu",
			  (unsigned long long)h->src_cid, (unsigned long long)h->dst_cid);
		return;
	}
	struct vsock_conn *c = find_conn(v, h->dst_port, h->src_port);
	if (h->type != VSOCK_TYPE_STREAM || h->len > payload_avail ||
	    (h->len > 0 && h->op != VSOCK_OP_RW)) {
		log_debug(log_of(d), "vsock: malformed packet (type %u op %u len %u of %llu)",
			  h->type, h->op, h->len, (unsigned long long)payload_avail);
		v->stats.resets++;
		if (c != NULL)
			conn_reset(v, c);
		else if (h->op != VSOCK_OP_RST)
			owe_rst_to(v, h->dst_port, h->src_port);
		return;
	}
	if (c == NULL) {
		if (h->op == VSOCK_OP_REQUEST)
			guest_request(d, v, h);
		else if (h->op != VSOCK_OP_RST)
			owe_rst_to(v, h->dst_port, h->src_port);
		return;
	}
	if (c->state == CONN_DEAD)
		return;
	/* Every packet carries the guest's receive window. */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		guest_response(v, c);
		break;
	case VSOCK_OP_RST:
		conn_kill(v, c);
		return;
	case VSOCK_OP_SHUTDOWN:
		guest_shutdown(v, c, h->flags);
		break;
	case VSOCK_OP_RW:
		if (c->state != CONN_OPEN || c->guest_shut_send ||
		    !take_payload(v, c, iov, n_iov, h->len)) {
			conn_reset(v, c);
			return;
		}
		after_drain(v, c);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		owe(v, c, OWE_CREDIT);
		break;
	default: /* REQUEST on a live connection, INVALID, unknown */
		v->stats.resets++;
		conn_reset(v, c);
		return;
	}
	/* Credit may have come back for a reader that stopped. */
	if (c->credit_wait && peer_credit(c) > 0)
		c->credit_wait = false;
	kick_rx(v, c);
}

/* Splits the readable part of e at the header: copies the header, and
 * points iov at the payload behind it. */
static unsigned payload_iov(struct virtq_elem *e, struct iovec *iov, unsigned max)
{
	size_t skip = VSOCK_HDR_SIZE;
	unsigned n = 0;
	for (unsigned i = 0; i < e->n_read && n < max; i++) {
		size_t l = e->iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		iov[n++] = (struct iovec){(uint8_t *)e->iov[i].iov_base + skip, l - skip};
		skip = 0;
	}
	return n;
}

/* ---- packets to the guest ------------------------------------------------- */

/* Writes the header into the rx element's writable buffers. */
static void put_hdr(struct virtq_elem *e, const struct vsock_hdr *h)
{
	virtq_elem_fill(e, h, sizeof(*h));
}

/* The writable part of e behind the header, at most max bytes. */
static unsigned rx_payload_iov(struct virtq_elem *e, struct iovec *iov, unsigned max_iov,
			       size_t max)
{
	struct iovec *w = virtq_elem_write_iov(e);
	size_t skip = VSOCK_HDR_SIZE;
	unsigned n = 0;
	for (unsigned i = 0; i < e->n_write && n < max_iov && max > 0; i++) {
		size_t l = w[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > max)
			l = max;
		iov[n++] = (struct iovec){(uint8_t *)w[i].iov_base + skip, l};
		max -= l;
		skip = 0;
	}
	return n;
}

/* Fills e with the next packet c has for the guest. Returns its length,
 * or 0 when c has nothing after all (e stays unused). */
static uint32_t conn_rx(struct virtio_vsock *v, struct vsock_conn *c, struct virtq_elem *e)
{
	struct vsock_hdr h;
	if (c->owe & OWE_RST) {
		fill_hdr(v, c, &h, VSOCK_OP_RST);
		put_hdr(e, &h);
		conn_kill(v, c);
		return VSOCK_HDR_SIZE;
	}
	static const struct {
		unsigned owe;
		uint16_t op;
	} order[] = {{OWE_REQUEST, VSOCK_OP_REQUEST},
		     {OWE_RESPONSE, VSOCK_OP_RESPONSE},
		     {OWE_SHUTDOWN, VSOCK_OP_SHUTDOWN},
		     {OWE_CREDIT, VSOCK_OP_CREDIT_UPDATE}};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(c->owe & order[i].owe))
			continue;
		c->owe &= ~order[i].owe;
		fill_hdr(v, c, &h, order[i].op);
		if (order[i].op == VSOCK_OP_SHUTDOWN)
			h.flags = c->shutdown_flags;
		put_hdr(e, &h);
		return VSOCK_HDR_SIZE;
	}
	if (!wants_rx(c))
		return 0;
	uint32_t credit = peer_credit(c);
	if (credit == 0) {
		c->credit_wait = true; /* the guest's next packet may bring it back */
		return 0;
	}
	size_t max = credit < VSOCK_MAX_PKT_PAYLOAD ? credit : VSOCK_MAX_PKT_PAYLOAD;
	struct iovec iov[64];
	unsigned n_iov = rx_payload_iov(e, iov, 64, max);
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = n_iov};
	ssize_t n;
	do
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN) {
		c->may_read = false; /* the next edge brings it back */
		return 0;
	}
	if (n < 0) {
		conn_reset(v, c);
		return conn_rx(v, c, e);
	}
	if (n == 0) {
		c->host_eof = true;
		c->may_read = false;
		c->shutdown_flags = VSOCK_SHUTDOWN_SEND;
		fill_hdr(v, c, &h, VSOCK_OP_SHUTDOWN);
		h.flags = c->shutdown_flags;
		put_hdr(e, &h);
		after_drain(v, c);
		return VSOCK_HDR_SIZE;
	}
	fill_hdr(v, c, &h, VSOCK_OP_RW);
	h.len = (uint32_t)n;
	put_hdr(e, &h);
	c->rx_cnt += (uint32_t)n;
	v->stats.to_guest += (uint64_t)n;
	return VSOCK_HDR_SIZE + (uint32_t)n;
}

static bool rx_has_work(const struct virtio_vsock *v)
{
	return v->rst_count > 0 || v->rx_head != NULL;
}

/* Moves what is owed into the guest's rx buffers while it has some. */
static void rx_pump(struct virtio_dev *d, struct virtio_vsock *v)
{
	bool pushed = false;
	struct virtq_elem *e = &v->elem;
	while (v->active && rx_has_work(v)) {
		if (virtio_dev_pop(d, RX_Q, e) != 1)
			break; /* the guest kicks rxq when it adds buffers */
		/* A buffer that cannot carry a header and a byte of data would
		 * be taken and given back for ever. */
		if (e->write_len <= VSOCK_HDR_SIZE || e->n_read > 0) {
			virtio_dev_set_broken(d,
					      "virtio-vsock: rx buffer of %llu bytes (%u readable "
					      "parts); it needs more than %u writable bytes",
					      (unsigned long long)e->write_len, e->n_read,
					      VSOCK_HDR_SIZE);
			v->active = false;
			return;
		}
		uint32_t len = 0;
		if (v->rst_count > 0) {
			struct rst_owed r = v->rst[v->rst_first];
			v->rst_first = (v->rst_first + 1) % RST_QUEUE;
			v->rst_count--;
			struct vsock_hdr h = {.src_cid = VSOCK_HOST_CID,
					      .dst_cid = v->guest_cid,
					      .src_port = r.host_port,
					      .dst_port = r.guest_port,
					      .type = VSOCK_TYPE_STREAM,
					      .op = VSOCK_OP_RST};
			put_hdr(e, &h);
			len = VSOCK_HDR_SIZE;
		} else {
			struct vsock_conn *c = v->rx_head;
			rx_list_remove(v, c);
			len = conn_rx(v, c, e);
			/* Round robin: one packet a turn, then to the back. */
			kick_rx(v, c);
		}
		if (len == 0) {
			virtq_unpop(virtio_dev_queue(d, RX_Q), e);
			continue;
		}
		virtio_dev_push(d, RX_Q, e, len);
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal_used(d, RX_Q);
}

static void tx_pump(struct virtio_dev *d, struct virtio_vsock *v)
{
	struct virtq_elem *e = &v->elem;
	bool pushed = false;
	while (v->active) {
		int r = virtio_dev_pop(d, TX_Q, e);
		if (r != 1)
			break;
		struct vsock_hdr h;
		if (e->read_len < VSOCK_HDR_SIZE) {
			/* Not even a header: nothing to answer to. */
			log_debug(log_of(d), "virtio-vsock: tx chain of %llu bytes, no header",
				  (unsigned long long)e->read_len);
		} else {
			virtq_elem_gather(e, &h, sizeof(h));
			struct iovec iov[64];
			unsigned n = payload_iov(e, iov, 64);
			uint64_t avail = 0;
			for (unsigned i = 0; i < n; i++)
				avail += iov[i].iov_len;
			guest_packet(d, v, &h, iov, n, avail);
		}
		virtio_dev_push(d, TX_Q, e, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal_used(d, TX_Q);
	/* Replies (RESPONSE, RST, credit) go out now, not at the next rx kick. */
	rx_pump(d, v);
}

/* ---- host sockets ----------------------------------------------------------- */

static void serve_host(struct virtio_vsock *v, struct vsock_conn *c, uint32_t events)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->state == CONN_CONNECTING) {
		/* The client gave up before the guest answered. */
		if (events & (EPOLLHUP | EPOLLERR))
			conn_reset(v, c);
		return;
	}
	if ((events & EPOLLOUT) && c->buf_len > 0) {
		if (!flush_buf(c)) {
			conn_reset(v, c);
			return;
		}
		after_drain(v, c);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) {
		c->may_read = true;
		kick_rx(v, c);
	}
}

static void schedule_timer(struct virtio_vsock *v);

static void host_event(void *opaque, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct virtio_vsock *v = c->v;
	struct virtio_dev *d = v->dev;
	pthread_mutex_lock(&v->lock);
	serve_host(v, c, events);
	rx_pump(d, v);
	pthread_mutex_unlock(&v->lock);
	reap(d, v);
}

static void expire(struct virtio_vsock *v, uint64_t now)
{
	for (uint32_t i = 0; i < v->n_conns; i++) {
		struct vsock_conn *c = v->conns[i];
		if (c->state == CONN_CONNECTING && now >= c->deadline_ns && !(c->owe & OWE_RST))
			conn_reset(v, c);
	}
}

static void timer_event(void *opaque, uint32_t events)
{
	(void)events;
	struct virtio_vsock *v = opaque;
	uint64_t n;
	if (read(v->timer_fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	pthread_mutex_lock(&v->lock);
	expire(v, clock_now_ns());
	schedule_timer(v);
	rx_pump(v->dev, v);
	pthread_mutex_unlock(&v->lock);
	reap(v->dev, v);
}

/* Arms the timer for the earliest connect deadline, or disarms it. */
static void schedule_timer(struct virtio_vsock *v)
{
	if (v->timer_fd < 0)
		return;
	uint64_t first = 0;
	for (uint32_t i = 0; i < v->n_conns; i++) {
		struct vsock_conn *c = v->conns[i];
		if (c->state == CONN_CONNECTING && (first == 0 || c->deadline_ns < first))
			first = c->deadline_ns;
	}
	struct itimerspec its = {0};
	if (first != 0) {
		uint64_t now = clock_now_ns();
		uint64_t wait = first > now ? first - now : 1;
		its.it_value.tv_sec = (time_t)(wait / 1000000000ull);
		its.it_value.tv_nsec = (long)(wait % 1000000000ull);
	}
	timerfd_settime(v->timer_fd, 0, &its, NULL);
}

int virtio_vsock_connect(struct virtio_dev *d, int fd, uint32_t port, mvm_error **err)
{
	struct virtio_vsock *v = virtio_dev_priv(d);
	pthread_mutex_lock(&v->lock);
	int rc = -1;
	if (!v->active) {
		mvm_err(err, MVM_ERR_STATE, 0,
			"vsock: the guest's driver is not running (connection to port %u)", port);
		goto out;
	}
	uint32_t host_port = v->next_host_port;
	while (host_port < HOST_PORT_FIRST || host_port == UINT32_MAX ||
	       host_port_used(v, host_port))
		host_port = host_port < HOST_PORT_FIRST || host_port == UINT32_MAX ? HOST_PORT_FIRST
										   : host_port + 1;
	v->next_host_port = host_port + 1;
	struct event_loop *l = loop_of(d);
	if (l != NULL && v->timer_fd >= 0 && !v->timer_registered) {
		if (event_loop_add(l, v->timer_fd, EPOLLIN, timer_event, v, err) < 0)
			goto out;
		v->timer_registered = true;
	}
	struct vsock_conn *c = conn_new(d, v, fd, host_port, port, err);
	if (c == NULL)
		goto out;
	fd = -1;
	c->host_initiated = true;
	c->state = CONN_CONNECTING;
	c->deadline_ns = clock_now_ns() + VSOCK_CONNECT_TIMEOUT_MS * 1000000ull;
	owe(v, c, OWE_REQUEST);
	schedule_timer(v);
	rx_pump(d, v);
	rc = 0;
out:
	pthread_mutex_unlock(&v->lock);
	if (fd >= 0)
		close(fd);
	reap(d, v);
	return rc;
}

void virtio_vsock_poll_host(struct virtio_dev *d)
{
	struct virtio_vsock *v = virtio_dev_priv(d);
	pthread_mutex_lock(&v->lock);
	expire(v, clock_now_ns());
	/* serve_host() may kill conns: walk a copy. */
	struct vsock_conn *list[VSOCK_MAX_CONNS];
	uint32_t n = v->n_conns;
	memcpy(list, v->conns, n * sizeof(list[0]));
	for (uint32_t i = 0; i < n; i++)
		serve_host(v, list[i], EPOLLIN | EPOLLOUT);
	rx_pump(d, v);
	pthread_mutex_unlock(&v->lock);
	reap(d, v);
}

void virtio_vsock_get_stats(struct virtio_dev *d, struct virtio_vsock_stats *s)
{
	struct virtio_vsock *v = virtio_dev_priv(d);
	pthread_mutex_lock(&v->lock);
	*s = v->stats;
	s->conns = v->n_conns;
	pthread_mutex_unlock(&v->lock);
}

/* ---- virtio ops --------------------------------------------------------------- */

static void vsock_read_config(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_vsock *v = virtio_dev_priv(d);
	uint8_t cfg[CONFIG_SIZE];
	memcpy(cfg, &v->guest_cid, sizeof(cfg));
	memcpy(buf, cfg + off, len);
}

static int vsock_activate(struct virtio_dev *d, mvm_error **err)
{
	(void)err;
	struct virtio_vsock *v = virtio_dev_priv(d);
	pthread_mutex_lock(&v->lock);
	v->dev = d;
	v->active = true;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static void vsock_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_vsock *v = virtio_dev_priv(d);
	pthread_mutex_lock(&v->lock);
	if (q == TX_Q)
		tx_pump(d, v);
	else if (q == RX_Q)
		rx_pump(d, v);
	/* EVENT_Q: its buffers wait for events that never come. */
	pthread_mutex_unlock(&v->lock);
	reap(d, v);
}

/* Every connection ends: the driver forgot them all (§5.10.6.6). */
static void drop_all(struct virtio_vsock *v)
{
	while (v->n_conns > 0)
		conn_kill(v, v->conns[0]);
	v->rst_count = 0;
	v->rx_head = v->rx_tail = NULL;
}

static void vsock_reset(struct virtio_dev *d)
{
	struct virtio_vsock *v = virtio_dev_priv(d);
	pthread_mutex_lock(&v->lock);
	v->active = false;
	drop_all(v);
	pthread_mutex_unlock(&v->lock);
	reap(d, v);
}

static void vsock_free(void *priv)
{
	struct virtio_vsock *v = priv;
	if (v == NULL)
		return;
	/* The loop has stopped (or never ran): nothing can call back now. */
	drop_all(v);
	for (struct vsock_conn *g = v->grave, *next; g; g = next) {
		next = g->grave_next;
		if (g->fd >= 0)
			close(g->fd);
		free(g->buf);
		free(g);
	}
	if (v->timer_registered)
		event_loop_del(loop_of(v->dev), v->timer_fd);
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	if (v->dir_fd >= 0)
		close(v->dir_fd);
	pthread_mutex_destroy(&v->lock);
	free(v->uds_path);
	free(v);
}

const struct virtio_dev_ops virtio_vsock_ops = {
    .name = "virtio-vsock",
    .device_id = VIRTIO_ID_VSOCK,
    .features = 0, /* no feature bit: streams only (§5.10.3) */
    .num_queues = 3,
    .queue_max_size = 256,
    .config_size = CONFIG_SIZE,
    .read_config = vsock_read_config,
    .activate = vsock_activate,
    .notify = vsock_notify,
    .reset = vsock_reset,
    .free = vsock_free,
};

struct virtio_vsock *virtio_vsock_new(const struct virtio_vsock_params *p, mvm_error **err)
{
	uint64_t cid = p->guest_cid ? p->guest_cid : VSOCK_DEFAULT_GUEST_CID;
	/* 0-2 are the hypervisor, local and host; -1 is VMADDR_CID_ANY. */
	if (cid < 3 || cid >= UINT32_MAX) {
		mvm_err(err, MVM_ERR_INVALID, 0, "vsock: guest CID %llu (3 to %u)",
			(unsigned long long)cid, UINT32_MAX - 1);
		return NULL;
	}
	struct virtio_vsock *v = calloc(1, sizeof(*v));
	if (v == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-vsock");
		return NULL;
	}
	v->guest_cid = cid;
	v->next_host_port = HOST_PORT_FIRST;
	v->timer_fd = -1;
	v->dir_fd = -1;
	pthread_mutex_init(&v->lock, NULL);
	if (p->uds_path != NULL) {
		if ((v->uds_path = strdup(p->uds_path)) == NULL) {
			vsock_free(v);
			mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-vsock");
			return NULL;
		}
		char *slash = strrchr(v->uds_path, '/');
		v->uds_base = slash ? slash + 1 : v->uds_path;
		if (slash != NULL) {
			*slash = '\0';
			v->dir_fd = open(slash == v->uds_path ? "/" : v->uds_path,
					 O_PATH | O_DIRECTORY | O_CLOEXEC);
			*slash = '/';
		} else {
			v->dir_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
	}
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (v->timer_fd < 0) {
		mvm_err_sys(err, "vsock: timerfd");
		vsock_free(v);
		return NULL;
	}
	return v;
}
