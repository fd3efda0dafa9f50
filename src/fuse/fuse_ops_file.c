/* SPDX-License-Identifier: Apache-2.0 */
/* Open regular files and their I/O. Data moves between host fds and guest
 * memory with preadv/pwritev straight on the request's iovecs: no copy
 * through a bounce buffer. */
#include "fuse/fuse_internal.h"
#include "util/override_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* What of the guest's open flags reaches the host. O_DIRECT is dropped
 * (guest buffers need not meet the host's alignment), O_ASYNC would send
 * SIGIO to the VMM, and the path-resolution flags make no sense on a
 * reopened inode. */
static int open_flags(const struct fuse_server *s, uint32_t guest_flags, int *flags)
{
	int f = (int)guest_flags;
	int acc = f & O_ACCMODE;
	if (acc == O_ACCMODE)
		return -EINVAL;
	if (s->read_only && (acc != O_RDONLY || (f & O_TRUNC)))
		return -EROFS;
	*flags = f & (O_ACCMODE | O_APPEND | O_TRUNC | O_NONBLOCK | O_SYNC | O_DSYNC | O_NOATIME);
	return 0;
}

/* Only regular files are opened through FUSE: the guest kernel opens its
 * own FIFOs and device nodes, and a host FIFO or device must never be
 * opened on the guest's behalf. */
static int check_regular(mode_t type)
{
	if (S_ISREG(type))
		return 0;
	if (S_ISDIR(type))
		return -EISDIR;
	if (S_ISLNK(type))
		return -ELOOP;
	return -ENXIO;
}

/* Every file handle asks the guest not to send FLUSH at close(): data is
 * written through at WRITE, no POSIX locks are offered, so FLUSH has
 * nothing to do, and each one would cost close() a synchronous round trip
 * (a quarter of the requests of creating a small file). */
#define OPEN_REPLY_FLAGS FOPEN_NOFLUSH

int fuse_op_open(struct fuse_op *op)
{
	struct fuse_server *s = op->s;
	struct fuse_open_in in;
	int flags;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = open_flags(s, in.flags, &flags)))
		return rc;
	struct fuse_inode *i = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!i)
		return rc;
	int fd = (rc = check_regular(i->type)) ? rc : fuse_reopen(s, i->fd, flags);
	uint64_t nodeid = i->nodeid;
	inode_put(&s->inodes, i);
	if (fd < 0)
		return fd;
	struct fuse_open_out out = {.fh = handle_add(&s->handles, fd, nodeid, false),
				    .open_flags = OPEN_REPLY_FLAGS};
	if (out.fh == 0)
		return -errno; /* ENFILE at the fd quota */
	rc = fuse_reply(op, &out, sizeof(out));
	if (rc)
		handle_remove(&s->handles, out.fh, false);
	return rc;
}

/* Opens name in parent for CREATE. *created tells whether we made it (and
 * so own its mode). Returns the I/O fd and its O_PATH twin in *path_fd. */
static int create_open(struct fuse_op *op, struct fuse_inode *parent, const char *name, int flags,
		       bool excl, mode_t mode, int *path_fd, bool *created)
{
	struct fuse_server *s = op->s;
	struct fuse_creds creds;
	int rc = fuse_creds_enter(op, &creds);
	if (rc)
		return rc;
	/* O_EXCL first, so that we know whether the file is new; O_NOFOLLOW
	 * so that a symlink planted at name is never created through. */
	int fd = fuse_open_beneath(parent->fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
	rc = fd < 0 ? -errno : 0;
	fuse_creds_leave(&creds);
	*created = fd >= 0;
	if (fd >= 0) {
		char fdname[16];
		fuse_fd_name(fdname, fd);
		*path_fd = openat(s->proc_self_fd, fdname, O_PATH | O_CLOEXEC);
		if (*path_fd < 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
		return fd;
	}
	if (rc != -EEXIST || excl)
		return rc;
	/* It exists and the guest did not ask for O_EXCL: open it like OPEN,
	 * after checking what it is without following it. */
	*path_fd = fuse_open_beneath(parent->fd, name, O_PATH | O_NOFOLLOW, 0);
	if (*path_fd < 0)
		return -errno;
	struct stat st;
	rc = fstatat(*path_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0
		 ? -errno
		 : check_regular(st.st_mode & S_IFMT);
	fd = rc ? rc : fuse_reopen(s, *path_fd, flags);
	if (fd < 0)
		close(*path_fd);
	return fd;
}

int fuse_op_create(struct fuse_op *op)
{
	struct fuse_server *s = op->s;
	struct fuse_create_in in;
	char name[NAME_MAX + 1];
	int flags;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = fuse_read_name(op, name)) || (rc = open_flags(s, in.flags, &flags)))
		return rc;
	if ((in.mode & S_IFMT) != 0 && (in.mode & S_IFMT) != S_IFREG)
		return -EINVAL;
	struct fuse_inode *parent = fuse_get_inode(op, op->hdr->nodeid, &rc);
	if (!parent)
		return rc;
	mode_t mode = in.mode & 07777;
	struct override_stat o;
	if (s->virtual_owner) {
		rc = fuse_virt_new_owner(op, parent, S_IFREG | mode, &o);
		mode = override_host_mode(mode, false);
	}
	int path_fd = -1;
	bool created = false;
	int fd = rc ? rc
		    : create_open(op, parent, name, flags, in.flags & O_EXCL, mode, &path_fd,
				  &created);
	if (fd < 0) {
		inode_put(&s->inodes, parent);
		return fd;
	}
	if (created && s->virtual_owner) {
		/* Without its override the file would show the host's
		 * owner: the guest gets the error and no file. */
		rc = fuse_virt_set(path_fd, S_IFREG, &o);
		if (rc) {
			close(fd);
			close(path_fd);
			unlinkat(parent->fd, name, 0);
			inode_put(&s->inodes, parent);
			return rc;
		}
	} else if (created) {
		fuse_restore_mode(s, path_fd, mode);
	}
	struct {
		struct fuse_entry_out entry;
		struct fuse_open_out open;
	} out = {0};
	rc = fuse_lookup_fd_set(s, path_fd, created && s->virtual_owner ? &o : NULL, &out.entry);
	if (rc) {
		close(fd);
	} else {
		out.open.fh = handle_add(&s->handles, fd, out.entry.nodeid, false);
		out.open.open_flags = OPEN_REPLY_FLAGS;
		rc = out.open.fh ? fuse_reply(op, &out, sizeof(out)) : -errno;
		if (rc) {
			if (out.open.fh)
				handle_remove(&s->handles, out.open.fh, false);
			inode_forget(&s->inodes, out.entry.nodeid, 1);
		}
	}
	/* At an fd quota (ENFILE) the guest learns nothing of the file, so a
	 * file made just now must not stay behind as a surprise. The guest
	 * holds the directory locked during CREATE: no request of its own can
	 * have found the name meanwhile. */
	if (rc == -ENFILE && created)
		unlinkat(parent->fd, name, 0);
	inode_put(&s->inodes, parent);
	return rc;
}

static int get_file(struct fuse_op *op, uint64_t fh, struct fuse_handle **h)
{
	*h = handle_get(&op->s->handles, fh, false);
	return *h ? 0 : -EBADF;
}

/* Moves an iovec array forward by done bytes. */
static void iov_consume(struct iovec **iov, int *n, size_t done)
{
	while (*n > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n > 0 && done) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

/* A short READ means end of file to the guest, so keep reading until the
 * host says so too. Returns bytes moved or -errno if none were. */
static ssize_t io_full(int fd, struct iovec *iov, int n, off_t off, size_t len, bool write)
{
	size_t done = 0;
	while (done < len) {
		int chunk = n < FUSE_MAX_IOVS ? n : FUSE_MAX_IOVS;
		ssize_t r = write ? pwritev(fd, iov, chunk, off + (off_t)done)
				  : preadv(fd, iov, chunk, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return done ? (ssize_t)done : -errno;
		if (r == 0)
			break;
		done += (size_t)r;
		iov_consume(&iov, &n, (size_t)r);
	}
	return (ssize_t)done;
}

int fuse_op_read(struct fuse_op *op)
{
	struct fuse_read_in in;
	struct fuse_handle *h;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = get_file(op, in.fh, &h)))
		return rc;
	size_t size = in.size;
	size_t space = fuse_writer_space(op->out);
	if (size > FUSE_MAX_READ_SIZE)
		size = FUSE_MAX_READ_SIZE;
	if (size > space)
		size = space;
	struct iovec iov[FUSE_MAX_IOVS];
	int n = fuse_writer_iov(op->out, size, iov, FUSE_MAX_IOVS);
	if (in.offset > INT64_MAX)
		rc = -EINVAL;
	else if (n < 0)
		rc = -EIO; /* reply buffers split into absurdly many pieces */
	if (rc == 0) {
		ssize_t got = io_full(h->fd, iov, n, (off_t)in.offset, size, false);
		if (got < 0) {
			rc = (int)got;
		} else {
			fuse_writer_advance(op->out, (size_t)got);
			atomic_fetch_add_explicit(&op->s->read_bytes, (uint64_t)got,
						  memory_order_relaxed);
		}
	}
	handle_put(&op->s->handles, h);
	return rc;
}

int fuse_op_write(struct fuse_op *op)
{
	struct fuse_write_in in;
	struct fuse_handle *h;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = get_file(op, in.fh, &h)))
		return rc;
	struct iovec iov[FUSE_MAX_IOVS];
	/* size must describe bytes that are really in the request. */
	int n = fuse_reader_iov(op->in, in.size, iov, FUSE_MAX_IOVS);
	if (in.offset > INT64_MAX || n < 0 || in.size > op->s->max_write)
		rc = -EINVAL;
	struct fuse_write_out out = {0};
	if (rc == 0) {
		ssize_t put = io_full(h->fd, iov, n, (off_t)in.offset, in.size, true);
		if (put < 0) {
			rc = (int)put;
		} else {
			out.size = (uint32_t)put;
			atomic_fetch_add_explicit(&op->s->write_bytes, (uint64_t)put,
						  memory_order_relaxed);
		}
	}
	handle_put(&op->s->handles, h);
	return rc ? rc : fuse_reply(op, &out, sizeof(out));
}

int fuse_op_release(struct fuse_op *op)
{
	struct fuse_release_in in;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	return handle_remove(&op->s->handles, in.fh, false) ? 0 : -EBADF;
}

int fuse_op_flush(struct fuse_op *op)
{
	struct fuse_flush_in in;
	struct fuse_handle *h;
	/* Data is written through at WRITE and we take no POSIX locks, so a
	 * close() in the guest has nothing left to flush (and with
	 * FOPEN_NOFLUSH a Linux 5.16+ guest does not ask). */
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = get_file(op, in.fh, &h)))
		return rc;
	handle_put(&op->s->handles, h);
	return 0;
}

int fuse_op_fsync(struct fuse_op *op)
{
	struct fuse_fsync_in in;
	struct fuse_handle *h;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc || (rc = get_file(op, in.fh, &h)))
		return rc;
	int r = (in.fsync_flags & FUSE_FSYNC_FDATASYNC) ? fdatasync(h->fd) : fsync(h->fd);
	rc = r < 0 ? -errno : 0;
	handle_put(&op->s->handles, h);
	return rc;
}

int fuse_op_fallocate(struct fuse_op *op)
{
	struct fuse_fallocate_in in;
	struct fuse_handle *h;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	/* The modes the Linux FUSE client forwards. */
	if (in.mode &
	    ~(uint32_t)(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	uint64_t end;
	if (in.offset > INT64_MAX || in.length > INT64_MAX ||
	    __builtin_add_overflow(in.offset, in.length, &end) || end > INT64_MAX)
		return -EFBIG;
	if ((rc = get_file(op, in.fh, &h)))
		return rc;
	rc = fallocate(h->fd, (int)in.mode, (off_t)in.offset, (off_t)in.length) < 0 ? -errno : 0;
	handle_put(&op->s->handles, h);
	return rc;
}

int fuse_op_lseek(struct fuse_op *op)
{
	struct fuse_lseek_in in;
	struct fuse_handle *h;
	int rc = fuse_arg(op, &in, sizeof(in));
	if (rc)
		return rc;
	if (in.offset > INT64_MAX || (in.whence != SEEK_SET && in.whence != SEEK_END &&
				      in.whence != SEEK_DATA && in.whence != SEEK_HOLE))
		return -EINVAL;
	if ((rc = get_file(op, in.fh, &h)))
		return rc;
	/* The fd's position is never used for I/O (all I/O is positional),
	 * so moving it here disturbs nothing. */
	off_t r = lseek(h->fd, (off_t)in.offset, (int)in.whence);
	rc = r < 0 ? -errno : 0;
	handle_put(&op->s->handles, h);
	struct fuse_lseek_out out = {.offset = (uint64_t)r};
	return rc ? rc : fuse_reply(op, &out, sizeof(out));
}
