/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Safe parsing of a FUSE request and building of its reply over scattered
 * iovecs. Every read is bounded by the bytes the request really has; every
 * write by the space the reply really has. Nothing here trusts a length
 * that came from the guest.
 */
#ifndef MVM_FUSE_REQ_H
#define MVM_FUSE_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* A cursor over the request bytes. */
struct fuse_reader {
	const struct iovec *iov;
	int n;
	int idx;	  /* current iovec */
	size_t off;	  /* offset inside iov[idx] */
	size_t remaining; /* bytes left that the request may still consume */
};

/* A cursor over the reply space. */
struct fuse_writer {
	const struct iovec *iov;
	int n;
	int idx;
	size_t off;
	size_t used;	 /* bytes written so far */
	size_t capacity; /* total bytes of all iovecs */
};

/* Sum of iov lengths into *total; false on overflow or a negative count. */
bool fuse_iov_total(const struct iovec *iov, int n, size_t *total);

void fuse_reader_init(struct fuse_reader *r, const struct iovec *iov, int n, size_t limit);
/* Copies exactly len bytes; false (nothing consumed) if fewer remain. */
bool fuse_read(struct fuse_reader *r, void *dst, size_t len);
/* Skips len bytes; false if fewer remain. */
bool fuse_skip(struct fuse_reader *r, size_t len);
/* Copies a NUL-terminated string of at most max_len bytes (excluding the
 * NUL) into buf (size max_len + 1). Returns its length, FUSE_STR_UNTERMINATED
 * if the request ends before a NUL, or FUSE_STR_TOO_LONG past max_len. */
#define FUSE_STR_UNTERMINATED (-1)
#define FUSE_STR_TOO_LONG (-2)
long fuse_read_string(struct fuse_reader *r, char *buf, size_t max_len);
/* Describes the next len request bytes as iovecs (without consuming them),
 * for pwritev straight from guest memory. Returns the count, or -1 if fewer
 * than len bytes remain or more than max iovecs would be needed. */
int fuse_reader_iov(const struct fuse_reader *r, size_t len, struct iovec *dst, int max);

void fuse_writer_init(struct fuse_writer *w, const struct iovec *iov, int n, size_t capacity);
size_t fuse_writer_space(const struct fuse_writer *w);
/* Appends len bytes; false (nothing written) if they do not fit. */
bool fuse_write(struct fuse_writer *w, const void *src, size_t len);
/* Writes len bytes at absolute reply offset pos (pos + len <= used). */
bool fuse_write_at(struct fuse_writer *w, size_t pos, const void *src, size_t len);
/* Describes the next len bytes of reply space as iovecs (for preadv
 * straight into guest memory). Returns the count, or -1 as above. */
int fuse_writer_iov(const struct fuse_writer *w, size_t len, struct iovec *dst, int max);
/* Marks len bytes, filled through fuse_writer_iov(), as written. */
bool fuse_writer_advance(struct fuse_writer *w, size_t len);

#endif
