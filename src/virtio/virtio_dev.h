/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a virtio device file (console.c, fs.c, rng.c, net.c) implements, and
 * what the transport (mmio.c) gives it. Generic code never knows device
 * types: it only calls these ops (the kvmtool pattern).
 */
#ifndef MVM_VIRTIO_DEV_H
#define MVM_VIRTIO_DEV_H

#include "mvm.h"
#include "util/log.h"
#include "vmm/event_loop.h"
#include "vmm/guest_mem.h"

struct sandbox; /* jail/sandbox.h */

#include <stdbool.h>
#include <stdint.h>

struct virtio_dev;
struct virtq; /* see virtio/virtq.h */

/* What the VMM hands to every device. */
struct virtio_host {
	const struct guest_mem *mem;
	int vm_fd; /* KVM VM fd, for KVM_IOEVENTFD / KVM_IRQFD */
	struct event_loop *loop;
	const struct mvm_logger *log;
	/* The seccomp lists device threads load, or NULL for none. */
	const struct sandbox *sandbox;
};

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id; /* virtio spec 5.x: console 3, rng 4, fs 26, net 1 */
	uint64_t features;  /* device features offered; VIRTIO_F_VERSION_1 is added by mmio */
	uint16_t num_queues;
	uint16_t queue_max_size; /* power of two */
	uint32_t config_size;
	/* Config space access; off+len is already checked against config_size. */
	void (*read_config)(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);
	void (*write_config)(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len);
	/* Driver set DRIVER_OK: queues are configured and checked. Start work. */
	int (*activate)(struct virtio_dev *d, mvm_error **err);
	/* The guest kicked queue q. Called on the event loop thread. */
	void (*notify)(struct virtio_dev *d, uint16_t q);
	/* Driver wrote 0 to Status: stop all work, forget queue state. When it
	 * returns, no device thread touches the queues any more. */
	void (*reset)(struct virtio_dev *d);
	/* Shared memory region `id` (virtio 1.2 §2.10): its guest physical
	 * address and length. NULL, or false: no such region. */
	bool (*shm_region)(struct virtio_dev *d, uint8_t id, uint64_t *gpa, uint64_t *len);
	/* Frees the device's private state (the `priv` given to the transport).
	 * Takes priv, not the device, so that a transport that fails to start
	 * can still release it. */
	void (*free)(void *priv);
};

/* ---- What the transport (virtio/mmio.c) gives devices -------------- */
struct virtq_elem;

void *virtio_dev_priv(struct virtio_dev *d);
const struct virtio_host *virtio_dev_host(struct virtio_dev *d);
/* NULL when q >= num_queues. */
struct virtq *virtio_dev_queue(struct virtio_dev *d, uint16_t q);
/* Features the driver accepted (valid once activate() ran). */
uint64_t virtio_dev_features(struct virtio_dev *d);
/* virtq_pop() on queue q; a malformed chain marks the device broken.
 * Returns 1 (element), 0 (empty), -1 (broken). Any thread. */
int virtio_dev_pop(struct virtio_dev *d, uint16_t q, struct virtq_elem *e);
/* virtq_push() of e with len bytes written. Any thread. */
void virtio_dev_push(struct virtio_dev *d, uint16_t q, const struct virtq_elem *e, uint32_t len);
/* After one or more pushes: sets InterruptStatus bit 0 and raises the
 * interrupt unless the driver suppressed it (EVENT_IDX). Any thread. */
void virtio_dev_signal_used(struct virtio_dev *d, uint16_t q);
/* The guest broke the rules: log why, set DEVICE_NEEDS_RESET, stop all
 * queues and send a configuration change interrupt (§2.1.2). Any thread. */
void virtio_dev_set_broken(struct virtio_dev *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Config space changed: bump ConfigGeneration, config interrupt. */
void virtio_dev_config_changed(struct virtio_dev *d);

#endif
