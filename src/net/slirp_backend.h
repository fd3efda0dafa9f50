/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User-mode networking for one VM with libslirp (no root, no TAP).
 *
 * Threading: libslirp is not thread-safe, so every slirp_* call runs under
 * the backend's mutex. A dedicated network thread runs
 *     slirp_pollfds_fill -> poll(timeout) -> slirp_pollfds_poll -> timers
 * holding the mutex except while it sleeps in poll(). Guest frames are fed
 * in with slirp_input() on the caller's thread (the event loop handling the
 * tx kick) under the same mutex, then an eventfd wakes the network thread
 * so that it polls any socket or timer that input created. The timeout
 * given to poll() is the minimum of slirp's own (TCP fast/slow timers, via
 * slirp_pollfds_fill) and our earliest armed slirp timer: no busy polling.
 *
 * Frames slirp sends to the guest go to cfg.deliver, under the mutex, on
 * whichever thread drove slirp (network thread or tx thread). When deliver
 * fails (no rx buffers) the frame and all later ones wait in a FIFO of at
 * most 4 MiB, flushed when slirp_backend_wake() is called (the guest's rx
 * kick) or the next frame arrives; beyond that bound frames are dropped.
 *
 * Addresses (slirp_net_addrs_for): see docs/net.md.
 */
#ifndef MVM_NET_SLIRP_BACKEND_H
#define MVM_NET_SLIRP_BACKEND_H

#include "mvm.h"
#include "util/log.h"

struct sandbox; /* jail/sandbox.h */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* All addresses in host byte order. */
struct slirp_net_addrs {
	uint32_t network, netmask, guest, gateway, dns;
};

/* assigned_ip 0: 10.0.2.0/24, guest .15, gateway .2, dns .3. Otherwise
 * A.B.C.D on A.B.C.0/24, gateway A.B.C.2 (A.B.C.1 if D is 2), dns A.B.C.3
 * (A.B.C.4 if D is 3). D must be 1..254. */
int slirp_net_addrs_for(uint32_t assigned_ip, struct slirp_net_addrs *out, mvm_error **err);

/* The guest's MTU: libslirp's largest (IF_MTU_MAX is 65521; 65520 keeps IP
 * packets 8-byte aligned, as libkrun and passt use). A TCP stream then
 * moves in 64 KiB segments instead of 1460-byte ones: far fewer frames,
 * interrupts and VM exits per byte. */
#define SLIRP_BACKEND_MTU 65520

struct slirp_backend_config {
	uint32_t assigned_ip; /* host order, 0 = default */
	/* true: the guest may reach only the gateway address (which slirp maps
	 * to the host's 127.0.0.1) and DHCP; see docs/net.md. */
	bool local_only;
	/* Learned ports (slirp_backend_learned_port) listen on this address
	 * (host order); off unless publish_listening. */
	bool publish_listening;
	uint32_t publish_bind_ip;
	const struct mvm_logger *log;
	/* The device side, called on the network thread without the backend's
	 * lock. deliver: a frame for the guest; returns 0, or -1 if it found
	 * no room (it is queued and retried after the next wake). transmit:
	 * takes the guest's queued frames, calling slirp_backend_send() for
	 * each; may be NULL. */
	int (*deliver)(void *ctx, const void *frame, size_t len);
	unsigned (*transmit)(void *ctx);
	void *device_ctx;
	/* The network thread's seccomp lists, or NULL for none. */
	const struct sandbox *sandbox;
};

struct slirp_backend;

struct slirp_backend *slirp_backend_new(const struct slirp_backend_config *cfg, mvm_error **err);
/* Forwards host bind_addr:host_port (TCP, or UDP if udp) to the guest's
 * guest_port. bind_addr NULL means 127.0.0.1. Any time, any thread. Fails
 * with "host port N on ADDR is already in use" if the bind fails. */
int slirp_backend_add_hostfwd(struct slirp_backend *b, bool udp, const char *bind_addr,
			      uint16_t host_port, uint16_t guest_port, mvm_error **err);
/* A port the guest began (add) or stopped listening on (MVM_CTRL_PORT):
 * forwards cfg.publish_bind_ip:port to the guest's port while it listens.
 * Queued for the network thread, whose seccomp list allows bind and
 * listen; any thread. Ignored without cfg.publish_listening; at most
 * MVM_MAX_LEARNED_PORTS at a time, the rest logged and dropped. */
void slirp_backend_learned_port(struct slirp_backend *b, bool add, bool udp, uint16_t port);
/* Sets (or replaces) cfg.deliver, cfg.transmit and cfg.device_ctx: the
 * device usually exists only after the backend (it needs the backend as
 * its send_to_backend context). Any thread. */
void slirp_backend_attach(struct slirp_backend *b,
			  int (*deliver)(void *ctx, const void *frame, size_t len),
			  unsigned (*transmit)(void *ctx), void *ctx);
/* Starts the network thread. */
int slirp_backend_start(struct slirp_backend *b, mvm_error **err);
/* virtio_net_params.send_to_backend: one guest frame (ctx = backend).
 * Any thread; the device calls it from cfg.transmit on the network thread. */
void slirp_backend_send(void *ctx, const struct iovec *frame, int n);
/* virtio_net_params.kick: wakes the network thread, which then transmits
 * and retries queued frames for the guest. Any thread. */
void slirp_backend_wake(void *ctx);
struct slirp_backend_stats {
	uint64_t rx_dropped;  /* guest-bound frames dropped: the FIFO was full */
	size_t pending_bytes; /* bytes waiting in the FIFO for guest rx buffers */
	uint64_t filtered;    /* guest frames dropped by the local-only filter,
			       * or at the fd budget (util/fd_quota.h) */
};
/* One consistent snapshot of the counters. Any thread. */
void slirp_backend_get_stats(struct slirp_backend *b, struct slirp_backend_stats *s);
/* Stops the thread, closes all sockets, frees. NULL is fine. */
void slirp_backend_free(struct slirp_backend *b);

#endif
