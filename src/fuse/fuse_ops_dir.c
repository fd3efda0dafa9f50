/* SPDX-License-Identifier: Apache-2.0 */
/* Directory handles and listings (READDIR, READDIRPLUS). */
#include "fuse/fuse_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GETDENTS_BUF (32 * 1024)

int fuse_op_opendir(struct fuse_op *op)
{
	struct fuse_server *s = op->s;
	struct fuse_open_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	struct fuse_inode *i = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!i)
		return rc;
	int fd = S_ISDIR(i->type) ? fuse_reopen(s, i->fd, O_RDONLY | O_DIRECTORY) : -ENOTDIR;
	uint64_t nodeid = i->nodeid;
	inode_put(&s->inodes, i);
	if (fd < 0)
		return fd;
	struct fuse_open_out out = {.fh = handle_add(&s->handles, fd, nodeid, true)};
	if (out.fh == 0)
		return -errno; /* ENFILE at the fd quota */
	rc = fuse_reply(op, &out, sizeof(out));
	if (rc)
		handle_remove(&s->handles, out.fh, true);
	return rc;
}

struct listing {
	struct fuse_server *s;
	struct fuse_inode *dir; /* READDIRPLUS only */
	char *buf;
	size_t size;
	size_t used;
};

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Appends one entry; false when it does not fit (the guest asks again from
 * the previous entry's offset). */
static bool add_entry(struct listing *l, const struct dirent64 *d)
{
	size_t namelen = strlen(d->d_name);
	size_t head = l->dir ? offsetof(struct fuse_direntplus, dirent) : 0;
	size_t len = FUSE_DIRENT_ALIGN(head + FUSE_NAME_OFFSET + namelen);
	if (len > l->size - l->used)
		return false;
	char *p = l->buf + l->used;
	memset(p, 0, len);
	struct fuse_entry_out e = {0};
	if (l->dir) {
		/* nodeid 0 tells the guest "no entry attached": for "." and
		 * "..", and for a name that vanished since getdents. The
		 * lookup runs only once the entry is known to fit, so no
		 * nlookup is ever taken for an entry not sent. */
		if (!is_dot_or_dotdot(d->d_name) && fuse_lookup_name(l->s, l->dir, d->d_name, &e))
			memset(&e, 0, sizeof(e));
		memcpy(p, &e, sizeof(e));
	}
	struct fuse_dirent de = {.ino = d->d_ino,
				 .off = (uint64_t)d->d_off,
				 .namelen = (uint32_t)namelen,
				 .type = d->d_type};
	/* A regular host file may be the guest's device, FIFO or socket
	 * (virtual ownership): the type comes from the entry's attributes,
	 * and without them the guest must stat to know. */
	if (e.nodeid != 0)
		de.type = (e.attr.mode & S_IFMT) >> 12;
	else if (l->s->virtual_owner && d->d_type == DT_REG)
		de.type = DT_UNKNOWN;
	memcpy(p + head, &de, FUSE_NAME_OFFSET);
	memcpy(p + head + FUSE_NAME_OFFSET, d->d_name, namelen);
	l->used += len;
	return true;
}

/* Sends entries from the handle's read-ahead, refilling it from the
 * stream, until the reply is full or the directory ends. Called with
 * h->dir_lock held. */
static int fill_listing(struct listing *l, struct fuse_handle *h, uint64_t offset)
{
	/* Offset 0 is a rewind; any offset but the one we would go on from
	 * is a seek. Both drop the read-ahead. */
	if (offset == 0 || offset != h->dir_next) {
		if (lseek(h->fd, (off_t)offset, SEEK_SET) < 0)
			return -errno;
		h->dir_len = h->dir_pos = 0;
		h->dir_next = offset;
	}
	if (!h->dir_buf && !(h->dir_buf = malloc(GETDENTS_BUF)))
		return -ENOMEM;
	for (;;) {
		if (h->dir_pos == h->dir_len) {
			ssize_t n = getdents64(h->fd, h->dir_buf, GETDENTS_BUF);
			if (n < 0)
				return l->used == 0 ? -errno : 0;
			h->dir_len = (size_t)n;
			h->dir_pos = 0;
			if (n == 0)
				return 0;
		}
		const struct dirent64 *d = (const struct dirent64 *)(h->dir_buf + h->dir_pos);
		if (!add_entry(l, d))
			return 0; /* stays in the read-ahead for the next READDIR */
		h->dir_next = (uint64_t)d->d_off;
		h->dir_pos += d->d_reclen;
	}
}

static int read_dir(struct fuse_op *op, bool plus)
{
	struct fuse_server *s = op->s;
	struct fuse_read_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	if (in.offset > INT64_MAX)
		return -EINVAL;
	struct fuse_handle *h = handle_get(&s->handles, in.fh, true);
	if (!h)
		return -EBADF;
	struct listing l = {.s = s, .size = in.size};
	if (l.size > FUSE_MAX_READ_SIZE)
		l.size = FUSE_MAX_READ_SIZE;
	if (l.size > fuse_writer_space(op->out))
		l.size = fuse_writer_space(op->out);
	if (plus && !(l.dir = inode_get(&s->inodes, h->nodeid)))
		rc = -EBADF;
	if (rc == 0 && l.size > 0 && !(l.buf = malloc(l.size)))
		rc = -ENOMEM;
	if (rc == 0 && l.size > 0) {
		pthread_mutex_lock(&h->dir_lock);
		rc = fill_listing(&l, h, in.offset);
		pthread_mutex_unlock(&h->dir_lock);
	}
	if (rc == 0)
		rc = fuse_reply(op, l.buf, l.used);
	free(l.buf);
	inode_put(&s->inodes, l.dir);
	handle_put(&s->handles, h);
	return rc;
}

int fuse_op_readdir(struct fuse_op *op)
{
	return read_dir(op, false);
}

int fuse_op_readdirplus(struct fuse_op *op)
{
	return read_dir(op, true);
}

int fuse_op_releasedir(struct fuse_op *op)
{
	struct fuse_release_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	return handle_remove(&op->s->handles, in.fh, true) ? 0 : -EBADF;
}

int fuse_op_fsyncdir(struct fuse_op *op)
{
	struct fuse_fsync_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	struct fuse_handle *h = handle_get(&op->s->handles, in.fh, true);
	if (!h)
		return -EBADF;
	int r = (in.fsync_flags & FUSE_FSYNC_FDATASYNC) ? fdatasync(h->fd) : fsync(h->fd);
	rc = r < 0 ? -errno : 0;
	handle_put(&op->s->handles, h);
	return rc;
}
