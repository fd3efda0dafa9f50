/* SPDX-License-Identifier: Apache-2.0 */
/* The virtio-mmio register interface: sequences of reads and writes at any
 * offset and width, with a small echo device behind the ops table (as in
 * tests/unit/test_mmio.c) so that queue set-up, activation, notification,
 * config space and reset all run. The transport must keep its promises:
 * config accesses stay inside config_size, notify only reaches an active
 * device with a valid queue index. */
#include "fuzz_driver.h"

#define ECHO_CONFIG_SIZE 10

struct echo {
	uint8_t config[ECHO_CONFIG_SIZE];
	bool active;
	struct virtq_elem elem;
};

static void echo_notify(struct virtio_dev *dev, uint16_t q)
{
	struct echo *e = virtio_dev_priv(dev);
	FZ_CHECK(q < 2 && e->active);
	if (q != 0)
		return;
	bool pushed = false;
	while (virtio_dev_pop(dev, 0, &e->elem) == 1) {
		uint8_t tmp[256];
		size_t n = virtq_elem_gather(&e->elem, tmp, sizeof(tmp));
		virtio_dev_push(dev, 0, &e->elem, (uint32_t)virtq_elem_fill(&e->elem, tmp, n));
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal_used(dev, 0);
}

static int echo_activate(struct virtio_dev *dev, mvm_error **err)
{
	((struct echo *)virtio_dev_priv(dev))->active = true;
	return 0;
}

static void echo_reset(struct virtio_dev *dev)
{
	((struct echo *)virtio_dev_priv(dev))->active = false;
}

static void echo_read_config(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	struct echo *e = virtio_dev_priv(dev);
	FZ_CHECK(off <= ECHO_CONFIG_SIZE && len <= ECHO_CONFIG_SIZE - off);
	memcpy(buf, e->config + off, len);
}

static void echo_write_config(struct virtio_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
	struct echo *e = virtio_dev_priv(dev);
	FZ_CHECK(off <= ECHO_CONFIG_SIZE && len <= ECHO_CONFIG_SIZE - off);
	memcpy(e->config + off, buf, len);
}

static void echo_free(void *priv)
{
	free(priv);
}

static const struct virtio_dev_ops echo_ops = {
    .name = "echo",
    .device_id = 42,
    .features = VIRTIO_BIT(3),
    .num_queues = 2,
    .queue_max_size = 16,
    .config_size = ECHO_CONFIG_SIZE,
    .read_config = echo_read_config,
    .write_config = echo_write_config,
    .activate = echo_activate,
    .notify = echo_notify,
    .reset = echo_reset,
    .free = echo_free,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzd d;
	struct fz f = {data, size};
	fzd_init(&d, 2);
	struct echo *e = calloc(1, sizeof(*e));
	FZ_CHECK(e != NULL);
	d.m = virtio_mmio_new(&echo_ops, e, &d.host, 0xd0000000, 5, NULL);
	FZ_CHECK(d.m != NULL);
	fzd_run(&d, &f);
	return 0;
}
