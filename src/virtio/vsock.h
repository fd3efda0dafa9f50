/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock (virtio 1.2 §5.10), served by the VMM in userspace and
 * bridged to Unix stream sockets on the host, as Firecracker does: no
 * vhost-vsock module and no host AF_VSOCK are involved.
 *
 *   rxq (0): packets to the guest: connection requests and replies,
 *            data read from the host sockets, credit updates.
 *   txq (1): packets from the guest, each a 44-byte header and a payload.
 *   eventq (2): buffers are taken and kept; no event is ever sent.
 *
 * Streams only (SOCK_STREAM); the guest's CID is params.guest_cid, the
 * host's is 2. A host-initiated connection is a connected socket handed to
 * virtio_vsock_connect() (vsock_listen.c accepts them on the VM's Unix
 * socket and reads their "CONNECT <port>\n" line). A guest-initiated one
 * to host port P connects to the Unix socket "<uds_path>_P".
 *
 * Flow control is virtio-vsock's credit: the device announces a receive
 * buffer of VSOCK_BUF_ALLOC bytes per connection and keeps what the host
 * socket cannot take at once (never more), and it reads a host socket only
 * while the guest has announced room for the bytes. A guest that breaks
 * the rules (a payload past its credit, a header that lies about its
 * length, a request for an unknown connection) gets that connection reset;
 * a chain the device cannot use at all marks the device broken. Nothing
 * the guest writes is read twice: each header is copied out once.
 *
 * Threads: every entry point takes the device's lock; host sockets are
 * served on the event loop, edge-triggered, so a socket that hung up is
 * never polled in a loop.
 */
#ifndef MVM_VIRTIO_VSOCK_H
#define MVM_VIRTIO_VSOCK_H

#include "virtio/virtio_dev.h"

#include <stdint.h>

#define VIRTIO_ID_VSOCK 19
#define VSOCK_HOST_CID 2u
#define VSOCK_DEFAULT_GUEST_CID 3u
#define VSOCK_HDR_SIZE 44u
/* The receive buffer announced per connection: the most one connection
 * can make the VMM hold for a host socket that does not read. */
#define VSOCK_BUF_ALLOC (256u << 10)
/* Connections at once (both directions); more are refused. */
#define VSOCK_MAX_CONNS 128u
/* The largest payload the device puts into one rx packet. */
#define VSOCK_MAX_PKT_PAYLOAD (64u << 10)
/* A host-initiated connection the guest neither accepts nor refuses in
 * this time is closed. */
#define VSOCK_CONNECT_TIMEOUT_MS 5000

/* virtio 1.2 §5.10.6 */
enum {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};
#define VSOCK_TYPE_STREAM 1u
#define VSOCK_SHUTDOWN_RCV 1u
#define VSOCK_SHUTDOWN_SEND 2u

struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

struct virtio_vsock;

struct virtio_vsock_params {
	uint64_t guest_cid; /* >= 3; 0: VSOCK_DEFAULT_GUEST_CID */
	/* Guest connections to host port P go to "<uds_path>_P"; NULL:
	 * they are refused. Copied. */
	const char *uds_path;
};

extern const struct virtio_dev_ops virtio_vsock_ops;

struct virtio_vsock *virtio_vsock_new(const struct virtio_vsock_params *p, mvm_error **err);

/* Takes fd (a connected stream socket; closed on failure too) as a host
 * connection to guest port `port`. Once the guest accepts, the device
 * writes "OK <host port>\n" to fd and relays bytes both ways; when it
 * refuses (or does not answer in VSOCK_CONNECT_TIMEOUT_MS, or the driver
 * is reset), fd is closed without a line. Any thread. */
int virtio_vsock_connect(struct virtio_dev *d, int fd, uint32_t port, mvm_error **err);

/* For tests and fuzzing, which run without an event loop: serves every
 * host socket as if it were readable and writable, and expires connection
 * requests whose time is up. */
void virtio_vsock_poll_host(struct virtio_dev *d);

struct virtio_vsock_stats {
	uint32_t conns;	     /* open now */
	uint64_t to_guest;   /* payload bytes, host -> guest */
	uint64_t from_guest; /* payload bytes, guest -> host */
	uint64_t resets;     /* connections reset for breaking the rules */
};
void virtio_vsock_get_stats(struct virtio_dev *d, struct virtio_vsock_stats *s);

#endif
