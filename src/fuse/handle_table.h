/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Open files and directories handed to the guest as `fh` values. fh values
 * are never reused, so a stale or forged fh only misses. A handle is
 * refcounted like an inode: RELEASE racing with READ cannot close the fd
 * (and let the number be reused for another file) while the READ runs.
 */
#ifndef MVM_FUSE_HANDLE_TABLE_H
#define MVM_FUSE_HANDLE_TABLE_H

#include "util/fd_quota.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct fuse_handle {
	uint64_t fh;
	uint64_t nodeid; /* the inode it was opened from */
	int fd;
	bool is_dir;
	/* Directory streams: lseek + getdents must not interleave. */
	pthread_mutex_t dir_lock;
	/* A directory stream's read-ahead, under dir_lock: what getdents gave
	 * beyond the last entry sent (dir_buf[dir_pos, dir_len)), and the
	 * offset a READDIR that reads on asks for (dir_next). Such a READDIR
	 * continues without lseek(): on file systems whose offsets are
	 * positions (tmpfs before Linux 6.6, ramfs), seeking after the
	 * guest deleted entries it had listed skips entries never listed. */
	char *dir_buf;
	size_t dir_len, dir_pos;
	uint64_t dir_next;
	uint64_t refs;
	bool removed; /* released by the guest; freed at refs 0 */
	struct fuse_handle *next;
};

struct handle_table {
	pthread_mutex_t lock;
	struct fuse_handle **buckets;
	size_t nbuckets;
	size_t count;
	uint64_t next_fh;
	/* NULL: no limit. Set after handle_table_init, must outlive it. */
	struct fd_quota *quota;
};

int handle_table_init(struct handle_table *t);
void handle_table_destroy(struct handle_table *t);

/* Registers fd (taken) and returns the new fh, or 0 (fd closed) with errno
 * ENFILE (the fd quota is used up) or ENOMEM. */
uint64_t handle_add(struct handle_table *t, int fd, uint64_t nodeid, bool is_dir);
/* Finds fh (of the right kind) and takes a ref; NULL if unknown. */
struct fuse_handle *handle_get(struct handle_table *t, uint64_t fh, bool is_dir);
void handle_put(struct handle_table *t, struct fuse_handle *h);
/* RELEASE: removes fh; false if unknown. The fd closes at the last ref. */
bool handle_remove(struct handle_table *t, uint64_t fh, bool is_dir);
/* DESTROY: removes every handle. */
void handle_remove_all(struct handle_table *t);
size_t handle_table_count(struct handle_table *t);

#endif
