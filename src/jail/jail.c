/* SPDX-License-Identifier: Apache-2.0 */
#include "jail/jail.h"
#include "util/error.h"
#include "util/thread.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct jail {
	int ns_fd; /* /proc/thread-self/ns/mnt of the helper that built it */
};

/* <linux/mount.h> clashes with glibc 2.36's <sys/mount.h>. */
#define MVM_OPEN_TREE_CLONE 1
#define MVM_AT_RECURSIVE 0x8000
#define MVM_MOVE_MOUNT_F_EMPTY_PATH 0x4

struct build {
	int ns_fd;
	int old_proc; /* a detached clone of the host's /proc, or -1 */
	int err;
	const char *step;
};

#define STEP(call, name)                                                                           \
	do {                                                                                       \
		if ((call) < 0) {                                                                  \
			b->err = errno;                                                            \
			b->step = (name);                                                          \
			return NULL;                                                               \
		}                                                                                  \
	} while (0)

/* libslirp reads the host's resolv.conf on the network thread when the
 * guest makes its first DNS query (seccomp/rules.c): the jail holds a
 * copy, as it was when the VM was built. No resolv.conf on the host: no
 * copy, and libslirp falls back as it would there. */
static int copy_resolv_conf(const char *etc)
{
	char buf[8192];
	int in = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : -1;
	ssize_t n = read(in, buf, sizeof(buf));
	int e = errno;
	close(in);
	if (n < 0) {
		errno = e;
		return -1;
	}
	if (mkdir(etc, 0755) < 0)
		return -1;
	char path[64];
	snprintf(path, sizeof(path), "%s/resolv.conf", etc);
	int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (out < 0)
		return -1;
	ssize_t w = write(out, buf, (size_t)n);
	e = errno;
	close(out);
	if (w != n) {
		errno = w < 0 ? e : ENOSPC;
		return -1;
	}
	return 0;
}

/* Runs on a thread of its own, which the new namespace and root then
 * belong to; the fd keeps the namespace alive after the thread ends. */
static void *build_ns(void *arg)
{
	struct build *b = arg;
	/* A mount namespace needs an fs_struct (root, cwd) of our own. */
	STEP(unshare(CLONE_FS | CLONE_NEWNS), "unshare(CLONE_NEWNS)");
	/* Nothing we mount may reach the host's namespace. */
	STEP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "make / private");
	/* Where a fresh procfs may not be mounted (root of a user namespace
	 * without a pid namespace of its own), the jail gets a clone of the
	 * host's, taken before the tmpfs covers it. Linux 5.2 or later;
	 * older ones need the fresh mount. */
	b->old_proc = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc",
				   MVM_OPEN_TREE_CLONE | O_CLOEXEC | MVM_AT_RECURSIVE);
	/* The new root, on a directory every mvm host has: /proc, which we
	 * cover in this namespace only. */
	STEP(mount("mvm-jail", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		   "size=16k,nr_inodes=8,mode=0755"),
	     "mount the jail's tmpfs");
	STEP(mkdir("/proc/proc", 0555), "mkdir /proc in the jail");
	STEP(copy_resolv_conf("/proc/etc"), "copy /etc/resolv.conf into the jail");
	/* The file-system workers reach files by /proc/self/fd/N for the
	 * xattr calls that have no fd form for O_PATH fds. */
	if (mount("proc", "/proc/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		STEP(errno == EPERM && b->old_proc >= 0 ? 0 : -1, "mount proc in the jail");
		STEP(syscall(SYS_move_mount, b->old_proc, "", AT_FDCWD, "/proc/proc",
			     MVM_MOVE_MOUNT_F_EMPTY_PATH),
		     "put the host's /proc into the jail");
	}
	STEP(chdir("/proc"), "chdir into the jail");
	/* pivot_root(".", "."): the old root ends up stacked on the new one
	 * and is detached at once (the runc and LXC way, no spare dir). */
	STEP(syscall(SYS_pivot_root, ".", "."), "pivot_root");
	STEP(umount2(".", MNT_DETACH), "detach the host's root");
	STEP(chdir("/"), "chdir /");
	STEP(mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		   NULL),
	     "remount the jail read-only");
	b->ns_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
	STEP(b->ns_fd, "open the jail's namespace");
	return NULL;
}

struct jail *jail_new(mvm_error **err)
{
	struct build b = {.ns_fd = -1, .old_proc = -1};
	pthread_t t;
	int rc = mvm_thread_create(&t, build_ns, &b);
	if (rc != 0) {
		mvm_err(err, MVM_ERR_IO, rc, "jail: starting its helper thread");
		return NULL;
	}
	pthread_join(t, NULL);
	if (b.old_proc >= 0)
		close(b.old_proc);
	if (b.err != 0) {
		if (b.ns_fd >= 0)
			close(b.ns_fd);
		mvm_err(err, b.err == EPERM ? MVM_ERR_UNSUPPORTED : MVM_ERR_IO, b.err,
			"jail: %s failed; run without it (--no-jail) where mvm may not make a "
			"mount namespace",
			b.step);
		return NULL;
	}
	struct jail *j = malloc(sizeof(*j));
	if (j == NULL) {
		close(b.ns_fd);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "jail");
		return NULL;
	}
	j->ns_fd = b.ns_fd;
	return j;
}

void jail_free(struct jail *j)
{
	if (j == NULL)
		return;
	close(j->ns_fd);
	free(j);
}

int jail_thread_caps(jail_caps *effective, jail_caps *permitted)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct cur[2];
	if (syscall(SYS_capget, &hdr, cur) < 0)
		return -1;
	if (effective != NULL)
		*effective = (jail_caps)cur[0].effective | ((jail_caps)cur[1].effective << 32);
	if (permitted != NULL)
		*permitted = (jail_caps)cur[0].permitted | ((jail_caps)cur[1].permitted << 32);
	return 0;
}

static bool has_effective(jail_caps wanted)
{
	jail_caps eff;
	return jail_thread_caps(&eff, NULL) == 0 && (eff & wanted) == wanted;
}

bool jail_may_build(void)
{
	return has_effective(1ull << CAP_SYS_ADMIN);
}

jail_caps jail_fs_passthrough_caps(void)
{
	/* virtiofsd's set for the same job: act as the guest's users on
	 * files of any owner, keep setgid bits, set file capabilities. No
	 * CAP_SYS_ADMIN, so trusted.* xattrs are refused. */
	return (1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_FOWNER) |
	       (1ull << CAP_FSETID) | (1ull << CAP_SETGID) | (1ull << CAP_SETUID) |
	       (1ull << CAP_MKNOD) | (1ull << CAP_SETFCAP);
}

bool jail_may_switch_ids(void)
{
	return has_effective((1ull << CAP_SETUID) | (1ull << CAP_SETGID));
}

int jail_enter(const struct jail *j, const struct jail_ids *ids, jail_caps keep,
	       const char **step)
{
	if (j != NULL) {
		if (unshare(CLONE_FS) < 0) {
			*step = "unshare(CLONE_FS)";
			return errno;
		}
		if (setns(j->ns_fd, CLONE_NEWNS) < 0) {
			*step = "setns into the jail";
			return errno;
		}
	}
	/* The raw calls change this thread only; glibc's setresuid() and
	 * friends would change every thread of the process. Groups first:
	 * setgroups needs the CAP_SETGID that setresuid takes away. */
	if (ids != NULL && ids->set) {
		if (syscall(SYS_setgroups, 0, NULL) < 0) {
			*step = "setgroups";
			return errno;
		}
		if (syscall(SYS_setresgid, ids->gid, ids->gid, ids->gid) < 0) {
			*step = "setresgid";
			return errno;
		}
		if (syscall(SYS_setresuid, ids->uid, ids->uid, ids->uid) < 0) {
			*step = "setresuid";
			return errno;
		}
	}
	/* Ambient capabilities would survive an exec; there is none (seccomp
	 * has no execve), but keep the set empty all the same. EINVAL: a
	 * kernel before 4.3, which has none. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*step = "clear ambient capabilities";
		return errno;
	}
	/* capset() changes the calling thread only (glibc's wrappers for
	 * setuid and friends change every thread; this is the raw call). */
	jail_caps have;
	if (jail_thread_caps(NULL, &have) < 0) {
		*step = "capget";
		return errno;
	}
	keep &= have;
	struct __user_cap_data_struct want[2] = {
	    {.effective = (uint32_t)keep, .permitted = (uint32_t)keep, .inheritable = 0},
	    {.effective = (uint32_t)(keep >> 32), .permitted = (uint32_t)(keep >> 32),
	     .inheritable = 0},
	};
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	if (syscall(SYS_capset, &hdr, want) < 0) {
		*step = "capset";
		return errno;
	}
	return 0;
}
