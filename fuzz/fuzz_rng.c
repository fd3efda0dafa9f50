/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng driven by a hostile driver (fuzz_driver.h): whatever chains
 * the guest offers, the device fills only their writable buffers, inside
 * guest RAM. */
#include "fuzz_driver.h"
#include "virtio/rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzd d;
	struct fz f = {data, size};
	fzd_init(&d, 1);
	d.m = virtio_mmio_new(&virtio_rng_ops, virtio_rng_new(NULL), &d.host, 0xd0000000, 5, NULL);
	FZ_CHECK(d.m != NULL);
	fzd_run(&d, &f);
	return 0;
}
