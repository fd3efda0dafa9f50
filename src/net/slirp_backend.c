/* SPDX-License-Identifier: Apache-2.0 */
#include "net/slirp_backend.h"
#include "vmm/guest_net.h"

#include "config/ipv4.h"
#include "guest/protocol.h"
#include "util/error.h"
#include "util/fd_quota.h"
#include "jail/sandbox.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Largest frame we linearize for slirp_input (virtio-net's bound). */
#define FRAME_MAX 65550u
#define POLLFDS_INITIAL 32u

#define ETH_HLEN 14u
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u

/* Frames for the guest wait here while it has no rx buffers (QEMU queues
 * them too): dropping them would leave recovery to TCP's retransmission
 * timers and cut throughput. Bounded; beyond it frames are dropped. */
#define PENDING_MAX_BYTES (4u << 20)

struct pending_frame {
	struct pending_frame *next;
	size_t len;
	uint8_t data[];
};

struct backend_timer {
	struct backend_timer *next;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

/* A learned port: a request for the network thread, or a forward it made. */
struct learned_port {
	uint16_t port;
	bool udp, add;
};
#define LEARN_QUEUE 128u

struct slirp_backend {
	struct slirp_backend_config cfg;
	struct slirp_net_addrs addrs;

	pthread_mutex_t lock; /* every slirp_* call, timers, pollfds */
	Slirp *slirp;
	struct backend_timer *timers;
	struct pollfd *pfds;
	unsigned n_pfds, cap_pfds;
	uint64_t filtered;
	struct pending_frame *pending_head, **pending_tail;
	size_t pending_bytes;
	uint64_t rx_dropped;
	/* libslirp's host sockets, counted each polling round against the
	 * process's fd budget (util/fd_quota.h). */
	struct fd_quota fds;
	bool fds_warned;

	struct learned_port learn_req[LEARN_QUEUE];
	unsigned n_learn_req;
	struct learned_port learned[MVM_MAX_LEARNED_PORTS];
	unsigned n_learned;
	bool learn_warned;

	int wake_fd;
	bool stop;
	bool thread_started;
	pthread_t thread;
	uint8_t frame[FRAME_MAX];
};

/* ---- addresses ------------------------------------------------------------ */

int slirp_net_addrs_for(uint32_t assigned_ip, struct slirp_net_addrs *out, mvm_error **err)
{
	uint32_t ip = assigned_ip ? assigned_ip : 0x0a00020fu; /* 10.0.2.15 */
	uint32_t host = ip & 0xffu;
	if (host == 0 || host == 255) {
		char s[IPV4_STR_MAX];
		ipv4_format(ip, s);
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "assigned IP %s: the last number must be 1..254 (the guest's "
			       "network is the /24 around it)",
			       s);
	}
	struct guest_net g;
	guest_net_for_ip(ip, &g);
	out->network = g.network;
	out->netmask = 0xffffffffu << (32 - g.prefix_len);
	out->guest = g.addr;
	out->gateway = g.gateway;
	out->dns = g.dns;
	return 0;
}

static struct in_addr in4(uint32_t host_order)
{
	return (struct in_addr){.s_addr = htonl(host_order)};
}

/* ---- slirp callbacks (all run under b->lock) ----------------------------- */

/* Delivers queued frames in order until the guest runs out of buffers. */
static void flush_pending_locked(struct slirp_backend *b)
{
	while (b->pending_head != NULL && b->cfg.deliver != NULL) {
		struct pending_frame *p = b->pending_head;
		if (b->cfg.deliver(b->cfg.device_ctx, p->data, p->len) < 0)
			return;
		b->pending_head = p->next;
		if (b->pending_head == NULL)
			b->pending_tail = &b->pending_head;
		b->pending_bytes -= p->len;
		free(p);
	}
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_backend *b = opaque;
	if (b->cfg.deliver == NULL)
		return (ssize_t)len;
	flush_pending_locked(b);
	if (b->pending_head == NULL && b->cfg.deliver(b->cfg.device_ctx, buf, len) == 0)
		return (ssize_t)len;
	/* A dropped frame is not an I/O error for slirp: TCP retransmits. */
	struct pending_frame *p = NULL;
	if (b->pending_bytes + len <= PENDING_MAX_BYTES)
		p = malloc(sizeof(*p) + len);
	if (p == NULL) {
		b->rx_dropped++;
		return (ssize_t)len;
	}
	p->next = NULL;
	p->len = len;
	memcpy(p->data, buf, len);
	*b->pending_tail = p;
	b->pending_tail = &p->next;
	b->pending_bytes += len;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct slirp_backend *b = opaque;
	log_debug(b->cfg.log, "slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return clock_now_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_backend *b = opaque;
	struct backend_timer *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = b->timers;
	b->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_backend *b = opaque;
	for (struct backend_timer **p = &b->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_backend *b = opaque;
	struct backend_timer *t = timer;
	t->expire_ms = expire_ms;
	slirp_backend_wake(b); /* recompute the poll timeout */
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	/* Nothing to do: slirp_pollfds_fill lists every fd on each round. */
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
	slirp_backend_wake(opaque);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the network thread ---------------------------------------------------- */

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_backend *b = opaque;
	if (b->n_pfds == b->cap_pfds) {
		unsigned cap = b->cap_pfds * 2;
		struct pollfd *p = realloc(b->pfds, cap * sizeof(*p));
		if (p == NULL)
			return -1; /* slirp skips this fd this round */
		b->pfds = p;
		b->cap_pfds = cap;
	}
	short ev = 0;
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	b->pfds[b->n_pfds] = (struct pollfd){.fd = fd, .events = ev};
	return (int)b->n_pfds++;
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_backend *b = opaque;
	if (idx < 0 || (unsigned)idx >= b->n_pfds)
		return 0;
	short rev = b->pfds[idx].revents;
	int out = 0;
	if (rev & POLLIN)
		out |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		out |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		out |= SLIRP_POLL_PRI;
	if (rev & (POLLERR | POLLNVAL))
		out |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		out |= SLIRP_POLL_HUP;
	return out;
}

/* Fires due timers; returns ms until the next one (UINT32_MAX: none). */
static uint32_t run_timers_locked(struct slirp_backend *b)
{
	int64_t now = clock_now_ns() / 1000000;
	bool fired;
	do {
		fired = false;
		for (struct backend_timer *t = b->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				/* May free or add timers: restart the walk. */
				slirp_handle_timer(b->slirp, t->id, t->cb_opaque);
				fired = true;
				break;
			}
		}
	} while (fired);
	uint32_t next = UINT32_MAX;
	for (struct backend_timer *t = b->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (uint64_t)(t->expire_ms - now) < next)
			next = (uint32_t)(t->expire_ms - now);
	return next;
}

static void drain_wake(struct slirp_backend *b)
{
	uint64_t v;
	while (read(b->wake_fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static int find_learned(const struct slirp_backend *b, bool udp, uint16_t port)
{
	for (unsigned i = 0; i < b->n_learned; i++)
		if (b->learned[i].udp == udp && b->learned[i].port == port)
			return (int)i;
	return -1;
}

/* On the network thread, under the lock: what the guest reported. A port
 * the host cannot take (an explicit port map has it, or something else in
 * this network namespace) is logged and left alone. */
static void apply_learned_locked(struct slirp_backend *b)
{
	if (b->n_learn_req == 0)
		return; /* every wake comes here: most carry no report */
	char ip[IPV4_STR_MAX];
	ipv4_format(b->cfg.publish_bind_ip, ip);
	for (unsigned i = 0; i < b->n_learn_req; i++) {
		struct learned_port r = b->learn_req[i];
		const char *proto = r.udp ? "udp" : "tcp";
		int at = find_learned(b, r.udp, r.port);
		if (!r.add) {
			if (at < 0)
				continue;
			slirp_remove_hostfwd(b->slirp, r.udp, in4(b->cfg.publish_bind_ip), r.port);
			b->learned[at] = b->learned[--b->n_learned];
			log_debug(b->cfg.log, "net: guest %s port %u closed: no longer forwarded",
				  proto, r.port);
			continue;
		}
		if (at >= 0)
			continue;
		if (b->n_learned == MVM_MAX_LEARNED_PORTS) {
			if (!b->learn_warned)
				log_warn(b->cfg.log,
					 "net: the guest listens on more than %u ports; %s port %u "
					 "and later ones are not forwarded",
					 MVM_MAX_LEARNED_PORTS, proto, r.port);
			b->learn_warned = true;
			continue;
		}
		errno = 0;
		if (slirp_add_hostfwd(b->slirp, r.udp, in4(b->cfg.publish_bind_ip), r.port,
				      in4(b->addrs.guest), r.port) < 0) {
			log_warn(b->cfg.log, "net: cannot forward %s %s:%u to the guest: %s", proto,
				 ip, r.port, errno ? strerror(errno) : "refused by libslirp");
			continue;
		}
		b->learned[b->n_learned++] = (struct learned_port){.port = r.port, .udp = r.udp};
		log_debug(b->cfg.log, "net: guest listens on %s port %u: forwarded from %s:%u",
			  proto, r.port, ip, r.port);
	}
	b->n_learn_req = 0;
}

void slirp_backend_learned_port(struct slirp_backend *b, bool add, bool udp, uint16_t port)
{
	if (!b->cfg.publish_listening || port == 0)
		return;
	pthread_mutex_lock(&b->lock);
	bool full = b->n_learn_req == LEARN_QUEUE;
	if (!full)
		b->learn_req[b->n_learn_req++] =
		    (struct learned_port){.port = port, .udp = udp, .add = add};
	pthread_mutex_unlock(&b->lock);
	if (full)
		log_warn(b->cfg.log, "net: guest port reports come faster than they are applied; "
				     "one dropped");
	else
		slirp_backend_wake(b);
}

static void *net_thread(void *arg)
{
	struct slirp_backend *b = arg;
	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		uint32_t timeout = run_timers_locked(b);
		b->n_pfds = 0;
		add_poll(b->wake_fd, SLIRP_POLL_IN, b); /* index 0 */
		slirp_pollfds_fill(b->slirp, &timeout, add_poll, b);
		fd_quota_set_held(&b->fds, FD_SOCKET, b->n_pfds - 1);
		pthread_mutex_unlock(&b->lock);

		int ms = timeout > (uint32_t)INT32_MAX ? -1 : (int)timeout;
		int rc = poll(b->pfds, b->n_pfds, ms);
		int poll_errno = errno;

		pthread_mutex_lock(&b->lock);
		bool kicked = rc > 0 && (b->pfds[0].revents & POLLIN);
		if (kicked) {
			drain_wake(b);
			flush_pending_locked(b); /* maybe the guest added rx buffers */
			apply_learned_locked(b);
		}
		if (rc < 0 && poll_errno != EINTR)
			log_warn(b->cfg.log, "slirp: poll: %s", strerror(poll_errno));
		slirp_pollfds_poll(b->slirp, rc < 0, get_revents, b);
		if (kicked && b->cfg.transmit != NULL) {
			/* Without the lock: transmit calls slirp_backend_send(). */
			pthread_mutex_unlock(&b->lock);
			b->cfg.transmit(b->cfg.device_ctx);
			pthread_mutex_lock(&b->lock);
		}
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* ---- guest frames ---------------------------------------------------------- */

/* local-only: the guest may talk to the gateway (= host loopback) and use
 * ARP and DHCP, nothing else. libslirp's own `restricted` mode cannot
 * express this (it drops TCP to anything but guestfwd entries, so host
 * loopback services on arbitrary ports would be unreachable). */
static bool local_only_allows(const struct slirp_backend *b, const uint8_t *f, size_t len)
{
	if (len < ETH_HLEN)
		return false;
	unsigned type = (unsigned)f[12] << 8 | f[13];
	if (type == ETHERTYPE_ARP)
		return true;
	if (type != ETHERTYPE_IPV4 || len < ETH_HLEN + 20)
		return false;
	uint32_t dst = (uint32_t)f[30] << 24 | (uint32_t)f[31] << 16 | (uint32_t)f[32] << 8 | f[33];
	if (dst == b->addrs.gateway)
		return true;
	/* DHCP: UDP to the broadcast address, port 67. */
	unsigned ihl = (f[ETH_HLEN] & 0xfu) * 4u;
	if (dst == 0xffffffffu && f[ETH_HLEN + 9] == 17 && ihl >= 20 &&
	    len >= ETH_HLEN + ihl + 4) {
		unsigned dport = (unsigned)f[ETH_HLEN + ihl + 2] << 8 | f[ETH_HLEN + ihl + 3];
		return dport == 67;
	}
	return false;
}

/* Frames after which libslirp may open a host socket: a TCP SYN (a new
 * connection), a UDP datagram but DHCP (a new flow gets a socket) and
 * ICMP. At the fd budget they are dropped, as by a full firewall table. */
static bool may_open_socket(const uint8_t *f, size_t len)
{
	if (len < ETH_HLEN + 20 || ((unsigned)f[12] << 8 | f[13]) != ETHERTYPE_IPV4)
		return false;
	unsigned ihl = (f[ETH_HLEN] & 0xfu) * 4u, proto = f[ETH_HLEN + 9];
	if (proto == 1)
		return true;
	if (proto == 17)
		return len < ETH_HLEN + ihl + 4 ||
		       ((unsigned)f[ETH_HLEN + ihl + 2] << 8 | f[ETH_HLEN + ihl + 3]) != 67;
	if (proto != 6 || len < ETH_HLEN + ihl + 14)
		return false;
	uint8_t flags = f[ETH_HLEN + ihl + 13];
	return (flags & 0x02) && !(flags & 0x10); /* SYN without ACK */
}

static bool socket_refused(struct slirp_backend *b, const uint8_t *f, size_t len)
{
	if (!may_open_socket(f, len) || fd_quota_room(&b->fds, FD_SOCKET) == 0)
		return false;
	if (!b->fds_warned) {
		b->fds_warned = true;
		log_warn(b->cfg.log,
			 "slirp: the guest's connections reached the process's fd limit; new "
			 "connections are dropped until some close");
	}
	return true;
}

void slirp_backend_send(void *ctx, const struct iovec *frame, int n)
{
	struct slirp_backend *b = ctx;
	pthread_mutex_lock(&b->lock);
	const uint8_t *pkt;
	size_t len = 0;
	if (n == 1) {
		pkt = frame[0].iov_base;
		len = frame[0].iov_len;
	} else {
		for (int i = 0; i < n; i++) {
			if (frame[i].iov_len > FRAME_MAX - len) {
				len = FRAME_MAX + 1;
				break;
			}
			memcpy(b->frame + len, frame[i].iov_base, frame[i].iov_len);
			len += frame[i].iov_len;
		}
		pkt = b->frame;
	}
	if (len == 0 || len > FRAME_MAX || (b->cfg.local_only && !local_only_allows(b, pkt, len)) ||
	    socket_refused(b, pkt, len)) {
		b->filtered++;
	} else {
		slirp_input(b->slirp, pkt, (int)len);
	}
	pthread_mutex_unlock(&b->lock);
	/* Input may have opened sockets the thread must poll; on the thread
	 * itself the next round does that anyway. */
	if (!b->thread_started || !pthread_equal(pthread_self(), b->thread))
		slirp_backend_wake(b);
}

void slirp_backend_wake(void *ctx)
{
	struct slirp_backend *b = ctx;
	uint64_t one = 1;
	ssize_t r;
	do
		r = write(b->wake_fd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
	/* EAGAIN: the counter is saturated, the thread is awake anyway. */
}

/* ---- lifecycle ------------------------------------------------------------- */

struct slirp_backend *slirp_backend_new(const struct slirp_backend_config *cfg, mvm_error **err)
{
	struct slirp_net_addrs a;
	if (slirp_net_addrs_for(cfg->assigned_ip, &a, err) < 0)
		return NULL;
	struct slirp_backend *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "slirp backend");
		return NULL;
	}
	b->cfg = *cfg;
	b->addrs = a;
	fd_quota_init(&b->fds, 0, 0);
	b->pending_tail = &b->pending_head;
	b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	b->cap_pfds = POLLFDS_INITIAL;
	b->pfds = calloc(b->cap_pfds, sizeof(*b->pfds));
	if (b->wake_fd < 0 || b->pfds == NULL) {
		mvm_err_sys(err, "slirp backend: eventfd or poll table");
		goto fail;
	}
	pthread_mutex_init(&b->lock, NULL);

	SlirpConfig sc = {
	    .version = 4,
	    .restricted = 0, /* local-only is our filter: see local_only_allows */
	    .in_enabled = true,
	    .vnetwork = in4(a.network),
	    .vnetmask = in4(a.netmask),
	    .vhost = in4(a.gateway),
	    .in6_enabled = false,
	    .vhostname = "mvm",
	    .vdhcp_start = in4(a.guest),
	    .vnameserver = in4(a.dns),
	    .disable_host_loopback = false, /* gateway -> 127.0.0.1 */
	    .enable_emu = false,
	    .disable_dns = cfg->local_only,
	    .if_mtu = SLIRP_BACKEND_MTU,
	    .if_mru = SLIRP_BACKEND_MTU,
	};
	pthread_mutex_lock(&b->lock);
	b->slirp = slirp_new(&sc, &slirp_callbacks, b);
	pthread_mutex_unlock(&b->lock);
	if (b->slirp == NULL) {
		mvm_err(err, MVM_ERR_IO, 0, "slirp_new failed for network %08x/24", a.network);
		pthread_mutex_destroy(&b->lock);
		goto fail;
	}
	return b;
fail:
	if (b->wake_fd >= 0)
		close(b->wake_fd);
	free(b->pfds);
	free(b);
	return NULL;
}

int slirp_backend_add_hostfwd(struct slirp_backend *b, bool udp, const char *bind_addr,
			      uint16_t host_port, uint16_t guest_port, mvm_error **err)
{
	const char *addr_s = bind_addr ? bind_addr : "127.0.0.1";
	uint32_t host_ip;
	if (ipv4_parse(addr_s, &host_ip, err) < 0)
		return mvm_err_wrap(err, "port map bind address");
	if (host_port == 0 || guest_port == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "port map %s:%u -> %u: ports must be 1..65535", addr_s, host_port,
			       guest_port);
	pthread_mutex_lock(&b->lock);
	errno = 0;
	int rc = slirp_add_hostfwd(b->slirp, udp, in4(host_ip), host_port, in4(b->addrs.guest),
				   guest_port);
	int e = errno;
	pthread_mutex_unlock(&b->lock);
	if (rc < 0) {
		if (e == EADDRINUSE)
			return mvm_err(err, MVM_ERR_IO, e,
				       "host port %u on %s is already in use (%s port map to "
				       "guest port %u)",
				       host_port, addr_s, udp ? "udp" : "tcp", guest_port);
		return mvm_err(err, MVM_ERR_IO, e,
			       "cannot listen on host %s port %u on %s for guest port %u", addr_s,
			       host_port, udp ? "udp" : "tcp", guest_port);
	}
	slirp_backend_wake(b); /* poll the new listening socket */
	return 0;
}

void slirp_backend_attach(struct slirp_backend *b,
			  int (*deliver)(void *ctx, const void *frame, size_t len),
			  unsigned (*transmit)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&b->lock);
	b->cfg.deliver = deliver;
	b->cfg.transmit = transmit;
	b->cfg.device_ctx = ctx;
	pthread_mutex_unlock(&b->lock);
}

int slirp_backend_start(struct slirp_backend *b, mvm_error **err)
{
	if (b->thread_started)
		return mvm_err(err, MVM_ERR_STATE, 0, "slirp backend: already started");
	if (sandbox_thread_create(b->cfg.sandbox, SANDBOX_NET, "mvm-net", &b->thread, net_thread,
				  b, err) < 0)
		return -1;
	b->thread_started = true;
	return 0;
}

void slirp_backend_get_stats(struct slirp_backend *b, struct slirp_backend_stats *s)
{
	pthread_mutex_lock(&b->lock);
	s->rx_dropped = b->rx_dropped;
	s->pending_bytes = b->pending_bytes;
	s->filtered = b->filtered;
	pthread_mutex_unlock(&b->lock);
}

void slirp_backend_free(struct slirp_backend *b)
{
	if (b == NULL)
		return;
	if (b->thread_started) {
		pthread_mutex_lock(&b->lock);
		b->stop = true;
		pthread_mutex_unlock(&b->lock);
		slirp_backend_wake(b);
		pthread_join(b->thread, NULL);
	}
	slirp_cleanup(b->slirp);
	fd_quota_set_held(&b->fds, FD_SOCKET, 0);
	while (b->pending_head) {
		struct pending_frame *p = b->pending_head;
		b->pending_head = p->next;
		free(p);
	}
	while (b->timers) {
		struct backend_timer *t = b->timers;
		b->timers = t->next;
		free(t);
	}
	pthread_mutex_destroy(&b->lock);
	close(b->wake_fd);
	free(b->pfds);
	free(b);
}
