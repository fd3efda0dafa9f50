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
	fuse_proc_path(t->path, t->inode->fd);
	return 0;
}

static void put_target(struct fuse_op *op, struct xattr_target *t)
{
	inode_put(&op->s->inodes, t->inode);
}

/* Reads the guest's name and maps it to the host's (fuse_virt.c). */
static int read_xattr_name(struct fuse_op *op, char host[XATTR_NAME_MAX + 1])
{
	char name[XATTR_NAME_MAX + 1];
	long len = fuse_read_string(op->in, name, XATTR_NAME_MAX);
	if (len == FUSE_STR_TOO_LONG)
		return -ERANGE; /* what setxattr(2) says about a too long name */
	if (len <= 0)
		return -EINVAL;
	return fuse_xattr_host_name(op->s, name, host, XATTR_NAME_MAX + 1);
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

int fuse_op_getxattr(struct fuse_op *op)
{
	struct fuse_getxattr_in in;
	char name[XATTR_NAME_MAX + 1];
	struct xattr_target t;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = read_xattr_name(op, name)) || (rc = get_target(op, &t)))
		return rc == -EPERM ? -ENODATA : rc; /* reserved names: "not there" */
	if (S_ISLNK(t.inode->type)) {
		rc = -ENODATA;
	} else if (in.size == 0) {
		/* size 0 asks for the length. */
		ssize_t r = getxattr(t.path, name, NULL, 0);
		struct fuse_getxattr_out out = {.size = (uint32_t)r};
		rc = r < 0 ? -errno : fuse_reply(op, &out, sizeof(out));
	} else {
		size_t cap = in.size < XATTR_SIZE_MAX ? in.size : XATTR_SIZE_MAX;
		if (cap > fuse_writer_space(op->out))
			cap = fuse_writer_space(op->out);
		char *buf = malloc(cap ? cap : 1);
		ssize_t r = buf ? getxattr(t.path, name, buf, cap) : -1;
		rc = !buf ? -ENOMEM : r < 0 ? -errno : fuse_reply(op, buf, (size_t)r);
		free(buf);
	}
	put_target(op, &t);
	return rc;
}

/* The whole host list, rewritten into the guest's. Returns its length or
 * -errno; *list is malloc'ed. */
static ssize_t guest_list(struct fuse_op *op, const char *path, char **list)
{
	*list = malloc(XATTR_LIST_MAX);
	if (!*list)
		return -ENOMEM;
	ssize_t r = listxattr(path, *list, XATTR_LIST_MAX);
	if (r < 0)
		return errno == ERANGE ? -E2BIG : -errno;
	return (ssize_t)fuse_xattr_guest_list(op->s, *list, (size_t)r);
}

int fuse_op_listxattr(struct fuse_op *op)
{
	struct fuse_getxattr_in in;
	struct xattr_target t;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = get_target(op, &t)))
		return rc;
	char *list = NULL;
	/* Symlinks have none; size 0 asks for the length, otherwise the
	 * list must fit what the guest offered (ERANGE). */
	ssize_t len = S_ISLNK(t.inode->type) ? 0 : guest_list(op, t.path, &list);
	if (len < 0) {
		rc = (int)len;
	} else if (in.size == 0) {
		struct fuse_getxattr_out out = {.size = (uint32_t)len};
		rc = fuse_reply(op, &out, sizeof(out));
	} else if ((size_t)len > in.size) {
		rc = -ERANGE;
	} else {
		rc = fuse_reply(op, list, (size_t)len);
	}
	free(list);
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
