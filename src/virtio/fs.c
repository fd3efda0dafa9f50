/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/fs.h"

#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"
#include "jail/sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* §5.11.4: char tag[36]; le32 num_request_queues. */
#define FS_CONFIG_SIZE (VIRTIO_FS_TAG_MAX + 4)

struct fs_worker {
	struct virtio_fs *fs;
	pthread_t thread;
	struct virtq_elem elem;
};

struct virtio_fs {
	struct virtio_dev_ops ops;
	uint8_t config[FS_CONFIG_SIZE];
	virtio_fs_handler handle;
	void *ctx;
	uint64_t dax_gpa, dax_size;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* work or stop for the workers */
	pthread_cond_t idle; /* busy dropped to 0 */
	struct virtio_dev *dev;
	bool active;
	bool stopping;
	uint32_t pending; /* bit q: queue q may have chains */
	unsigned busy;	  /* workers between taking a queue and finishing */
	unsigned n_workers;
	struct fs_worker *workers;
};

/* Queue q may have chains: wake a worker to take it. */
static void mark_pending(struct virtio_fs *fs, uint16_t q)
{
	pthread_mutex_lock(&fs->lock);
	if (fs->active) {
		fs->pending |= 1u << q;
		pthread_cond_signal(&fs->wake);
	}
	pthread_mutex_unlock(&fs->lock);
}

/* Serves queue q until it is empty. After each pop the queue is re-armed,
 * so a chain the driver adds while this one is handled is kicked and goes
 * to another worker; another worker is woken directly only for chains that
 * were already waiting (no kick comes for those). So one request at a time
 * costs one worker wake-up, not two, and requests still run in parallel. */
static void serve_queue(struct fs_worker *w, struct virtio_dev *d, uint16_t q)
{
	struct virtio_fs *fs = w->fs;
	struct virtq_elem *e = &w->elem;
	/* A reset in progress stops the loop: it waits for busy workers. */
	while (__atomic_load_n(&fs->active, __ATOMIC_ACQUIRE) && virtio_dev_pop(d, q, e) == 1) {
		if (virtq_arm_more_avail(virtio_dev_queue(d, q)))
			mark_pending(fs, q);
		ssize_t n = fs->handle(fs->ctx, virtq_elem_read_iov(e), (int)e->n_read,
				       virtq_elem_write_iov(e), (int)e->n_write);
		uint32_t len = n < 0			    ? 0
			       : (uint64_t)n > e->write_len ? (uint32_t)e->write_len
							    : (uint32_t)n;
		virtio_dev_push(d, q, e, len);
		virtio_dev_signal_used(d, q);
	}
}

static void *worker_main(void *arg)
{
	struct fs_worker *w = arg;
	struct virtio_fs *fs = w->fs;
	pthread_mutex_lock(&fs->lock);
	for (;;) {
		while (!fs->stopping && !(fs->active && fs->pending))
			pthread_cond_wait(&fs->wake, &fs->lock);
		if (fs->stopping)
			break;
		uint16_t q = (uint16_t)__builtin_ctz(fs->pending);
		fs->pending &= ~(1u << q);
		fs->busy++;
		struct virtio_dev *d = fs->dev;
		pthread_mutex_unlock(&fs->lock);

		serve_queue(w, d, q);

		pthread_mutex_lock(&fs->lock);
		if (--fs->busy == 0)
			pthread_cond_broadcast(&fs->idle);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

static void fs_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_fs *fs = virtio_dev_priv(d);
	if (q < fs->ops.num_queues)
		mark_pending(fs, q);
}

static int fs_activate(struct virtio_dev *d, mvm_error **err)
{
	struct virtio_fs *fs = virtio_dev_priv(d);
	pthread_mutex_lock(&fs->lock);
	fs->dev = d;
	__atomic_store_n(&fs->active, true, __ATOMIC_RELEASE);
	fs->pending = (1u << fs->ops.num_queues) - 1;
	pthread_cond_broadcast(&fs->wake);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static void fs_reset(struct virtio_dev *d)
{
	struct virtio_fs *fs = virtio_dev_priv(d);
	pthread_mutex_lock(&fs->lock);
	__atomic_store_n(&fs->active, false, __ATOMIC_RELEASE);
	fs->pending = 0;
	/* Requests in flight finish (their push is dropped once the queues
	 * are reset); no worker touches the device afterwards. */
	while (fs->busy > 0)
		pthread_cond_wait(&fs->idle, &fs->lock);
	pthread_mutex_unlock(&fs->lock);
}

static void fs_read_config(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_fs *fs = virtio_dev_priv(d);
	memcpy(buf, fs->config + off, len); /* off+len checked by the transport */
}

/* Region 0 is the DAX window (VIRTIO_FS_SHMCAP_ID_CACHE); there is no
 * other. */
static bool fs_shm_region(struct virtio_dev *d, uint8_t id, uint64_t *gpa, uint64_t *len)
{
	struct virtio_fs *fs = virtio_dev_priv(d);
	if (id != 0 || fs->dax_size == 0)
		return false;
	*gpa = fs->dax_gpa;
	*len = fs->dax_size;
	return true;
}

static void stop_workers(struct virtio_fs *fs, unsigned started)
{
	pthread_mutex_lock(&fs->lock);
	fs->stopping = true;
	pthread_cond_broadcast(&fs->wake);
	pthread_mutex_unlock(&fs->lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(fs->workers[i].thread, NULL);
}

static void fs_free(void *priv)
{
	struct virtio_fs *fs = priv;
	if (fs == NULL)
		return;
	stop_workers(fs, fs->n_workers);
	free(fs->workers);
	pthread_cond_destroy(&fs->wake);
	pthread_cond_destroy(&fs->idle);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

struct virtio_fs *virtio_fs_new(const struct virtio_fs_params *p, mvm_error **err)
{
	size_t tag_len = p->tag ? strlen(p->tag) : 0;
	uint32_t nreq = p->num_request_queues ? p->num_request_queues : 1;
	unsigned nworkers = p->num_workers ? p->num_workers : 2;
	if (tag_len == 0 || tag_len > VIRTIO_FS_TAG_MAX) {
		mvm_err(err, MVM_ERR_INVALID, 0, "virtio-fs tag '%s' must have 1..%d bytes",
			p->tag ? p->tag : "", VIRTIO_FS_TAG_MAX);
		return NULL;
	}
	if (nreq > VIRTIO_FS_MAX_REQUEST_QUEUES || nworkers > VIRTIO_FS_MAX_WORKERS ||
	    p->handle == NULL) {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"virtio-fs: %u request queues (max %d), %u workers (max %d), handler %s",
			nreq, VIRTIO_FS_MAX_REQUEST_QUEUES, nworkers, VIRTIO_FS_MAX_WORKERS,
			p->handle ? "set" : "missing");
		return NULL;
	}
	struct virtio_fs *fs = calloc(1, sizeof(*fs));
	struct fs_worker *workers = calloc(nworkers, sizeof(*workers));
	if (fs == NULL || workers == NULL) {
		free(fs);
		free(workers);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-fs");
		return NULL;
	}
	fs->ops = (struct virtio_dev_ops){
	    .name = "virtio-fs",
	    .device_id = VIRTIO_ID_FS,
	    .features = 0,
	    .num_queues = (uint16_t)(1 + nreq),
	    /* A 1 MiB FUSE read or write needs ~260 descriptors without
	     * indirect tables. */
	    .queue_max_size = 1024,
	    .config_size = FS_CONFIG_SIZE,
	    .read_config = fs_read_config,
	    .shm_region = fs_shm_region,
	    .activate = fs_activate,
	    .notify = fs_notify,
	    .reset = fs_reset,
	    .free = fs_free,
	};
	memcpy(fs->config, p->tag, tag_len);
	memcpy(fs->config + VIRTIO_FS_TAG_MAX, &nreq, 4); /* little-endian host */
	fs->handle = p->handle;
	fs->ctx = p->ctx;
	fs->dax_gpa = p->dax_gpa;
	fs->dax_size = p->dax_size;
	fs->workers = workers;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->wake, NULL);
	pthread_cond_init(&fs->idle, NULL);
	for (unsigned i = 0; i < nworkers; i++) {
		workers[i].fs = fs;
		if (sandbox_thread_create(p->sandbox, SANDBOX_FS, "mvm-fs", &workers[i].thread,
					  worker_main, &workers[i], err) < 0) {
			fs->n_workers = i;
			fs_free(fs);
			mvm_err_wrap(err, "virtio-fs: starting worker %u of %u", i + 1, nworkers);
			return NULL;
		}
	}
	fs->n_workers = nworkers;
	return fs;
}

const struct virtio_dev_ops *virtio_fs_ops(const struct virtio_fs *fs)
{
	return &fs->ops;
}
