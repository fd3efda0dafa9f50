/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host's way into a VM's vsock device: a Unix stream socket the VMM
 * listens on. A client connects, writes "CONNECT <port>\n" (the guest's
 * port in decimal; Firecracker's line), and once the guest accepted it
 * reads "OK <host port>\n"; from then on the socket is the stream. A
 * refused connection is closed without a line. Bytes written right after
 * the CONNECT line are kept for the guest: the line is consumed exactly.
 */
#ifndef MVM_VIRTIO_VSOCK_LISTEN_H
#define MVM_VIRTIO_VSOCK_LISTEN_H

#include "virtio/virtio_dev.h"

#include <stddef.h>
#include <stdint.h>

/* Longest CONNECT line accepted, "\n" included. */
#define VSOCK_CONNECT_LINE_MAX 32
/* Clients that have connected but not yet sent their line; the oldest is
 * closed to make room for a new one. */
#define VSOCK_PENDING_MAX 16

struct vsock_listener;

/* Binds and listens on path (which must not exist) and serves it on loop
 * for the vsock device dev. */
struct vsock_listener *vsock_listener_new(struct virtio_dev *dev, struct event_loop *loop,
					  const char *path, mvm_error **err);
/* Stops listening, closes the clients still waiting and removes the
 * socket file. Call before the device is freed. */
void vsock_listener_free(struct vsock_listener *l);

/* The first len bytes a client sent: > 0, the length of a complete
 * "CONNECT <port>\n" line and *port; 0, not complete yet; -1, not such a
 * line (no leading zeros, no sign, no spaces but the one, port < 2^32). */
int vsock_parse_connect(const char *buf, size_t len, uint32_t *port);

#endif
