/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng: the guest's hwrng, fed by getrandom(). Usage:
 *   struct virtio_rng *r = virtio_rng_new(&err);
 *   m = virtio_mmio_new(&virtio_rng_ops, r, host, base, gsi, &err); */
#ifndef MVM_VIRTIO_RNG_H
#define MVM_VIRTIO_RNG_H

#include "virtio/virtio_dev.h"

struct virtio_rng;

extern const struct virtio_dev_ops virtio_rng_ops;

struct virtio_rng *virtio_rng_new(mvm_error **err);

#endif
