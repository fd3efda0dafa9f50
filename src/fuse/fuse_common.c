/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers every operation file uses: argument and name parsing, attribute
 * conversion, reopening O_PATH fds, lookups and per-thread credentials. */
#include "fuse/fuse_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int fuse_arg(struct fuse_op *op, void *dst, size_t len)
{
	return fuse_read(op->in, dst, len) ? 0 : -EINVAL;
}

int fuse_reply(struct fuse_op *op, const void *src, size_t len)
{
	/* The guest's reply buffer is too small for what the protocol says
	 * this reply carries: an error the kernel will pass up as EIO. */
	return fuse_write(op->out, src, len) ? 0 : -EIO;
}

int fuse_read_name(struct fuse_op *op, char name[NAME_MAX + 1])
{
	long len = fuse_read_string(op->in, name, NAME_MAX);
	if (len == FUSE_STR_TOO_LONG)
		return -ENAMETOOLONG;
	if (len <= 0)
		return -EINVAL;
	if (memchr(name, '/', (size_t)len))
		return -EINVAL;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

struct fuse_inode *fuse_get_inode(struct fuse_op *op, uint64_t nodeid, int *rc)
{
	struct fuse_inode *i = inode_get(&op->s->inodes, nodeid);
	if (!i)
		*rc = -EBADF;
	return i;
}

/* The guest kernel decodes fuse_attr.rdev with new_decode_dev(). */
static uint32_t encode_dev(dev_t dev)
{
	uint32_t maj = major(dev), min = minor(dev);
	return (min & 0xff) | ((maj & 0xfff) << 8) | ((min & ~0xffu) << 12);
}

dev_t fuse_decode_dev(uint32_t dev)
{
	return makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
}

void fuse_fill_attr(struct fuse_server *s, struct fuse_attr *a, const struct stat *st)
{
	*a = (struct fuse_attr){
	    .ino = st->st_ino,
	    .size = (uint64_t)st->st_size,
	    .blocks = (uint64_t)st->st_blocks,
	    .atime = (uint64_t)st->st_atim.tv_sec,
	    .mtime = (uint64_t)st->st_mtim.tv_sec,
	    .ctime = (uint64_t)st->st_ctim.tv_sec,
	    .atimensec = (uint32_t)st->st_atim.tv_nsec,
	    .mtimensec = (uint32_t)st->st_mtim.tv_nsec,
	    .ctimensec = (uint32_t)st->st_ctim.tv_nsec,
	    .mode = st->st_mode,
	    .nlink = (uint32_t)st->st_nlink,
	    .uid = st->st_uid,
	    .gid = st->st_gid,
	    .rdev = encode_dev(st->st_rdev),
	    .blksize = (uint32_t)st->st_blksize,
	};
	/* The guest decides at lookup whether a file goes through the window;
	 * the flag is read again only when its inode is made afresh. */
	if (atomic_load(&s->dax.active) && S_ISREG(st->st_mode) &&
	    (uint64_t)st->st_size >= s->dax.min_size)
		a->flags |= FUSE_ATTR_DAX;
}

void fuse_fill_attr_out(struct fuse_server *s, struct fuse_attr_out *a, const struct stat *st)
{
	*a = (struct fuse_attr_out){
	    .attr_valid = s->timeout_ms / 1000,
	    .attr_valid_nsec = (s->timeout_ms % 1000) * 1000000u,
	};
	fuse_fill_attr(s, &a->attr, st);
}

void fuse_fd_name(char buf[16], int fd)
{
	snprintf(buf, 16, "%d", fd);
}

void fuse_proc_path(char buf[32], int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

int fuse_reopen(struct fuse_server *s, int path_fd, int flags)
{
	/* Never create, never take the O_PATH shortcut, and no O_NOFOLLOW: the
	 * /proc magic link itself is the last component. */
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_PATH | (O_TMPFILE & ~O_DIRECTORY));
	char name[16];
	fuse_fd_name(name, path_fd);
	int fd = openat(s->proc_self_fd, name, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int fuse_lookup_fd(struct fuse_server *s, int path_fd, struct fuse_entry_out *e)
{
	return fuse_lookup_fd_set(s, path_fd, NULL, e);
}

int fuse_lookup_fd_set(struct fuse_server *s, int path_fd, const struct override_stat *set,
		       struct fuse_entry_out *e)
{
	struct stat st;
	if (fstatat(path_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int rc = -errno;
		close(path_fd);
		return rc;
	}
	/* The table keys on the host's identity and type; the guest gets its
	 * own view of the attributes. */
	struct stat guest_st = st;
	int rc = 0;
	if (set && s->virtual_owner)
		fuse_virt_apply(&guest_st, set);
	else
		rc = fuse_guest_view(s, path_fd, &guest_st);
	if (rc) {
		close(path_fd);
		return rc;
	}
	struct fuse_inode *i =
	    inode_lookup_insert(&s->inodes, path_fd, st.st_dev, st.st_ino, st.st_mode);
	if (!i)
		return -errno; /* ENFILE at the fd quota */
	*e = (struct fuse_entry_out){
	    .nodeid = i->nodeid,
	    .generation = 0, /* nodeids are never reused */
	    .entry_valid = s->timeout_ms / 1000,
	    .entry_valid_nsec = (s->timeout_ms % 1000) * 1000000u,
	    .attr_valid = s->timeout_ms / 1000,
	    .attr_valid_nsec = (s->timeout_ms % 1000) * 1000000u,
	};
	fuse_fill_attr(s, &e->attr, &guest_st);
	inode_put(&s->inodes, i);
	return 0;
}

int fuse_open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	/* The first line is fuse_read_name(): one component, never "." or "..",
	 * no '/'. This is the second: the kernel itself refuses to leave dirfd,
	 * to follow any symlink or magic link on the way (a trailing symlink
	 * with O_PATH | O_NOFOLLOW is still opened as the link itself). */
	static atomic_bool no_openat2;
	if (!atomic_load_explicit(&no_openat2, memory_order_relaxed)) {
		struct open_how how = {
		    .flags = (uint64_t)(flags | O_CLOEXEC),
		    .mode = (flags & (O_CREAT | O_TMPFILE)) ? (uint64_t)mode : 0,
		    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		/* Linux < 5.6: the name checks alone keep the lookup inside. */
		atomic_store_explicit(&no_openat2, true, memory_order_relaxed);
	}
	return openat(dirfd, name, flags | O_CLOEXEC, mode);
}

int fuse_lookup_name(struct fuse_server *s, struct fuse_inode *parent, const char *name,
		     struct fuse_entry_out *e)
{
	/* fuse_read_name() refused "." and ".." already: the guest kernel
	 * resolves both itself, and only a server offering EXPORT_SUPPORT is
	 * ever asked for them. A ".." that reached openat() could climb out of
	 * a directory that was moved outside the share (through another share
	 * that overlaps it on the host) up to the host's root. */
	int fd = -1;
	size_t graft = 0;
	if (parent->nodeid == FUSE_ROOT_ID && s->n_grafts &&
	    fuse_graft_index(name, s->n_grafts, &graft))
		fd = fcntl(s->graft_fds[graft], F_DUPFD_CLOEXEC, 0);
	else
		fd = fuse_open_beneath(parent->fd, name, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return -errno;
	return fuse_lookup_fd(s, fd, e);
}

bool fuse_graft_index(const char *name, size_t n, size_t *index)
{
	/* Canonical decimal only: "01" or "+1" name the root's own entries. */
	if (name[0] == '\0' || strspn(name, "0123456789") != strlen(name) ||
	    (name[0] == '0' && name[1] != '\0') || strlen(name) > 9)
		return false;
	size_t v = strtoul(name, NULL, 10);
	if (v >= n)
		return false;
	*index = v;
	return true;
}

int fuse_creds_enter(struct fuse_op *op, struct fuse_creds *c)
{
	c->switched = false;
	if (!op->s->switch_creds)
		return 0;
	uint32_t uid = op->hdr->uid, gid = op->hdr->gid;
	if (uid == 0 && gid == 0)
		return 0;
	/* The kernel sends (uint32_t)-1 for ids it cannot map: refuse rather
	 * than create a file owned by root. */
	if (uid == UINT32_MAX || gid == UINT32_MAX)
		return -EOVERFLOW;
	/* The raw syscalls change only this thread's credentials; setfsuid(-1)
	 * fails and returns the current value, which confirms the switch. */
	syscall(SYS_setfsgid, gid);
	if ((uint32_t)syscall(SYS_setfsgid, -1) != gid) {
		syscall(SYS_setfsgid, 0);
		return -EPERM;
	}
	syscall(SYS_setfsuid, uid);
	if ((uint32_t)syscall(SYS_setfsuid, -1) != uid) {
		syscall(SYS_setfsuid, 0);
		syscall(SYS_setfsgid, 0);
		return -EPERM;
	}
	c->switched = true;
	return 0;
}

void fuse_creds_leave(struct fuse_creds *c)
{
	if (!c->switched)
		return;
	syscall(SYS_setfsuid, 0);
	syscall(SYS_setfsgid, 0);
	c->switched = false;
}

void fuse_restore_mode(struct fuse_server *s, int path_fd, mode_t wanted)
{
	struct stat st;
	if (fstatat(path_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ||
	    S_ISLNK(st.st_mode))
		return;
	mode_t perms = wanted & 0777;
	if ((st.st_mode & perms) == perms)
		return;
	char name[16];
	fuse_fd_name(name, path_fd);
	/* Best effort: the file exists either way, just with fewer bits. */
	(void)fchmodat(s->proc_self_fd, name, (st.st_mode & 07777) | perms, 0);
}
