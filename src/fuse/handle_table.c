/* SPDX-License-Identifier: Apache-2.0 */
#include "fuse/handle_table.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define HANDLE_BUCKETS 1024 /* fixed: chains stay short for thousands of open files */

static size_t slot(uint64_t fh)
{
	return (size_t)(fh * 0x9e3779b97f4a7c15ULL >> 32) & (HANDLE_BUCKETS - 1);
}

int handle_table_init(struct handle_table *t)
{
	*t = (struct handle_table){.nbuckets = HANDLE_BUCKETS, .next_fh = 1};
	t->buckets = calloc(HANDLE_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets)
		return -1;
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

static void free_handle(struct handle_table *t, struct fuse_handle *h)
{
	if (!h)
		return;
	close(h->fd);
	pthread_mutex_destroy(&h->dir_lock);
	free(h->dir_buf);
	free(h);
	fd_quota_give(t->quota, FD_HANDLE);
}

void handle_table_destroy(struct handle_table *t)
{
	if (!t->buckets)
		return;
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct fuse_handle *h = t->buckets[b];
		while (h) {
			struct fuse_handle *next = h->next;
			free_handle(t, h);
			h = next;
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	pthread_mutex_destroy(&t->lock);
}

uint64_t handle_add(struct handle_table *t, int fd, uint64_t nodeid, bool is_dir)
{
	int rc = fd_quota_take(t->quota, FD_HANDLE);
	struct fuse_handle *h = rc ? NULL : calloc(1, sizeof(*h));
	if (!h) {
		if (rc == 0)
			fd_quota_give(t->quota, FD_HANDLE);
		close(fd);
		errno = rc ? -rc : ENOMEM;
		return 0;
	}
	h->fd = fd;
	h->nodeid = nodeid;
	h->is_dir = is_dir;
	pthread_mutex_init(&h->dir_lock, NULL);
	pthread_mutex_lock(&t->lock);
	h->fh = t->next_fh++;
	size_t s = slot(h->fh);
	h->next = t->buckets[s];
	t->buckets[s] = h;
	t->count++;
	pthread_mutex_unlock(&t->lock);
	return h->fh;
}

static struct fuse_handle **find(struct handle_table *t, uint64_t fh)
{
	struct fuse_handle **pp = &t->buckets[slot(fh)];
	while (*pp && (*pp)->fh != fh)
		pp = &(*pp)->next;
	return pp;
}

struct fuse_handle *handle_get(struct handle_table *t, uint64_t fh, bool is_dir)
{
	pthread_mutex_lock(&t->lock);
	struct fuse_handle *h = *find(t, fh);
	if (h && h->is_dir == is_dir)
		h->refs++;
	else
		h = NULL;
	pthread_mutex_unlock(&t->lock);
	return h;
}

void handle_put(struct handle_table *t, struct fuse_handle *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&t->lock);
	bool dead = --h->refs == 0 && h->removed;
	pthread_mutex_unlock(&t->lock);
	if (dead)
		free_handle(t, h);
}

/* With the lock held: unlinks *pp; returns it if nobody uses it. */
static struct fuse_handle *unlink_handle(struct handle_table *t, struct fuse_handle **pp)
{
	struct fuse_handle *h = *pp;
	*pp = h->next;
	h->next = NULL;
	h->removed = true;
	t->count--;
	return h->refs == 0 ? h : NULL;
}

bool handle_remove(struct handle_table *t, uint64_t fh, bool is_dir)
{
	pthread_mutex_lock(&t->lock);
	struct fuse_handle **pp = find(t, fh);
	if (!*pp || (*pp)->is_dir != is_dir) {
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	struct fuse_handle *dead = unlink_handle(t, pp);
	pthread_mutex_unlock(&t->lock);
	free_handle(t, dead);
	return true;
}

void handle_remove_all(struct handle_table *t)
{
	struct fuse_handle *dead = NULL;
	pthread_mutex_lock(&t->lock);
	for (size_t b = 0; b < t->nbuckets; b++) {
		while (t->buckets[b]) {
			struct fuse_handle *h = unlink_handle(t, &t->buckets[b]);
			if (h) {
				h->next = dead;
				dead = h;
			}
		}
	}
	pthread_mutex_unlock(&t->lock);
	while (dead) {
		struct fuse_handle *next = dead->next;
		free_handle(t, dead);
		dead = next;
	}
}

size_t handle_table_count(struct handle_table *t)
{
	pthread_mutex_lock(&t->lock);
	size_t n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
