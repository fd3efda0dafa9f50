/* SPDX-License-Identifier: Apache-2.0 */
/* Extended attributes, through the /proc/self/fd magic link of the inode's
 * O_PATH fd (the f*xattr calls refuse O_PATH fds). */
#include "fuse/fuse_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/xattr.h>

#ifndef XATTR_NAME_MAX
#define XATTR_NAME_MAX 255
#endif
#ifndef XATTR_SIZE_MAX
#define XATTR_SIZE_MAX 65536
#endif
#ifndef XATTR_LIST_MAX
#define XATTR_LIST_MAX 65536
#endif

struct xattr_target {
	struct fuse_inode *inode;
	char path[32];
};

/* A symlink's magic link cannot be used without following it, and the
 * link's own xattrs are not worth an escape risk: symlinks have none. */
static int get_target(struct fuse_op *op, struct xattr_target *t)
{
	int rc;
	t->inode = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!t->inode)
		return rc;
	snprintf(t->path, sizeof(t->path), "/proc/self/fd/%d", t->inode->fd);
	return 0;
}

static void put_target(struct fuse_op *op, struct xattr_target *t)
{
	inode_put(&op->s->inodes, t->inode);
}

static int read_xattr_name(struct fuse_op *op, char name[XATTR_NAME_MAX + 1])
{
	long len = fuse_read_string(op->in, name, XATTR_NAME_MAX);
	if (len == FUSE_STR_TOO_LONG)
		return -ERANGE; /* what setxattr(2) says about a too long name */
	if (len < 0)
		return -EINVAL;
	return len == 0 ? -EINVAL : 0;
}

int fuse_op_setxattr(struct fuse_op *op)
{
	/* FUSE_SETXATTR_EXT is not negotiated: the short form of the args. */
	struct fuse_setxattr_in in = {0};
	char name[XATTR_NAME_MAX + 1];
	int rc = fuse_arg(op, &in, FUSE_COMPAT_SETXATTR_IN_SIZE);
	if (rc || (rc = read_xattr_name(op, name)))
		return rc;
	if (in.size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (in.flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	char *value = malloc(in.size ? in.size : 1);
	if (!value)
		return -ENOMEM;
	struct xattr_target t;
	if (!fuse_read(op->in, value, in.size))
		rc = -EINVAL;
	else
		rc = get_target(op, &t);
	if (rc == 0) {
		if (S_ISLNK(t.inode->type))
			rc = -EPERM;
		else if (setxattr(t.path, name, value, in.size, (int)in.flags) < 0)
			rc = -errno;
		put_target(op, &t);
	}
	free(value);
	return rc;
}

/* GETXATTR and LISTXATTR share their shape: size 0 asks for the length,
 * otherwise for the data, ERANGE if it does not fit. */
static int reply_sized(struct fuse_op *op, uint32_t size, const char *path, const char *name,
		       size_t max)
{
	if (size == 0) {
		ssize_t r = name ? getxattr(path, name, NULL, 0) : listxattr(path, NULL, 0);
		if (r < 0)
			return -errno;
		struct fuse_getxattr_out out = {.size = (uint32_t)r};
		return fuse_reply(op, &out, sizeof(out));
	}
	size_t cap = size < max ? size : max;
	if (cap > fuse_writer_space(op->out))
		cap = fuse_writer_space(op->out);
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOMEM;
	ssize_t r = name ? getxattr(path, name, buf, cap) : listxattr(path, buf, cap);
	int rc = r < 0 ? -errno : fuse_reply(op, buf, (size_t)r);
	free(buf);
	return rc;
}

int fuse_op_getxattr(struct fuse_op *op)
{
	struct fuse_getxattr_in in;
	char name[XATTR_NAME_MAX + 1];
	struct xattr_target t;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = read_xattr_name(op, name)) || (rc = get_target(op, &t)))
		return rc;
	rc = S_ISLNK(t.inode->type) ? -ENODATA
				    : reply_sized(op, in.size, t.path, name, XATTR_SIZE_MAX);
	put_target(op, &t);
	return rc;
}

int fuse_op_listxattr(struct fuse_op *op)
{
	struct fuse_getxattr_in in;
	struct xattr_target t;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = get_target(op, &t)))
		return rc;
	if (S_ISLNK(t.inode->type)) {
		struct fuse_getxattr_out out = {0};
		rc = in.size == 0 ? fuse_reply(op, &out, sizeof(out)) : 0;
	} else {
		rc = reply_sized(op, in.size, t.path, NULL, XATTR_LIST_MAX);
	}
	put_target(op, &t);
	return rc;
}

int fuse_op_removexattr(struct fuse_op *op)
{
	char name[XATTR_NAME_MAX + 1];
	struct xattr_target t;
	int rc = read_xattr_name(op, name);
	if (rc || (rc = get_target(op, &t)))
		return rc;
	if (S_ISLNK(t.inode->type))
		rc = -EPERM;
	else if (removexattr(t.path, name) < 0)
		rc = -errno;
	put_target(op, &t);
	return rc;
}
