/* SPDX-License-Identifier: Apache-2.0 */
/* Operations on directory entries: lookup and forget, creating, linking,
 * renaming and removing names. Every name is one path component checked by
 * fuse_read_name() (never "." or ".."), resolved with *at() calls against
 * the parent's O_PATH fd and never followed if it is a symlink. */
#include "fuse/fuse_internal.h"
#include "util/override_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Sends an entry the guest will hold a lookup of; if it cannot be sent,
 * the lookup is dropped again, as the guest never learned of it. */
static int reply_entry(struct fuse_op *op, const struct fuse_entry_out *e)
{
	int rc = fuse_reply(op, e, sizeof(*e));
	if (rc)
		inode_forget(&op->s->inodes, e->nodeid, 1);
	return rc;
}

int fuse_op_lookup(struct fuse_op *op)
{
	char name[NAME_MAX + 1];
	int rc = fuse_read_name(op, name);
	if (rc)
		return rc;
	struct fuse_inode *parent = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!parent)
		return rc;
	struct fuse_entry_out e;
	rc = fuse_lookup_name(op->s, parent, name, &e);
	inode_put(&op->s->inodes, parent);
	if (rc == -ENOENT && op->s->negative_timeout) {
		/* Nodeid 0: the guest keeps "not there" for the entry timeout
		 * instead of asking again on every access (overlayfs asks each
		 * layer above the one that has a file). The guest's own
		 * creates drop it; only a share nobody else changes may say so. */
		e = (struct fuse_entry_out){
		    .entry_valid = op->s->timeout_ms / 1000,
		    .entry_valid_nsec = (op->s->timeout_ms % 1000) * 1000000u,
		};
		return fuse_reply(op, &e, sizeof(e));
	}
	return rc ? rc : reply_entry(op, &e);
}

int fuse_op_forget(struct fuse_op *op)
{
	struct fuse_forget_in in;
	if (fuse_arg(op, &in, sizeof(in)) == 0)
		inode_forget(&op->s->inodes, op->hdr->nodeid, in.nlookup);
	return FUSE_NO_REPLY;
}

int fuse_op_batch_forget(struct fuse_op *op)
{
	struct fuse_batch_forget_in in;
	if (fuse_arg(op, &in, sizeof(in)))
		return FUSE_NO_REPLY;
	/* count is untrusted: stop at the end of the request, whatever it says. */
	struct fuse_forget_one one;
	for (uint32_t n = 0; n < in.count && fuse_arg(op, &one, sizeof(one)) == 0; n++)
		inode_forget(&op->s->inodes, one.nodeid, one.nlookup);
	return FUSE_NO_REPLY;
}

/* A symlink of the virtual mode is a regular host file holding the
 * target, typed "symlink" in its override (see create_entry). */
static ssize_t read_virtual_link(struct fuse_server *s, const struct fuse_inode *i,
				 char target[PATH_MAX])
{
	struct stat st;
	int rc = fuse_stat_inode(s, i, &st);
	if (rc)
		return rc;
	if (!S_ISLNK(st.st_mode))
		return -EINVAL;
	int fd = fuse_reopen(s, i->fd, O_RDONLY);
	if (fd < 0)
		return fd;
	ssize_t n = pread(fd, target, PATH_MAX, 0);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	/* Longer than any target symlink(2) takes: not ours, or changed on
	 * the host. */
	return n >= PATH_MAX ? -ENAMETOOLONG : n;
}

int fuse_op_readlink(struct fuse_op *op)
{
	int rc;
	struct fuse_inode *i = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!i)
		return rc;
	char target[PATH_MAX];
	ssize_t n;
	if (S_ISLNK(i->type)) {
		n = readlinkat(i->fd, "", target, sizeof(target));
		if (n < 0)
			n = -errno;
	} else if (op->s->virtual_owner && S_ISREG(i->type)) {
		n = read_virtual_link(op->s, i, target);
	} else {
		n = -EINVAL;
	}
	rc = n < 0 ? (int)n : 0;
	inode_put(&op->s->inodes, i);
	if (rc)
		return rc;
	/* The target is returned as the guest stored it, never resolved on
	 * the host: the guest kernel follows it inside the guest's view. */
	return fuse_reply(op, target, (size_t)n);
}

/* After a create: fixes the mode for the host umask, or stores the
 * guest's view of the new file (o, virtual ownership), and answers with
 * the entry of `name`. */
static int finish_create(struct fuse_op *op, struct fuse_inode *parent, const char *name,
			 mode_t mode, const struct override_stat *o)
{
	int fd = fuse_open_beneath(parent->fd, name, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return -errno;
	if (o) {
		int rc = fuse_virt_set(fd, S_ISDIR(o->mode) ? S_IFDIR : S_IFREG, o);
		if (rc) {
			close(fd);
			return rc;
		}
	} else {
		fuse_restore_mode(op->s, fd, mode);
	}
	struct fuse_entry_out e;
	int rc = fuse_lookup_fd_set(op->s, fd, o, &e);
	return rc ? rc : reply_entry(op, &e);
}

enum create_kind { CREATE_SYMLINK, CREATE_NODE, CREATE_DIR };

/* In the virtual mode a symlink is a regular host file holding its target
 * (the override's "symlink" type), so it can carry an owner like any other
 * file (Linux keeps user xattrs off symlinks), and the host never gets a
 * symlink its own programs could follow. Only the VMM's user can read it
 * on the host. Returns 0, or -1 with errno, leaving no file behind. */
static int write_virtual_link(int dir_fd, const char *name, const char *target)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(target);
	ssize_t n = pwrite(fd, target, len, 0);
	int e = n < 0 ? errno : EIO; /* a short write of a small file: no space */
	close(fd);
	if (n == (ssize_t)len)
		return 0;
	unlinkat(dir_fd, name, 0);
	errno = e;
	return -1;
}

/* mode carries the type for CREATE_NODE. In the virtual-ownership mode a
 * node of any type is a regular host file (the guest kernel serves its
 * own FIFOs, sockets and devices, and follows its own symlinks), and
 * nothing the guest creates is setuid, setgid or sticky on the host. */
static int create_entry(struct fuse_op *op, enum create_kind kind, const char *name,
			const char *target, mode_t mode, dev_t rdev)
{
	int rc;
	struct fuse_inode *parent = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!parent)
		return rc;
	bool virt = op->s->virtual_owner;
	struct override_stat o;
	rc = 0;
	if (virt) {
		mode_t guest = kind == CREATE_DIR	? S_IFDIR | mode
			       : kind == CREATE_SYMLINK ? S_IFLNK | 0777
							: mode;
		rc = fuse_virt_new_owner(op, parent, guest, &o);
		o.rdev = rdev;
	}
	struct fuse_creds creds;
	if (rc == 0)
		rc = fuse_creds_enter(op, &creds);
	if (rc == 0) {
		int r;
		if (kind == CREATE_SYMLINK && virt)
			r = write_virtual_link(parent->fd, name, target);
		else if (kind == CREATE_SYMLINK)
			r = symlinkat(target, parent->fd, name);
		else if (kind == CREATE_DIR)
			r = mkdirat(parent->fd, name, virt ? override_host_mode(mode, true) : mode);
		else if (virt)
			r = mknodat(parent->fd, name, S_IFREG | override_host_mode(mode, false), 0);
		else
			r = mknodat(parent->fd, name, mode, 0);
		rc = r < 0 ? -errno : 0;
		fuse_creds_leave(&creds);
	}
	if (rc == 0) {
		rc = finish_create(op, parent, name, kind == CREATE_SYMLINK ? 0 : mode,
				   virt ? &o : NULL);
		/* At the fd quota (ENFILE), or without its override (it
		 * would show the host's owner): leave nothing the guest
		 * never saw. */
		if (rc == -ENFILE || (virt && rc))
			unlinkat(parent->fd, name, kind == CREATE_DIR ? AT_REMOVEDIR : 0);
	}
	inode_put(&op->s->inodes, parent);
	return rc;
}

int fuse_op_symlink(struct fuse_op *op)
{
	char name[NAME_MAX + 1];
	char target[PATH_MAX];
	int rc = fuse_read_name(op, name);
	if (rc)
		return rc;
	long n = fuse_read_string(op->in, target, PATH_MAX - 1);
	if (n < 0)
		return n == FUSE_STR_TOO_LONG ? -ENAMETOOLONG : -EINVAL;
	if (n == 0)
		return -ENOENT; /* what symlink(2) says about an empty target */
	return create_entry(op, CREATE_SYMLINK, name, target, 0, 0);
}

int fuse_op_mknod(struct fuse_op *op)
{
	struct fuse_mknod_in in;
	char name[NAME_MAX + 1];
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = fuse_read_name(op, name)))
		return rc;
	mode_t type = in.mode & S_IFMT;
	bool device = type == S_IFCHR || type == S_IFBLK;
	/* In passthrough, device nodes would be host devices: anyone on the
	 * host who can reach the shared directory could use one the guest
	 * made. The virtual-ownership mode stores a regular file instead. */
	if (device && !op->s->virtual_owner)
		return -EPERM;
	if (!device && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	return create_entry(op, CREATE_NODE, name, NULL, in.mode & (S_IFMT | 07777),
			    device ? fuse_decode_dev(in.rdev) : 0);
}

int fuse_op_mkdir(struct fuse_op *op)
{
	struct fuse_mkdir_in in;
	char name[NAME_MAX + 1];
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = fuse_read_name(op, name)))
		return rc;
	return create_entry(op, CREATE_DIR, name, NULL, in.mode & 07777, 0);
}

static int remove_entry(struct fuse_op *op, int flags)
{
	char name[NAME_MAX + 1];
	int rc = fuse_read_name(op, name);
	if (rc)
		return rc;
	struct fuse_inode *parent = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!parent)
		return rc;
	rc = unlinkat(parent->fd, name, flags) < 0 ? -errno : 0;
	inode_put(&op->s->inodes, parent);
	return rc;
}

int fuse_op_unlink(struct fuse_op *op)
{
	return remove_entry(op, 0);
}

int fuse_op_rmdir(struct fuse_op *op)
{
	return remove_entry(op, AT_REMOVEDIR);
}

/* RENAME_WHITEOUT in the virtual mode (an overlayfs upper layer in the
 * guest asks for it): the whiteout is a character device 0:0 in the
 * guest's view, a regular file with that override on the host, since a
 * real one needs CAP_MKNOD. It is made first under a name of ours, so a
 * failed rename leaves nothing behind, and put in place once the rename
 * is done; the guest kernel holds both directories locked meanwhile. */
static int rename_whiteout_virtual(struct fuse_op *op, struct fuse_inode *olddir,
				   const char *oldname, struct fuse_inode *newdir,
				   const char *newname, uint32_t flags)
{
	char tmp[48];
	snprintf(tmp, sizeof(tmp), ".mvm-whiteout-%llx", (unsigned long long)op->hdr->unique);
	int fd = openat(olddir->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct override_stat o = {
	    .uid = op->hdr->uid, .gid = op->hdr->gid, .mode = S_IFCHR, .has_type = true};
	int rc = fuse_virt_set(fd, S_IFREG, &o);
	close(fd);
	if (rc == 0 &&
	    renameat2(olddir->fd, oldname, newdir->fd, newname, flags & ~RENAME_WHITEOUT) < 0)
		rc = -errno;
	/* Where renameat2() takes no flags (9p, some FUSE file systems), a
	 * hard link is the same "only if the name is free" step. */
	if (rc == 0 && renameat2(olddir->fd, tmp, olddir->fd, oldname, RENAME_NOREPLACE) < 0) {
		rc = -errno;
		if (rc == -EINVAL && linkat(olddir->fd, tmp, olddir->fd, oldname, 0) == 0) {
			unlinkat(olddir->fd, tmp, 0);
			rc = 0;
		} else if (rc == -EINVAL) {
			rc = -errno;
		}
	}
	if (rc < 0)
		unlinkat(olddir->fd, tmp, 0);
	return rc;
}

static int do_rename(struct fuse_op *op, uint64_t newdir, uint32_t flags)
{
	char oldname[NAME_MAX + 1], newname[NAME_MAX + 1];
	int rc = fuse_read_name(op, oldname);
	if (rc || (rc = fuse_read_name(op, newname)))
		return rc;
	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	struct fuse_inode *olddir = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!olddir)
		return rc;
	struct fuse_inode *newdir_i = fuse_get_inode(op, newdir, &rc);
	if (newdir_i && (flags & RENAME_WHITEOUT) && op->s->virtual_owner) {
		rc = (flags & RENAME_EXCHANGE) ? -EINVAL
					       : rename_whiteout_virtual(op, olddir, oldname, newdir_i,
									 newname, flags);
		inode_put(&op->s->inodes, newdir_i);
	} else if (newdir_i) {
		rc = renameat2(olddir->fd, oldname, newdir_i->fd, newname, flags) < 0 ? -errno : 0;
		inode_put(&op->s->inodes, newdir_i);
	}
	inode_put(&op->s->inodes, olddir);
	return rc;
}

int fuse_op_rename(struct fuse_op *op)
{
	struct fuse_rename_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	return rc ? rc : do_rename(op, in.newdir, 0);
}

int fuse_op_rename2(struct fuse_op *op)
{
	struct fuse_rename2_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	return rc ? rc : do_rename(op, in.newdir, in.flags);
}

int fuse_op_link(struct fuse_op *op)
{
	struct fuse_link_in in;
	char name[NAME_MAX + 1];
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = fuse_read_name(op, name)))
		return rc;
	struct fuse_inode *old = fuse_get_inode(op, in.oldnodeid, &rc);
	if (!old)
		return rc;
	struct fuse_inode *parent = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (parent) {
		if (S_ISDIR(old->type)) {
			rc = -EPERM;
		} else if (linkat(old->fd, "", parent->fd, name, AT_EMPTY_PATH) == 0) {
			rc = 0;
		} else if (errno == ENOENT || errno == EPERM) {
			/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc
			 * magic link reaches the same inode without it. */
			char fdname[16];
			fuse_fd_name(fdname, old->fd);
			rc = linkat(op->s->proc_self_fd, fdname, parent->fd, name,
				    AT_SYMLINK_FOLLOW) < 0
				 ? -errno
				 : 0;
		} else {
			rc = -errno;
		}
		if (rc == 0)
			rc = finish_create(op, parent, name, 0, NULL);
		inode_put(&op->s->inodes, parent);
	}
	inode_put(&op->s->inodes, old);
	return rc;
}
