/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fd_quota.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>

/* The one piece of process-wide state in libmvm, because the fd table it
 * accounts for is process-wide too. Everything under one lock: a take is one
 * compare and add beside an openat(), so contention does not matter. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool raised_once;
static size_t total_held;
/* Until the first server starts: as for the common default soft limit. */
static size_t budget = 1024 - (1024 / 4 + 128);

size_t fd_quota_budget_for(size_t soft)
{
	/* The reserve covers what is not a share's fd: the application, each
	 * VM's own fds (KVM, vCPUs, eventfds, timerfds, pipes, libslirp's
	 * sockets: a few dozen per VM plus one per guest connection), fds in
	 * flight in the servers' workers, and VMs that are starting. A quarter
	 * scales with what the host allows; 128 more keep small limits usable.
	 * At most half is reserved, so a tiny limit still lets guests boot. */
	size_t reserve = soft / 4 + 128;
	if (reserve > soft / 2)
		reserve = soft / 2;
	return soft - reserve;
}

void fd_quota_init(struct fd_quota *q, size_t max_inodes, size_t max_handles)
{
	memset(q, 0, sizeof(*q));
	q->max[FD_INODE] = max_inodes ? max_inodes : FD_QUOTA_DEFAULT_MAX_INODES;
	q->max[FD_HANDLE] = max_handles ? max_handles : FD_QUOTA_DEFAULT_MAX_HANDLES;
	q->max[FD_SOCKET] = FD_QUOTA_DEFAULT_MAX_SOCKETS;
}

void fd_quota_process_setup(const struct mvm_logger *log)
{
	struct rlimit rl;
	bool raise_now = false;
	pthread_mutex_lock(&lock);
	if (!raised_once) {
		raised_once = true;
		raise_now = true;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		pthread_mutex_unlock(&lock);
		return;
	}
	rlim_t before = rl.rlim_cur;
	/* Only up, and only once: an application that lowers the limit
	 * afterwards gets what it asked for (and a smaller budget). The lock
	 * keeps a second VM from computing its budget from a half-done raise. */
	if (raise_now && rl.rlim_max != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	size_t soft = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)INT_MAX
			  ? (size_t)INT_MAX
			  : (size_t)rl.rlim_cur;
	budget = fd_quota_budget_for(soft);
	size_t b = budget, held = total_held;
	pthread_mutex_unlock(&lock);
	if (raise_now && rl.rlim_cur != before)
		log_debug(log,
			  "RLIMIT_NOFILE soft limit raised from %llu to the hard limit %llu "
			  "for the process",
			  (unsigned long long)before, (unsigned long long)rl.rlim_cur);
	log_debug(log, "fd budget for what guests hold %zu (soft limit %zu, %zu held now)", b, soft,
		  held);
}

/* With the lock held. */
static bool has_room(const struct fd_quota *q, enum fd_kind k)
{
	size_t mine = 0;
	for (int i = 0; i < FD_KIND_COUNT; i++)
		mine += q->held[i];
	/* Inodes pile up passively, as the guest's dentry cache grows; handles
	 * and sockets are in use. Inodes see only 7/8 of the budget, so a share
	 * whose guest cached its way to the limit can still open its files. */
	size_t limit = k == FD_INODE ? budget - budget / 8 : budget;
	size_t free_fds = total_held < limit ? limit - total_held : 0;
	return q->held[k] < q->max[k] && mine < free_fds;
}

int fd_quota_take(struct fd_quota *q, enum fd_kind k)
{
	if (!q)
		return 0;
	pthread_mutex_lock(&lock);
	bool ok = has_room(q, k);
	if (ok) {
		q->held[k]++;
		total_held++;
	}
	pthread_mutex_unlock(&lock);
	return ok ? 0 : -ENFILE;
}

int fd_quota_room(struct fd_quota *q, enum fd_kind k)
{
	pthread_mutex_lock(&lock);
	bool ok = has_room(q, k);
	pthread_mutex_unlock(&lock);
	return ok ? 0 : -ENFILE;
}

void fd_quota_set_held(struct fd_quota *q, enum fd_kind k, size_t n)
{
	pthread_mutex_lock(&lock);
	total_held = total_held - q->held[k] + n;
	q->held[k] = n;
	pthread_mutex_unlock(&lock);
}

void fd_quota_give(struct fd_quota *q, enum fd_kind k)
{
	if (!q)
		return;
	pthread_mutex_lock(&lock);
	if (q->held[k] > 0) {
		q->held[k]--;
		total_held--;
	}
	pthread_mutex_unlock(&lock);
}

size_t fd_quota_process_held(void)
{
	pthread_mutex_lock(&lock);
	size_t n = total_held;
	pthread_mutex_unlock(&lock);
	return n;
}

size_t fd_quota_process_budget(void)
{
	pthread_mutex_lock(&lock);
	size_t n = budget;
	pthread_mutex_unlock(&lock);
	return n;
}
