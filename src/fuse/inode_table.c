/* SPDX-License-Identifier: Apache-2.0 */
#include "fuse/inode_table.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define INITIAL_BUCKETS 256

static size_t hash_u64(uint64_t x)
{
	/* splitmix64 finalizer: nodeids are sequential and inode numbers
	 * clustered, so spread them before masking. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x;
}

static size_t key_slot(const struct inode_table *t, dev_t dev, ino_t ino)
{
	return hash_u64((uint64_t)ino ^ hash_u64((uint64_t)dev)) & (t->buckets - 1);
}

static size_t id_slot(const struct inode_table *t, uint64_t nodeid)
{
	return hash_u64(nodeid) & (t->buckets - 1);
}

int inode_table_init(struct inode_table *t)
{
	*t = (struct inode_table){.buckets = INITIAL_BUCKETS, .next_nodeid = FUSE_ROOT_ID + 1};
	t->by_id = calloc(t->buckets, sizeof(*t->by_id));
	t->by_key = calloc(t->buckets, sizeof(*t->by_key));
	if (!t->by_id || !t->by_key) {
		free(t->by_id);
		free(t->by_key);
		return -1;
	}
	pthread_mutex_init(&t->lock, NULL);
	return 0;
}

void inode_table_destroy(struct inode_table *t)
{
	if (!t->by_id)
		return;
	for (size_t b = 0; b < t->buckets; b++) {
		struct fuse_inode *i = t->by_id[b];
		while (i) {
			struct fuse_inode *next = i->next_by_id;
			if (!i->pinned)
				fd_quota_give(t->quota, FD_INODE);
			close(i->fd);
			free(i);
			i = next;
		}
	}
	free(t->by_id);
	free(t->by_key);
	t->by_id = t->by_key = NULL;
	pthread_mutex_destroy(&t->lock);
}

static void link_inode(struct inode_table *t, struct fuse_inode *i)
{
	size_t s = id_slot(t, i->nodeid);
	i->next_by_id = t->by_id[s];
	t->by_id[s] = i;
	s = key_slot(t, i->dev, i->ino);
	i->next_by_key = t->by_key[s];
	t->by_key[s] = i;
}

/* Doubles the buckets when the load passes 1; failure just keeps chains
 * longer, which is slower but correct. */
static void maybe_grow(struct inode_table *t)
{
	if (t->count < t->buckets)
		return;
	size_t nb = t->buckets * 2;
	struct fuse_inode **by_id = calloc(nb, sizeof(*by_id));
	struct fuse_inode **by_key = calloc(nb, sizeof(*by_key));
	if (!by_id || !by_key) {
		free(by_id);
		free(by_key);
		return;
	}
	struct fuse_inode **old = t->by_id;
	size_t ob = t->buckets;
	free(t->by_key);
	t->by_id = by_id;
	t->by_key = by_key;
	t->buckets = nb;
	for (size_t b = 0; b < ob; b++) {
		struct fuse_inode *i = old[b];
		while (i) {
			struct fuse_inode *next = i->next_by_id;
			link_inode(t, i);
			i = next;
		}
	}
	free(old);
}

static struct fuse_inode *find_id(struct inode_table *t, uint64_t nodeid)
{
	for (struct fuse_inode *i = t->by_id[id_slot(t, nodeid)]; i; i = i->next_by_id)
		if (i->nodeid == nodeid)
			return i;
	return NULL;
}

static struct fuse_inode *find_key(struct inode_table *t, dev_t dev, ino_t ino)
{
	for (struct fuse_inode *i = t->by_key[key_slot(t, dev, ino)]; i; i = i->next_by_key)
		if (i->dev == dev && i->ino == ino)
			return i;
	return NULL;
}

static void unlink_inode(struct inode_table *t, struct fuse_inode *i)
{
	struct fuse_inode **pp = &t->by_id[id_slot(t, i->nodeid)];
	while (*pp != i)
		pp = &(*pp)->next_by_id;
	*pp = i->next_by_id;
	pp = &t->by_key[key_slot(t, i->dev, i->ino)];
	while (*pp != i)
		pp = &(*pp)->next_by_key;
	*pp = i->next_by_key;
	t->count--;
}

/* Called with the lock held; returns the inode to free outside the lock
 * (close() may block on some filesystems) or NULL. */
static struct fuse_inode *release_if_unused(struct inode_table *t, struct fuse_inode *i)
{
	if (i->pinned || i->nlookup > 0 || i->refs > 0)
		return NULL;
	unlink_inode(t, i);
	return i;
}

static void free_inode(struct inode_table *t, struct fuse_inode *i)
{
	if (!i)
		return;
	close(i->fd);
	free(i);
	/* After the close: the quota counts fds really held. */
	fd_quota_give(t->quota, FD_INODE);
}

int inode_table_set_root(struct inode_table *t, int fd, dev_t dev, ino_t ino, mode_t type)
{
	struct fuse_inode *i = calloc(1, sizeof(*i));
	if (!i)
		return -1;
	*i = (struct fuse_inode){.nodeid = FUSE_ROOT_ID,
				 .dev = dev,
				 .ino = ino,
				 .fd = fd,
				 .type = type,
				 .nlookup = 1,
				 .pinned = true};
	pthread_mutex_lock(&t->lock);
	link_inode(t, i);
	t->count++;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

struct fuse_inode *inode_get(struct inode_table *t, uint64_t nodeid)
{
	pthread_mutex_lock(&t->lock);
	struct fuse_inode *i = find_id(t, nodeid);
	if (i)
		i->refs++;
	pthread_mutex_unlock(&t->lock);
	return i;
}

void inode_ref(struct inode_table *t, struct fuse_inode *i)
{
	pthread_mutex_lock(&t->lock);
	i->refs++;
	pthread_mutex_unlock(&t->lock);
}

void inode_put(struct inode_table *t, struct fuse_inode *i)
{
	if (!i)
		return;
	pthread_mutex_lock(&t->lock);
	i->refs--;
	struct fuse_inode *dead = release_if_unused(t, i);
	pthread_mutex_unlock(&t->lock);
	free_inode(t, dead);
}

struct fuse_inode *inode_lookup_insert(struct inode_table *t, int fd, dev_t dev, ino_t ino,
				       mode_t type)
{
	struct fuse_inode *fresh = calloc(1, sizeof(*fresh));
	pthread_mutex_lock(&t->lock);
	struct fuse_inode *i = find_key(t, dev, ino);
	if (i) {
		i->nlookup++;
		i->refs++;
		pthread_mutex_unlock(&t->lock);
		free(fresh);
		close(fd);
		return i;
	}
	int rc = fresh ? fd_quota_take(t->quota, FD_INODE) : -ENOMEM;
	if (rc) {
		pthread_mutex_unlock(&t->lock);
		free(fresh);
		close(fd);
		errno = -rc;
		return NULL;
	}
	*fresh = (struct fuse_inode){.nodeid = t->next_nodeid++,
				     .dev = dev,
				     .ino = ino,
				     .fd = fd,
				     .type = type & S_IFMT,
				     .nlookup = 1,
				     .refs = 1};
	maybe_grow(t);
	link_inode(t, fresh);
	t->count++;
	pthread_mutex_unlock(&t->lock);
	return fresh;
}

void inode_forget(struct inode_table *t, uint64_t nodeid, uint64_t n)
{
	pthread_mutex_lock(&t->lock);
	struct fuse_inode *dead = NULL;
	struct fuse_inode *i = find_id(t, nodeid);
	if (i && !i->pinned) {
		i->nlookup -= n < i->nlookup ? n : i->nlookup;
		dead = release_if_unused(t, i);
	}
	pthread_mutex_unlock(&t->lock);
	free_inode(t, dead);
}

void inode_forget_all(struct inode_table *t)
{
	struct fuse_inode *dead = NULL;
	pthread_mutex_lock(&t->lock);
	for (size_t b = 0; b < t->buckets; b++) {
		struct fuse_inode *i = t->by_id[b];
		while (i) {
			struct fuse_inode *next = i->next_by_id;
			if (!i->pinned) {
				i->nlookup = 0;
				if (release_if_unused(t, i)) {
					/* Reuse next_by_id to chain the dead
					 * ones; they are unlinked already. */
					i->next_by_id = dead;
					dead = i;
				}
			}
			i = next;
		}
	}
	pthread_mutex_unlock(&t->lock);
	while (dead) {
		struct fuse_inode *next = dead->next_by_id;
		free_inode(t, dead);
		dead = next;
	}
}

size_t inode_table_count(struct inode_table *t)
{
	pthread_mutex_lock(&t->lock);
	size_t n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
