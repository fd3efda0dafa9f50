/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net (virtio 1.1 §5.1), one rx/tx queue pair, backend-agnostic.
 *
 *   receiveq (0): host -> guest. The backend calls virtio_net_receive() with
 *                 one Ethernet frame; it lands in the guest's rx buffers
 *                 behind a 12-byte virtio_net_hdr_v1. With MRG_RXBUF a frame
 *                 may span several buffers (num_buffers says how many).
 *                 No buffer: the frame is dropped and counted (TCP in the
 *                 backend retransmits), and kick tells the backend when
 *                 the guest adds buffers again.
 *   transmitq (1): guest -> host. A kick wakes the backend, whose thread
 *                 calls virtio_net_transmit(): the header is stripped and,
 *                 when the guest asked for it (CSUM, NEEDS_CSUM), the
 *                 checksum is completed; the frame goes to send_to_backend
 *                 as a private copy (the guest cannot change it under the
 *                 backend).
 *
 * Offered features: MAC, MTU (the backend's; a large one moves a TCP stream
 * in a few frames per 64 KiB, and on these machines each frame costs VM
 * exits), MRG_RXBUF, CSUM (guest may leave the L4 checksum to us),
 * GUEST_CSUM (we mark frames DATA_VALID: the backend, libslirp, only sends
 * correct checksums, so the guest need not verify them).
 *
 * Lock order: tx_lock -> (backend's lock) -> rx_lock. The device never
 * calls the backend while holding rx_lock.
 */
#ifndef MVM_VIRTIO_NET_H
#define MVM_VIRTIO_NET_H

#include "virtio/virtio_dev.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* §5.1.3 feature bits */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15

/* §5.1.6 header flags */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_GSO_NONE 0u

/* With VIRTIO_F_VERSION_1 the header always has num_buffers: 12 bytes. */
#define VIRTIO_NET_HDR_LEN 12u
/* Largest Ethernet frame accepted either way (QEMU's bound: 64 KiB IP
 * packet + Ethernet and VLAN headers). */
#define VIRTIO_NET_MAX_FRAME 65550u
/* Most rx buffers one frame may use with MRG_RXBUF. */
#define VIRTIO_NET_RX_MAX_BUFS 64u

struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

struct virtio_net;

struct virtio_net_params {
	uint8_t mac[6];
	/* Offered with VIRTIO_NET_F_MTU; 0 means 1500. */
	uint16_t mtu;
	/* A guest frame (header stripped), on the thread that called
	 * virtio_net_transmit(). frame[] is valid only during the call. */
	void (*send_to_backend)(void *ctx, const struct iovec *frame, int n);
	/* The guest kicked a queue (frames to send or new rx buffers), or the
	 * device started. Called on the event loop without device locks; the
	 * backend wakes its thread, which calls virtio_net_transmit() and
	 * retries frames that found no rx buffer. May be NULL. */
	void (*kick)(void *ctx);
	void *backend_ctx;
};

extern const struct virtio_dev_ops virtio_net_ops;

struct virtio_net *virtio_net_new(const struct virtio_net_params *p, mvm_error **err);

/* Hands every frame the guest has queued to send_to_backend, on the
 * caller's thread, and returns how many it took. One backend thread does
 * all of a device's network work: frames from the guest and frames to it
 * are then never processed in parallel. */
unsigned virtio_net_transmit(struct virtio_dev *d);

/* Delivers one frame to the guest. Any thread. Returns 0, or -1 when the
 * frame was dropped (device not active, no or too few rx buffers, length
 * 0 or > VIRTIO_NET_MAX_FRAME); drops are counted. */
int virtio_net_receive(struct virtio_dev *d, const void *frame, size_t len);

struct virtio_net_stats {
	uint64_t rx_frames, rx_bytes, rx_dropped; /* bytes: frames, no header */
	uint64_t tx_frames, tx_bytes, tx_dropped;
};
void virtio_net_get_stats(struct virtio_dev *d, struct virtio_net_stats *s);

#endif
