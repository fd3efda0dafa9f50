/* SPDX-License-Identifier: Apache-2.0 */
/* Numbers from the virtio 1.1 specification that more than one file needs.
 * Section numbers refer to virtio-v1.1-cs01. */
#ifndef MVM_VIRTIO_SPEC_H
#define MVM_VIRTIO_SPEC_H

/* 2.1 Device status field */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 1u
#define VIRTIO_CONFIG_S_DRIVER 2u
#define VIRTIO_CONFIG_S_DRIVER_OK 4u
#define VIRTIO_CONFIG_S_FEATURES_OK 8u
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40u
#define VIRTIO_CONFIG_S_FAILED 0x80u

/* 6 Reserved feature bits */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* 5 Device types */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_FS 26

/* 4.2.2 InterruptStatus bits */
#define VIRTIO_MMIO_INT_VRING 1u
#define VIRTIO_MMIO_INT_CONFIG 2u

#define VIRTIO_BIT(b) (1ull << (b))

#endif
