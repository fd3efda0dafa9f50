/* SPDX-License-Identifier: Apache-2.0 */
/* Attributes of one inode: getattr, setattr, statfs, access. */
#include "fuse/fuse_internal.h"
#include "util/override_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int reply_attr(struct fuse_op *op, const struct fuse_inode *i)
{
	struct stat st;
	int rc = fuse_stat_inode(op->s, i, &st);
	if (rc)
		return rc;
	struct fuse_attr_out out;
	fuse_fill_attr_out(op->s, &out, &st);
	return fuse_reply(op, &out, sizeof(out));
}

int fuse_op_getattr(struct fuse_op *op)
{
	struct fuse_getattr_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	/* GETATTR_FH names an open file of the same inode: stat'ing the inode
	 * gives the same answer without trusting the fh. */
	struct fuse_inode *i = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!i)
		return rc;
	rc = reply_attr(op, i);
	inode_put(&op->s->inodes, i);
	return rc;
}

static int set_mode(struct fuse_server *s, const struct fuse_inode *i, const struct fuse_handle *h,
		    mode_t mode)
{
	if (h)
		return fchmod(h->fd, mode) < 0 ? -errno : 0;
	if (S_ISLNK(i->type))
		return -EOPNOTSUPP; /* Linux symlinks have no mode of their own */
	char name[16];
	fuse_fd_name(name, i->fd);
	return fchmodat(s->proc_self_fd, name, mode, 0) < 0 ? -errno : 0;
}

static int set_owner(const struct fuse_inode *i, const struct fuse_handle *h, uid_t uid, gid_t gid)
{
	if (h)
		return fchown(h->fd, uid, gid) < 0 ? -errno : 0;
	return fchownat(i->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int set_size(struct fuse_server *s, const struct fuse_inode *i, const struct fuse_handle *h,
		    uint64_t size)
{
	if (size > INT64_MAX)
		return -EFBIG;
	if (h) {
		if (ftruncate(h->fd, (off_t)size) == 0)
			return 0;
		/* The guest may truncate through a handle it opened
		 * read-only (the VFS checked its permission): retry below. */
		if (errno != EBADF && errno != EINVAL)
			return -errno;
	}
	if (S_ISDIR(i->type))
		return -EISDIR;
	if (!S_ISREG(i->type))
		return -EINVAL;
	int fd = fuse_reopen(s, i->fd, O_WRONLY);
	if (fd < 0)
		return fd;
	int rc = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int pick_time(struct timespec *ts, bool set, bool now, uint64_t sec, uint32_t nsec)
{
	if (!set) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_OMIT;
	} else if (now) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_NOW;
	} else {
		if (nsec >= 1000000000u || sec > INT64_MAX)
			return -EINVAL;
		ts->tv_sec = (time_t)sec;
		ts->tv_nsec = nsec;
	}
	return 0;
}

static int set_times(struct fuse_server *s, const struct fuse_inode *i, const struct fuse_handle *h,
		     const struct fuse_setattr_in *in)
{
	struct timespec ts[2];
	int rc = pick_time(&ts[0], in->valid & FATTR_ATIME, in->valid & FATTR_ATIME_NOW, in->atime,
			   in->atimensec);
	if (rc || (rc = pick_time(&ts[1], in->valid & FATTR_MTIME, in->valid & FATTR_MTIME_NOW,
				  in->mtime, in->mtimensec)))
		return rc;
	if (h)
		return futimens(h->fd, ts) < 0 ? -errno : 0;
	if (utimensat(i->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	/* Kernels before 5.8 lack AT_EMPTY_PATH here: go through /proc,
	 * which cannot name a symlink without following it. */
	if (errno != EINVAL && errno != ENOENT)
		return -errno;
	if (S_ISLNK(i->type))
		return -EPERM;
	char name[16];
	fuse_fd_name(name, i->fd);
	return utimensat(s->proc_self_fd, name, ts, 0) < 0 ? -errno : 0;
}

/* Virtual ownership: chmod and chown change only the override. The host
 * file keeps its owner and gets permission bits the VMM can use. Host
 * symlinks and special files cannot hold an override and are treated as
 * in passthrough (a symlink's owner stays the host's, see docs/fuse.md). */
static int set_virtual(struct fuse_server *s, const struct fuse_inode *i,
		       const struct fuse_setattr_in *in)
{
	if ((in->valid & FATTR_UID && in->uid == UINT32_MAX) ||
	    (in->valid & FATTR_GID && in->gid == UINT32_MAX))
		return -EINVAL;
	struct override_stat o;
	int rc = fuse_virt_get(s, i->fd, &o);
	if (rc)
		return rc;
	if (in->valid & FATTR_MODE)
		o.mode = (o.mode & S_IFMT) | (in->mode & 07777);
	if (in->valid & FATTR_UID)
		o.uid = in->uid;
	if (in->valid & FATTR_GID)
		o.gid = in->gid;
	rc = fuse_virt_set(i->fd, i->type, &o);
	if (rc == 0 && (in->valid & FATTR_MODE)) {
		char name[16];
		fuse_fd_name(name, i->fd);
		/* Best effort: the override is what the guest sees. */
		(void)fchmodat(s->proc_self_fd, name, override_host_mode(o.mode, S_ISDIR(i->type)),
			       0);
	}
	return rc;
}

int fuse_op_setattr(struct fuse_op *op)
{
	struct fuse_server *s = op->s;
	struct fuse_setattr_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	struct fuse_inode *i = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!i)
		return rc;
	struct fuse_handle *h = NULL;
	if (in.valid & FATTR_FH) {
		h = handle_get(&s->handles, in.fh, false);
		if (!h || h->nodeid != i->nodeid)
			rc = -EBADF;
	}
	/* The order of chmod, chown, truncate, utimes matters only for the
	 * times: truncation would bump mtime after it was set. */
	bool virt = s->virtual_owner && (S_ISREG(i->type) || S_ISDIR(i->type));
	bool ids = in.valid & (FATTR_UID | FATTR_GID);
	if (rc == 0 && virt && (ids || (in.valid & FATTR_MODE))) {
		rc = set_virtual(s, i, &in);
	} else if (rc == 0) {
		if (in.valid & FATTR_MODE)
			rc = set_mode(s, i, h, in.mode & 07777);
		/* In the virtual mode a symlink holds no override: lchown
		 * succeeds without effect (docs/fuse.md, "Share modes"). */
		if (rc == 0 && ids && !(s->virtual_owner && S_ISLNK(i->type)))
			rc = set_owner(i, h, (in.valid & FATTR_UID) ? in.uid : (uid_t)-1,
				       (in.valid & FATTR_GID) ? in.gid : (gid_t)-1);
	}
	if (rc == 0 && (in.valid & FATTR_SIZE))
		rc = set_size(s, i, h, in.size);
	if (rc == 0 && (in.valid & (FATTR_ATIME | FATTR_MTIME)))
		rc = set_times(s, i, h, &in);
	if (rc == 0)
		rc = reply_attr(op, i);
	handle_put(&s->handles, h);
	inode_put(&s->inodes, i);
	return rc;
}

int fuse_op_statfs(struct fuse_op *op)
{
	int rc;
	struct fuse_inode *i = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!i)
		return rc;
	struct statvfs sv;
	rc = fstatvfs(i->fd, &sv) < 0 ? -errno : 0;
	inode_put(&op->s->inodes, i);
	if (rc)
		return rc;
	struct fuse_statfs_out out = {.st = {
					  .blocks = sv.f_blocks,
					  .bfree = sv.f_bfree,
					  .bavail = sv.f_bavail,
					  .files = sv.f_files,
					  .ffree = sv.f_ffree,
					  .bsize = (uint32_t)sv.f_bsize,
					  .namelen = (uint32_t)sv.f_namemax,
					  .frsize = (uint32_t)sv.f_frsize,
				      }};
	return fuse_reply(op, &out, sizeof(out));
}

/* The guest's own rules on the guest's view (the guest kernel normally
 * checks itself, with default_permissions). Supplementary groups are not
 * in the request, so only the primary group counts. */
static int virtual_access(struct fuse_op *op, const struct fuse_inode *i, uint32_t mask)
{
	struct stat st;
	int rc = fuse_stat_inode(op->s, i, &st);
	if (rc || mask == 0)
		return rc;
	uint32_t uid = op->hdr->uid, gid = op->hdr->gid;
	mode_t bits;
	if (uid == 0) /* root: anything but executing what nobody may */
		bits = (S_ISDIR(st.st_mode) || (st.st_mode & 0111)) ? 7 : 6;
	else if (uid == st.st_uid)
		bits = (st.st_mode >> 6) & 7;
	else if (gid == st.st_gid)
		bits = (st.st_mode >> 3) & 7;
	else
		bits = st.st_mode & 7;
	return (mask & ~bits) ? -EACCES : 0;
}

int fuse_op_access(struct fuse_op *op)
{
	struct fuse_access_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	if (in.mask & ~(uint32_t)(R_OK | W_OK | X_OK))
		return -EINVAL;
	struct fuse_inode *i = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!i)
		return rc;
	if ((in.mask & W_OK) && op->s->read_only) {
		inode_put(&op->s->inodes, i);
		return -EROFS;
	}
	if (op->s->virtual_owner) {
		rc = virtual_access(op, i, in.mask);
		inode_put(&op->s->inodes, i);
		return rc;
	}
	/* Checked as the guest's user: AT_EACCESS makes the kernel use the
	 * fsuid/fsgid that fuse_creds_enter() set on this thread. */
	struct fuse_creds creds;
	rc = fuse_creds_enter(op, &creds);
	if (rc == 0) {
		char name[16];
		fuse_fd_name(name, i->fd);
		rc =
		    faccessat(op->s->proc_self_fd, name, (int)in.mask, AT_EACCESS) < 0 ? -errno : 0;
		fuse_creds_leave(&creds);
	}
	inode_put(&op->s->inodes, i);
	return rc;
}
