/* SPDX-License-Identifier: Apache-2.0 */
#include "fuse/fuse_req.h"

#include <stdint.h>
#include <string.h>

bool fuse_iov_total(const struct iovec *iov, int n, size_t *total)
{
	size_t sum = 0;
	if (n < 0 || (n > 0 && iov == NULL))
		return false;
	for (int i = 0; i < n; i++)
		if (__builtin_add_overflow(sum, iov[i].iov_len, &sum))
			return false;
	*total = sum;
	return true;
}

/* Moves a cursor (idx, off) forward by len bytes across iovecs; the caller
 * has checked that len bytes exist. Calls `fn` for each contiguous piece. */
typedef void piece_fn(void *ctx, char *base, size_t len);

static void walk(const struct iovec *iov, int n, int *idx, size_t *off, size_t len, piece_fn *fn,
		 void *ctx)
{
	while (len > 0 && *idx < n) {
		size_t avail = iov[*idx].iov_len - *off;
		size_t take = avail < len ? avail : len;
		if (take > 0 && fn)
			fn(ctx, (char *)iov[*idx].iov_base + *off, take);
		*off += take;
		len -= take;
		if (*off == iov[*idx].iov_len) {
			(*idx)++;
			*off = 0;
		}
	}
}

void fuse_reader_init(struct fuse_reader *r, const struct iovec *iov, int n, size_t limit)
{
	*r = (struct fuse_reader){.iov = iov, .n = n, .remaining = limit};
}

struct copy_ctx {
	char *p;
};

static void copy_out(void *ctx, char *base, size_t len)
{
	struct copy_ctx *c = ctx;
	memcpy(c->p, base, len);
	c->p += len;
}

static void copy_in(void *ctx, char *base, size_t len)
{
	struct copy_ctx *c = ctx;
	memcpy(base, c->p, len);
	c->p += len;
}

bool fuse_read(struct fuse_reader *r, void *dst, size_t len)
{
	if (len > r->remaining)
		return false;
	struct copy_ctx c = {.p = dst};
	walk(r->iov, r->n, &r->idx, &r->off, len, copy_out, &c);
	r->remaining -= len;
	return true;
}

bool fuse_skip(struct fuse_reader *r, size_t len)
{
	if (len > r->remaining)
		return false;
	walk(r->iov, r->n, &r->idx, &r->off, len, NULL, NULL);
	r->remaining -= len;
	return true;
}

long fuse_read_string(struct fuse_reader *r, char *buf, size_t max_len)
{
	/* The guest can rewrite its buffers while we parse them (another vCPU),
	 * so the bytes are copied out once and only the copy is scanned: a scan
	 * of guest memory followed by a second copy could see a terminator that
	 * the copy no longer has. buf holds max_len + 1 bytes. */
	size_t want = r->remaining < max_len + 1 ? r->remaining : max_len + 1;
	struct fuse_reader probe = *r;
	if (!fuse_read(&probe, buf, want))
		return FUSE_STR_UNTERMINATED;
	const char *nul = memchr(buf, '\0', want);
	if (nul == NULL)
		return want == max_len + 1 ? FUSE_STR_TOO_LONG : FUSE_STR_UNTERMINATED;
	size_t len = (size_t)(nul - buf);
	/* Consume exactly the string and its NUL; what follows stays unread. */
	fuse_skip(r, len + 1);
	return (long)len;
}

static int describe(const struct iovec *iov, int n, int idx, size_t off, size_t len,
		    struct iovec *dst, int max)
{
	int count = 0;
	while (len > 0) {
		if (idx >= n)
			return -1;
		size_t avail = iov[idx].iov_len - off;
		size_t take = avail < len ? avail : len;
		if (take > 0) {
			if (count == max)
				return -1;
			dst[count].iov_base = (char *)iov[idx].iov_base + off;
			dst[count].iov_len = take;
			count++;
		}
		len -= take;
		idx++;
		off = 0;
	}
	return count;
}

int fuse_reader_iov(const struct fuse_reader *r, size_t len, struct iovec *dst, int max)
{
	if (len > r->remaining)
		return -1;
	return describe(r->iov, r->n, r->idx, r->off, len, dst, max);
}

void fuse_writer_init(struct fuse_writer *w, const struct iovec *iov, int n, size_t capacity)
{
	*w = (struct fuse_writer){.iov = iov, .n = n, .capacity = capacity};
}

size_t fuse_writer_space(const struct fuse_writer *w)
{
	return w->capacity - w->used;
}

bool fuse_write(struct fuse_writer *w, const void *src, size_t len)
{
	if (len > fuse_writer_space(w))
		return false;
	struct copy_ctx c = {.p = (char *)src};
	walk(w->iov, w->n, &w->idx, &w->off, len, copy_in, &c);
	w->used += len;
	return true;
}

bool fuse_write_at(struct fuse_writer *w, size_t pos, const void *src, size_t len)
{
	size_t end;
	if (__builtin_add_overflow(pos, len, &end) || end > w->used)
		return false;
	int idx = 0;
	size_t off = 0;
	walk(w->iov, w->n, &idx, &off, pos, NULL, NULL);
	struct copy_ctx c = {.p = (char *)src};
	walk(w->iov, w->n, &idx, &off, len, copy_in, &c);
	return true;
}

int fuse_writer_iov(const struct fuse_writer *w, size_t len, struct iovec *dst, int max)
{
	if (len > fuse_writer_space(w))
		return -1;
	return describe(w->iov, w->n, w->idx, w->off, len, dst, max);
}

bool fuse_writer_advance(struct fuse_writer *w, size_t len)
{
	if (len > fuse_writer_space(w))
		return false;
	walk(w->iov, w->n, &w->idx, &w->off, len, NULL, NULL);
	w->used += len;
	return true;
}
