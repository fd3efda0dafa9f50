/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's inodes: one per host file the guest has looked up, each
 * holding an O_PATH fd (never a path string). Deduplicated by
 * (st_dev, st_ino), addressed by a nodeid that is never reused, so a stale
 * nodeid from the guest can only miss, never alias another file.
 *
 * Two counts keep an inode alive: nlookup (what the guest kernel holds,
 * dropped by FORGET) and refs (requests using it right now). The inode is
 * freed when both reach zero, so a FORGET racing with a READ cannot pull
 * the fd away under it.
 */
#ifndef MVM_FUSE_INODE_TABLE_H
#define MVM_FUSE_INODE_TABLE_H

#include "util/fd_quota.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fuse_inode {
	uint64_t nodeid;
	dev_t dev;
	ino_t ino;
	int fd;	     /* O_PATH | O_NOFOLLOW; constant while the inode lives */
	mode_t type; /* S_IFMT bits, fixed for the file's lifetime */
	uint64_t nlookup;
	uint64_t refs;
	bool pinned; /* the root: never forgotten */
	struct fuse_inode *next_by_id;
	struct fuse_inode *next_by_key;
};

struct inode_table {
	pthread_mutex_t lock;
	struct fuse_inode **by_id;
	struct fuse_inode **by_key;
	size_t buckets; /* power of two */
	size_t count;
	uint64_t next_nodeid;
	/* Counts every inode but the root; NULL: no limit (table tests). Set
	 * after inode_table_init, must outlive the table. */
	struct fd_quota *quota;
};

int inode_table_init(struct inode_table *t);
/* Closes and frees every inode, whatever its counts. */
void inode_table_destroy(struct inode_table *t);

/* Adds the root inode (nodeid FUSE_ROOT_ID, pinned). Takes fd. */
int inode_table_set_root(struct inode_table *t, int fd, dev_t dev, ino_t ino, mode_t type);

/* Finds nodeid and takes a ref; NULL if unknown. */
struct fuse_inode *inode_get(struct inode_table *t, uint64_t nodeid);
/* One more ref on an inode the caller already holds a ref on. */
void inode_ref(struct inode_table *t, struct fuse_inode *i);
/* Drops a ref taken by inode_get/inode_lookup_insert/inode_ref. */
void inode_put(struct inode_table *t, struct fuse_inode *i);

/* The guest learned about the file (dev, ino) whose O_PATH fd is fd: returns
 * the existing inode with nlookup+1 (closing fd), or a new one owning fd
 * with nlookup 1. Takes a ref either way. NULL (fd closed) with errno set:
 * ENFILE when a new inode would pass the fd quota, or ENOMEM. A file the
 * table already holds needs no new fd, so it is found even at the quota. */
struct fuse_inode *inode_lookup_insert(struct inode_table *t, int fd, dev_t dev, ino_t ino,
				       mode_t type);

/* FORGET: drops n lookups (clamped to what is held). Unknown ids are
 * ignored, as the protocol has no reply to report them in. */
void inode_forget(struct inode_table *t, uint64_t nodeid, uint64_t n);

/* DESTROY: the guest forgets everything but the root. */
void inode_forget_all(struct inode_table *t);

/* Number of live inodes (tests). */
size_t inode_table_count(struct inode_table *t);

#endif
