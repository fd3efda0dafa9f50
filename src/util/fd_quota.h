/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How many file descriptors a guest may make the process hold. Each inode
 * the guest has looked up in a virtio-fs share pins an O_PATH fd until
 * FORGET, each open file or directory one fd until RELEASE, and each
 * connection or UDP flow through libslirp a host socket, all at the guest's
 * pace. Unbounded, one guest could drive the whole process to EMFILE, and
 * then eventfds, libslirp and every other VM of the process fail. Two
 * limits apply:
 *
 *  - per holder (a share's server, a VM's network): at most max[kind] fds of
 *    each kind;
 *  - per process: all holders of all VMs together stay below a budget derived
 *    from RLIMIT_NOFILE, which leaves a reserve for the VMMs' own fds, and a
 *    holder may take a new fd only while it holds fewer than the budget still
 *    free, so a greedy holder stops at half of what was free and any other
 *    holder can still make progress. Inodes count against 7/8 of the
 *    budget only, so that a share full of cached inodes can still open.
 *
 * A refused fd is ENFILE for the guest; the server goes on. Design and
 * numbers: docs/fuse.md, "File descriptor limits".
 */
#ifndef MVM_UTIL_FD_QUOTA_H
#define MVM_UTIL_FD_QUOTA_H

#include "util/log.h"

#include <stddef.h>

/* 128 Ki inodes: a Linux source tree (~80 k files) walked by a guest that
 * keeps every dentry cached fits; host memory stays near 100 MiB. */
#define FD_QUOTA_DEFAULT_MAX_INODES (128u * 1024)
/* 16 Ki open files and directories: sixteen guest processes at their default
 * RLIMIT_NOFILE of 1024 each. */
#define FD_QUOTA_DEFAULT_MAX_HANDLES (16u * 1024)
/* 16 Ki host sockets per VM network: as many concurrent connections as a
 * busy server in a guest sees, far above what ordinary guests open. */
#define FD_QUOTA_DEFAULT_MAX_SOCKETS (16u * 1024)

enum fd_kind { FD_INODE, FD_HANDLE, FD_SOCKET, FD_KIND_COUNT };

/* One holder's count. The fields are guarded by the process-wide lock. */
struct fd_quota {
	size_t max[FD_KIND_COUNT];
	size_t held[FD_KIND_COUNT];
};

/* max 0 means the default; sockets always get the default. */
void fd_quota_init(struct fd_quota *q, size_t max_inodes, size_t max_handles);

/* Called at each server start. The first call in the process raises the
 * soft RLIMIT_NOFILE to the hard limit (never lowering it) and logs that at
 * debug level; every call derives the budget again from the current soft
 * limit, in case the application changed it. */
void fd_quota_process_setup(const struct mvm_logger *log);

/* Accounts one more fd of kind k for q: 0, or -ENFILE at a limit. */
int fd_quota_take(struct fd_quota *q, enum fd_kind k);
/* Gives back one fd taken with fd_quota_take. NULL q is a no-op. */
void fd_quota_give(struct fd_quota *q, enum fd_kind k);
/* For fds opened by code we do not control (libslirp's sockets): would a
 * take succeed now? 0 or -ENFILE; the caller then refuses what would open
 * one. fd_quota_set_held() reports how many such fds q holds now. */
int fd_quota_room(struct fd_quota *q, enum fd_kind k);
void fd_quota_set_held(struct fd_quota *q, enum fd_kind k, size_t n);

/* For tests and logs: fds held by all shares, and their budget. */
size_t fd_quota_process_held(void);
size_t fd_quota_process_budget(void);
/* The budget for a soft limit: what remains after the reserve. */
size_t fd_quota_budget_for(size_t soft_limit);

#endif
