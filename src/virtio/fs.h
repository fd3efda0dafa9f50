/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-fs device (virtio 1.1 §5.11): queue 0 is hiprio (FORGET,
 * INTERRUPT), queues 1..N carry requests. The device knows nothing about
 * FUSE: it pops chains, hands their readable and writable iovecs to a
 * handler and returns the chain with the byte count the handler reports.
 * The VMM passes an adapter around fuse_server_handle(); tests pass a fake.
 *
 * Requests are served by a pool of worker threads per device: a worker
 * takes a kicked queue, pops one chain (under the queue's lock), puts the
 * queue back for the other workers and handles the chain concurrently.
 */
#ifndef MVM_VIRTIO_FS_H
#define MVM_VIRTIO_FS_H

#include "virtio/virtio_dev.h"

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define VIRTIO_FS_TAG_MAX 36
#define VIRTIO_FS_MAX_WORKERS 16
#define VIRTIO_FS_MAX_REQUEST_QUEUES 8

/* Returns the reply bytes written into out, 0 for no reply, -1 for a request
 * it cannot answer at all (the chain is returned with 0 bytes). Called from
 * several worker threads at once. */
typedef ssize_t (*virtio_fs_handler)(void *ctx, const struct iovec *in, int n_in,
				     const struct iovec *out, int n_out);

struct virtio_fs_params {
	const char *tag;	     /* 1..36 bytes, e.g. MVM_ROOT_TAG */
	uint32_t num_request_queues; /* 0 means 1; at most VIRTIO_FS_MAX_REQUEST_QUEUES */
	unsigned num_workers;	     /* 0 means 2; at most VIRTIO_FS_MAX_WORKERS */
	virtio_fs_handler handle;
	void *ctx;
	/* How the workers start (jail/sandbox.h), or NULL; read only here. */
	const struct sandbox *sandbox;
	/* The DAX window, shown as shared memory region 0 (the cache,
	 * VIRTIO_FS_SHMCAP_ID_CACHE); size 0: none. */
	uint64_t dax_gpa;
	uint64_t dax_size;
};

struct virtio_fs;

/* Starts the worker threads (idle until the driver is ready). */
struct virtio_fs *virtio_fs_new(const struct virtio_fs_params *p, mvm_error **err);
/* The ops table of this instance (queue count depends on the params). */
const struct virtio_dev_ops *virtio_fs_ops(const struct virtio_fs *fs);

#endif
