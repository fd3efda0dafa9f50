/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng (virtio 1.1 §5.4): one request queue whose writable buffers we
 * fill from the host's getrandom(). */
#include "virtio/rng.h"

#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

/* Linux asks for at most a page at a time; bound the work one hostile
 * request can cause. */
#define RNG_MAX_PER_REQUEST 65536u

struct virtio_rng {
	pthread_mutex_t lock; /* one drain at a time; keeps elem private */
	struct virtq_elem elem;
};

static uint32_t fill_random(struct virtq_elem *e)
{
	uint32_t done = 0;
	struct iovec *iov = virtq_elem_write_iov(e);
	for (unsigned i = 0; i < e->n_write && done < RNG_MAX_PER_REQUEST; i++) {
		size_t want = iov[i].iov_len;
		if (want > RNG_MAX_PER_REQUEST - done)
			want = RNG_MAX_PER_REQUEST - done;
		size_t got = 0;
		while (got < want) {
			ssize_t n = getrandom((uint8_t *)iov[i].iov_base + got, want - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done + (uint32_t)got;
			got += (size_t)n;
		}
		done += (uint32_t)got;
	}
	return done;
}

static void rng_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_rng *r = virtio_dev_priv(d);
	if (q != 0)
		return;
	pthread_mutex_lock(&r->lock);
	bool pushed = false;
	while (virtio_dev_pop(d, 0, &r->elem) == 1) {
		virtio_dev_push(d, 0, &r->elem, fill_random(&r->elem));
		pushed = true;
	}
	pthread_mutex_unlock(&r->lock);
	if (pushed)
		virtio_dev_signal_used(d, 0);
}

static void rng_free(void *priv)
{
	struct virtio_rng *r = priv;
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

const struct virtio_dev_ops virtio_rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .features = 0,
    .num_queues = 1,
    .queue_max_size = 256,
    .config_size = 0,
    .notify = rng_notify,
    .free = rng_free,
};

struct virtio_rng *virtio_rng_new(mvm_error **err)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-rng");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	return r;
}
