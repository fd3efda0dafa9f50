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
	/* Driver wrote 0 to Status: stop all work, forget queue state. */
	void (*reset)(struct virtio_dev *d);
	void (*free)(struct virtio_dev *d);
};

#endif
