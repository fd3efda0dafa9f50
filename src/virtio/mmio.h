/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-mmio transport, version 2 ("modern", virtio 1.1 §4.2.2).
 *
 * One struct virtio_mmio per device. The VMM maps [base, base +
 * VIRTIO_MMIO_SIZE) as an MMIO hole and forwards each KVM_EXIT_MMIO in it
 * to virtio_mmio_access(); the guest finds the device through the kernel
 * command line fragment from virtio_mmio_cmdline().
 *
 * With host->vm_fd >= 0 the transport uses KVM: an irqfd on `gsi` for
 * interrupts, and one ioeventfd per ready queue (QueueNotify with datamatch
 * = queue index), drained on the event loop, for notifications. With
 * host->vm_fd < 0 (unit tests, or any user without KVM) nothing is
 * registered: a QueueNotify write through virtio_mmio_access() calls the
 * device's notify directly, and raising an interrupt only sets
 * InterruptStatus and counts it (virtio_mmio_irq_count()).
 */
#ifndef MVM_VIRTIO_MMIO_H
#define MVM_VIRTIO_MMIO_H

#include "virtio/virtio_dev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_MMIO_SIZE 0x1000u /* one page per device */

/* §4.2.2 register offsets */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x004d564du /* "MVM" */

struct virtio_mmio;

/* Takes ownership of priv: on failure, ops->free(priv) has been called.
 * host must outlive the device. */
struct virtio_mmio *virtio_mmio_new(const struct virtio_dev_ops *ops, void *priv,
				    const struct virtio_host *host, uint64_t base_gpa, uint32_t gsi,
				    mvm_error **err);
/* A guest access at base + offset, from a vCPU thread. Any offset and len
 * are tolerated: a bad one reads zeros and ignores writes. len <= 8. */
void virtio_mmio_access(struct virtio_mmio *m, uint64_t offset, void *data, uint32_t len,
			bool is_write);
/* Stops the device, deregisters all KVM and loop resources, frees. */
void virtio_mmio_free(struct virtio_mmio *m);

/* "virtio_mmio.device=4K@0xd0000000:5". Returns snprintf's length; the
 * fragment was cut if that is >= len. */
int virtio_mmio_cmdline(const struct virtio_mmio *m, char *buf, size_t len);

struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *m);
uint64_t virtio_mmio_base(const struct virtio_mmio *m);
uint32_t virtio_mmio_gsi(const struct virtio_mmio *m);
/* Interrupts raised so far (both modes); what tests check EVENT_IDX with. */
uint64_t virtio_mmio_irq_count(const struct virtio_mmio *m);

#endif
