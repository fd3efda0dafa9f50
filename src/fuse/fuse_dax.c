/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DAX window: SETUPMAPPING maps a range of a shared file into the
 * window with mmap(MAP_FIXED), so the guest reads and writes the host's
 * page cache with no READ or WRITE request and no copy in its own page
 * cache; REMOVEMAPPING puts anonymous memory back. Design, limits and
 * figures: docs/fuse.md, "The DAX window".
 *
 * The window is never unmapped, only remapped: a vCPU may touch any of it
 * at any time, and an unmapped hole would end the VM. Nothing in the VMM
 * reads the window (gpa_slice() does not cover it), so a file truncated
 * under a mapping can only fault inside KVM_RUN, where
 * fuse_server_dax_repair() mends it, never as a SIGBUS in a VMM thread.
 */
#include "fuse/fuse_internal.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ull
/* REMOVEMAPPING_MAX of <linux/fuse.h>, which needs the kernel's
 * PAGE_SIZE: a page of entries. */
#define REMOVEMAPPING_MAX (PAGE / sizeof(struct fuse_removemapping_one))

/* Anonymous memory over [p, p+len): what the guest finds where no file
 * is mapped. MAP_NORESERVE: untouched pages cost nothing. */
static int map_anon(uint8_t *p, uint64_t len)
{
	void *r = mmap(p, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (r == MAP_FAILED)
		return -errno;
	/* The window is guest memory: never in a host core dump. */
	madvise(p, len, MADV_DONTDUMP);
	return 0;
}

int fuse_dax_init(struct fuse_server *s, const struct fuse_server_opts *o, mvm_error **err)
{
	struct fuse_dax *d = &s->dax;
	pthread_mutex_init(&d->lock, NULL);
	atomic_init(&d->active, false);
	if (o->dax_window == NULL)
		return 0;
	if (o->dax_window_size == 0 || o->dax_window_size % FUSE_DAX_CHUNK ||
	    (uintptr_t)o->dax_window % PAGE)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "virtio-fs: a DAX window of %llu bytes is not a whole number of "
			       "2 MiB chunks",
			       (unsigned long long)o->dax_window_size);
	d->n_chunks = (size_t)(o->dax_window_size / FUSE_DAX_CHUNK);
	d->chunks = calloc(d->n_chunks, sizeof(*d->chunks));
	if (d->chunks == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-fs: DAX window table");
	d->base = o->dax_window;
	d->size = o->dax_window_size;
	d->min_size = o->dax_min_size ? o->dax_min_size : FUSE_DAX_DEFAULT_MIN_SIZE;
	return 0;
}

/* Drops chunk i's file (its inode ref); the caller remaps the memory. */
static void chunk_clear(struct fuse_server *s, size_t i)
{
	struct fuse_dax_chunk *c = &s->dax.chunks[i];
	if (c->ino)
		inode_put(&s->inodes, c->ino);
	*c = (struct fuse_dax_chunk){0};
}

/* Unmaps chunks [first, first+n): anonymous memory back, refs dropped.
 * Called with the lock held. */
static int unmap_chunks_locked(struct fuse_server *s, size_t first, size_t n)
{
	struct fuse_dax *d = &s->dax;
	int rc = map_anon(d->base + first * FUSE_DAX_CHUNK, n * FUSE_DAX_CHUNK);
	if (rc)
		return rc;
	for (size_t i = first; i < first + n; i++)
		chunk_clear(s, i);
	return 0;
}

void fuse_dax_forget_all(struct fuse_server *s)
{
	struct fuse_dax *d = &s->dax;
	if (d->base == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	if (unmap_chunks_locked(s, 0, d->n_chunks) < 0) {
		/* The memory stays mapped from the files; at least let go of
		 * the inodes, which the forgotten session must not keep. */
		for (size_t i = 0; i < d->n_chunks; i++)
			chunk_clear(s, i);
	}
	pthread_mutex_unlock(&d->lock);
}

void fuse_dax_destroy(struct fuse_server *s)
{
	struct fuse_dax *d = &s->dax;
	if (d->chunks) {
		for (size_t i = 0; i < d->n_chunks; i++)
			chunk_clear(s, i);
		free(d->chunks);
	}
	d->chunks = NULL;
	d->base = NULL;
	pthread_mutex_destroy(&d->lock);
}

/* A range of the window in chunks, checked on the copy of the request:
 * aligned, non-empty, inside the window. */
static int window_range(const struct fuse_dax *d, uint64_t moffset, uint64_t len, size_t *first,
			size_t *n)
{
	if (len == 0 || moffset % FUSE_DAX_CHUNK || len % FUSE_DAX_CHUNK)
		return -EINVAL;
	if (moffset > d->size || len > d->size - moffset)
		return -EINVAL;
	*first = (size_t)(moffset / FUSE_DAX_CHUNK);
	*n = (size_t)(len / FUSE_DAX_CHUNK);
	return 0;
}

int fuse_op_setupmapping(struct fuse_op *op)
{
	struct fuse_server *s = op->s;
	struct fuse_dax *d = &s->dax;
	struct fuse_setupmapping_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	if (d->base == NULL)
		return -ENOSYS;
	const uint64_t known = FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE;
	if (in.flags & ~known)
		return -EINVAL;
	size_t first, n;
	if ((rc = window_range(d, in.moffset, in.len, &first, &n)))
		return rc;
	/* The file range must be a valid off_t range of whole chunks too. */
	if (in.foffset % FUSE_DAX_CHUNK || in.foffset > (uint64_t)INT64_MAX - in.len)
		return -EINVAL;
	bool writable = in.flags & FUSE_SETUPMAPPING_FLAG_WRITE;
	if (writable && s->read_only)
		return -EROFS;
	struct fuse_inode *ino = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!ino)
		return rc;
	/* Only regular files: a host FIFO would block the open, a device
	 * would map the host's hardware. The type of an inode never changes. */
	if (!S_ISREG(ino->type)) {
		inode_put(&s->inodes, ino);
		return -EINVAL;
	}
	/* The guest kernel sends fh -1: the mapping belongs to the inode, not
	 * to an open file, so the file is opened here. It checked the
	 * guest's permissions when the guest opened it. */
	cleanup_close int fd = fuse_reopen(s, ino->fd, writable ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		inode_put(&s->inodes, ino);
		return fd;
	}
	pthread_mutex_lock(&d->lock);
	uint8_t *at = d->base + first * FUSE_DAX_CHUNK;
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *r = mmap(at, in.len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)in.foffset);
	if (r == MAP_FAILED) {
		rc = -errno;
		/* A failed MAP_FIXED may have unmapped the range: give the
		 * guest anonymous memory there again, never a hole. */
		if (unmap_chunks_locked(s, first, n) < 0)
			log_error(s->log, "virtio-fs: DAX window chunk %zu left unmapped", first);
		pthread_mutex_unlock(&d->lock);
		inode_put(&s->inodes, ino);
		return rc;
	}
	madvise(at, in.len, MADV_DONTDUMP);
	for (size_t i = first; i < first + n; i++) {
		chunk_clear(s, i);
		/* Each chunk holds its own ref: REMOVEMAPPING may free them
		 * one by one. */
		if (i > first)
			inode_ref(&s->inodes, ino);
		d->chunks[i] = (struct fuse_dax_chunk){
		    .ino = ino,
		    .foffset = in.foffset + (i - first) * FUSE_DAX_CHUNK,
		    .valid = FUSE_DAX_CHUNK,
		};
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int fuse_op_removemapping(struct fuse_op *op)
{
	struct fuse_server *s = op->s;
	struct fuse_dax *d = &s->dax;
	struct fuse_removemapping_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	if (d->base == NULL)
		return -ENOSYS;
	/* The kernel sends at most a page of entries per request. */
	if (in.count == 0 || in.count > REMOVEMAPPING_MAX)
		return -EINVAL;
	/* Copy every entry and check them all before changing anything: a
	 * request is done whole or not at all. */
	struct fuse_removemapping_one one[REMOVEMAPPING_MAX];
	size_t first[REMOVEMAPPING_MAX], n[REMOVEMAPPING_MAX];
	for (uint32_t k = 0; k < in.count; k++) {
		if ((rc = fuse_arg(op, &one[k], sizeof(one[k]))))
			return rc;
		if ((rc = window_range(d, one[k].moffset, one[k].len, &first[k], &n[k])))
			return rc;
	}
	pthread_mutex_lock(&d->lock);
	for (uint32_t k = 0; k < in.count && rc == 0; k++)
		rc = unmap_chunks_locked(s, first[k], n[k]);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

size_t fuse_server_dax_repair(struct fuse_server *s)
{
	if (s == NULL || s->dax.base == NULL)
		return 0;
	struct fuse_dax *d = &s->dax;
	size_t repaired = 0;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n_chunks; i++) {
		struct fuse_dax_chunk *c = &d->chunks[i];
		if (c->ino == NULL || c->valid == 0)
			continue;
		struct stat st;
		uint64_t backed = 0; /* bytes of the chunk the file still covers */
		if (fstat(c->ino->fd, &st) == 0 && st.st_size > 0) {
			uint64_t end = ((uint64_t)st.st_size + PAGE - 1) & ~(PAGE - 1);
			if (end > c->foffset)
				backed = end - c->foffset;
		}
		if (backed >= c->valid)
			continue;
		if (map_anon(d->base + i * FUSE_DAX_CHUNK + backed, c->valid - backed) < 0)
			continue;
		c->valid = backed;
		repaired++;
	}
	pthread_mutex_unlock(&d->lock);
	if (repaired)
		log_warn(s->log,
			 "virtio-fs: %zu DAX chunk(s) lay past the end of their file (truncated on "
			 "the host?); the guest reads zeros there",
			 repaired);
	return repaired;
}
