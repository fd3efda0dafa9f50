/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test harness for the FUSE server: a fresh mkdtemp() share per test, and
 * helpers that build real FUSE requests in memory, pass them split over
 * several iovecs like a virtio descriptor chain would, and decode replies.
 * Header-only so each test_fuse_*.c binary stays self-contained.
 */
#ifndef MVM_TEST_FUSE_HARNESS_H
#define MVM_TEST_FUSE_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuse/fuse_internal.h"
#include "fuse/fuse_server.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fx {
	char base[64]; /* mkdtemp dir: holds share/ and outside/ */
	char root[96]; /* the shared directory */
	char outside[96];
	struct fuse_server *s;
	uint64_t unique;
	size_t in_chunk; /* split requests into iovecs of this size (0: one iovec) */
};

struct part {
	const void *p;
	size_t len;
};

struct reply {
	struct fuse_out_header oh;
	ssize_t ret;
	unsigned char body[256 * 1024];
	size_t body_len;
};

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fx_path(const struct fx *f, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->root, rel);
}

static inline void fx_write_host(const struct fx *f, const char *rel, const char *data)
{
	char p[256];
	fx_path(f, rel, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static inline void fx_raw_init(struct fx *f, uint32_t major, uint32_t minor, uint32_t flags,
			       struct reply *r);

/* The existing tests assert passthrough behaviour whoever runs them; the
 * virtual-ownership tests pick MVM_SHARE_VIRTUAL. */
static inline int fx_setup_mode(void **state, bool read_only, bool init, mvm_share_mode mode)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->base, "/tmp/mvm-fuse-test-XXXXXX");
	assert_non_null(mkdtemp(f->base));
	snprintf(f->root, sizeof(f->root), "%s/share", f->base);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
	assert_int_equal(mkdir(f->root, 0755), 0);
	assert_int_equal(mkdir(f->outside, 0755), 0);
	char secret[160];
	snprintf(secret, sizeof(secret), "%s/secret", f->outside);
	int fd = open(secret, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "TOPSECRET", 9), 9);
	close(fd);
	struct fuse_server_opts o = {
	    .root_dir = f->root, .read_only = read_only, .share_mode = mode};
	mvm_error *err = NULL;
	f->s = fuse_server_new(&o, &err);
	if (!f->s)
		fail_msg("fuse_server_new: %s", mvm_error_get_message(err));
	f->in_chunk = 0;
	if (init) {
		struct reply *r = malloc(sizeof(*r));
		fx_raw_init(f, 7, 38, FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES, r);
		assert_int_equal(r->oh.error, 0);
		free(r);
	}
	*state = f;
	return 0;
}

static inline int fx_setup_opts(void **state, bool read_only, bool init)
{
	return fx_setup_mode(state, read_only, init, MVM_SHARE_PASSTHROUGH);
}

static inline int fx_setup(void **state)
{
	return fx_setup_opts(state, false, true);
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;
	fuse_server_free(f->s);
	nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Sends header + parts; the request is split into f->in_chunk-sized
 * iovecs, the reply space into a 16-byte header iovec and the rest. */
static inline void fx_send_raw(struct fx *f, const void *req, size_t req_len, size_t reply_cap,
			       struct reply *r)
{
	struct iovec in[512];
	int n_in = 0;
	size_t chunk = f->in_chunk ? f->in_chunk : req_len;
	for (size_t off = 0; off < req_len && n_in < 512; off += chunk) {
		size_t len = req_len - off < chunk ? req_len - off : chunk;
		in[n_in++] = (struct iovec){(char *)req + off, len};
	}
	unsigned char *out = malloc(reply_cap + 1);
	assert_non_null(out);
	struct iovec ov[2];
	int n_out = 0;
	if (reply_cap > 0) {
		size_t first = reply_cap < 16 ? reply_cap : 16;
		ov[n_out++] = (struct iovec){out, first};
		if (reply_cap > first)
			ov[n_out++] = (struct iovec){out + first, reply_cap - first};
	}
	memset(r, 0, offsetof(struct reply, body));
	r->ret = fuse_server_handle(f->s, in, n_in, ov, n_out);
	r->body_len = 0;
	if (r->ret >= (ssize_t)sizeof(r->oh)) {
		memcpy(&r->oh, out, sizeof(r->oh));
		assert_int_equal(r->oh.len, (uint32_t)r->ret);
		r->body_len = (size_t)r->ret - sizeof(r->oh);
		assert_true(r->body_len <= sizeof(r->body));
		memcpy(r->body, out + sizeof(r->oh), r->body_len);
		if (r->oh.error)
			assert_int_equal(r->body_len, 0);
	}
	free(out);
}

static inline void fx_call_cap(struct fx *f, uint32_t opcode, uint64_t nodeid, uint32_t uid,
			       uint32_t gid, const struct part *parts, int nparts, size_t reply_cap,
			       struct reply *r)
{
	size_t len = sizeof(struct fuse_in_header);
	for (int i = 0; i < nparts; i++)
		len += parts[i].len;
	unsigned char *req = malloc(len);
	assert_non_null(req);
	/* Threads share f: take a unique number atomically, compare to ours. */
	uint64_t unique = __atomic_add_fetch(&f->unique, 1, __ATOMIC_RELAXED);
	struct fuse_in_header h = {.len = (uint32_t)len,
				   .opcode = opcode,
				   .unique = unique,
				   .nodeid = nodeid,
				   .uid = uid,
				   .gid = gid,
				   .pid = 1};
	memcpy(req, &h, sizeof(h));
	size_t off = sizeof(h);
	for (int i = 0; i < nparts; i++) {
		memcpy(req + off, parts[i].p, parts[i].len);
		off += parts[i].len;
	}
	fx_send_raw(f, req, len, reply_cap, r);
	if (r->ret > 0)
		assert_int_equal(r->oh.unique, unique);
	free(req);
}

#define REPLY_CAP (sizeof(struct fuse_out_header) + 200 * 1024)

static inline void fx_call(struct fx *f, uint32_t opcode, uint64_t nodeid, const struct part *parts,
			   int nparts, struct reply *r)
{
	fx_call_cap(f, opcode, nodeid, 0, 0, parts, nparts, REPLY_CAP, r);
}

static inline void fx_raw_init(struct fx *f, uint32_t major, uint32_t minor, uint32_t flags,
			       struct reply *r)
{
	struct fuse_init_in in = {
	    .major = major, .minor = minor, .max_readahead = 65536, .flags = flags};
	struct part p = {&in, sizeof(in)};
	fx_call(f, FUSE_INIT, 0, &p, 1, r);
}

#define PART_STR(s) ((struct part){(s), strlen(s) + 1})

/* Static reply buffer per thread: replies are big, stacks are not. */
static __thread struct reply fx_r;

static inline int fx_lookup(struct fx *f, uint64_t parent, const char *name,
			    struct fuse_entry_out *e)
{
	struct part p = PART_STR(name);
	fx_call(f, FUSE_LOOKUP, parent, &p, 1, &fx_r);
	if (fx_r.oh.error == 0) {
		assert_int_equal(fx_r.body_len, sizeof(*e));
		if (e)
			memcpy(e, fx_r.body, sizeof(*e));
	}
	return fx_r.oh.error;
}

static inline int fx_getattr(struct fx *f, uint64_t nodeid, struct fuse_attr *a)
{
	struct fuse_getattr_in in = {0};
	struct part p = {&in, sizeof(in)};
	fx_call(f, FUSE_GETATTR, nodeid, &p, 1, &fx_r);
	if (fx_r.oh.error == 0) {
		assert_int_equal(fx_r.body_len, sizeof(struct fuse_attr_out));
		if (a)
			memcpy(a, fx_r.body + offsetof(struct fuse_attr_out, attr), sizeof(*a));
	}
	return fx_r.oh.error;
}

static inline void fx_forget(struct fx *f, uint64_t nodeid, uint64_t n)
{
	struct fuse_forget_in in = {.nlookup = n};
	struct part p = {&in, sizeof(in)};
	fx_call_cap(f, FUSE_FORGET, nodeid, 0, 0, &p, 1, 0, &fx_r);
	assert_int_equal(fx_r.ret, 0);
}

static inline int fx_create_as(struct fx *f, uint64_t parent, const char *name, uint32_t flags,
			       uint32_t mode, uint32_t uid, uint32_t gid, struct fuse_entry_out *e,
			       uint64_t *fh)
{
	struct fuse_create_in in = {.flags = flags, .mode = S_IFREG | mode, .umask = 022};
	struct part p[2] = {{&in, sizeof(in)}, PART_STR(name)};
	fx_call_cap(f, FUSE_CREATE, parent, uid, gid, p, 2, REPLY_CAP, &fx_r);
	if (fx_r.oh.error == 0) {
		assert_int_equal(fx_r.body_len,
				 sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out));
		if (e)
			memcpy(e, fx_r.body, sizeof(*e));
		struct fuse_open_out oo;
		memcpy(&oo, fx_r.body + sizeof(struct fuse_entry_out), sizeof(oo));
		if (fh)
			*fh = oo.fh;
	}
	return fx_r.oh.error;
}

static inline int fx_create(struct fx *f, uint64_t parent, const char *name, uint32_t flags,
			    uint32_t mode, struct fuse_entry_out *e, uint64_t *fh)
{
	return fx_create_as(f, parent, name, flags, mode, 0, 0, e, fh);
}

static inline int fx_open(struct fx *f, uint32_t opcode, uint64_t nodeid, uint32_t flags,
			  uint64_t *fh)
{
	struct fuse_open_in in = {.flags = flags};
	struct part p = {&in, sizeof(in)};
	fx_call(f, opcode, nodeid, &p, 1, &fx_r);
	if (fx_r.oh.error == 0) {
		assert_int_equal(fx_r.body_len, sizeof(struct fuse_open_out));
		struct fuse_open_out oo;
		memcpy(&oo, fx_r.body, sizeof(oo));
		*fh = oo.fh;
	}
	return fx_r.oh.error;
}

static inline int fx_release(struct fx *f, uint32_t opcode, uint64_t nodeid, uint64_t fh)
{
	struct fuse_release_in in = {.fh = fh};
	struct part p = {&in, sizeof(in)};
	fx_call(f, opcode, nodeid, &p, 1, &fx_r);
	return fx_r.oh.error;
}

static inline int fx_write(struct fx *f, uint64_t nodeid, uint64_t fh, uint64_t off,
			   const void *data, size_t len, uint32_t *written)
{
	struct fuse_write_in in = {.fh = fh, .offset = off, .size = (uint32_t)len};
	struct part p[2] = {{&in, sizeof(in)}, {data, len}};
	fx_call(f, FUSE_WRITE, nodeid, p, 2, &fx_r);
	if (fx_r.oh.error == 0) {
		assert_int_equal(fx_r.body_len, sizeof(struct fuse_write_out));
		struct fuse_write_out wo;
		memcpy(&wo, fx_r.body, sizeof(wo));
		if (written)
			*written = wo.size;
	}
	return fx_r.oh.error;
}

/* Returns bytes read (>= 0) or a negative errno; data in fx_r.body. */
static inline long fx_read(struct fx *f, uint32_t opcode, uint64_t nodeid, uint64_t fh,
			   uint64_t off, uint32_t size)
{
	struct fuse_read_in in = {.fh = fh, .offset = off, .size = size};
	struct part p = {&in, sizeof(in)};
	fx_call(f, opcode, nodeid, &p, 1, &fx_r);
	return fx_r.oh.error ? fx_r.oh.error : (long)fx_r.body_len;
}

static inline int fx_mkdir(struct fx *f, uint64_t parent, const char *name, uint32_t mode,
			   struct fuse_entry_out *e)
{
	struct fuse_mkdir_in in = {.mode = mode, .umask = 022};
	struct part p[2] = {{&in, sizeof(in)}, PART_STR(name)};
	fx_call(f, FUSE_MKDIR, parent, p, 2, &fx_r);
	if (fx_r.oh.error == 0 && e)
		memcpy(e, fx_r.body, sizeof(*e));
	return fx_r.oh.error;
}

static inline int fx_name_op(struct fx *f, uint32_t opcode, uint64_t parent, const char *name)
{
	struct part p = PART_STR(name);
	fx_call(f, opcode, parent, &p, 1, &fx_r);
	return fx_r.oh.error;
}

static inline int fx_setattr(struct fx *f, uint64_t nodeid, const struct fuse_setattr_in *in,
			     struct fuse_attr *a)
{
	struct part p = {in, sizeof(*in)};
	fx_call(f, FUSE_SETATTR, nodeid, &p, 1, &fx_r);
	if (fx_r.oh.error == 0 && a)
		memcpy(a, fx_r.body + offsetof(struct fuse_attr_out, attr), sizeof(*a));
	return fx_r.oh.error;
}

static inline void fx_host_stat(const struct fx *f, const char *rel, struct stat *st)
{
	char p[256];
	fx_path(f, rel, p, sizeof(p));
	assert_int_equal(lstat(p, st), 0);
}

static inline bool fx_host_exists(const struct fx *f, const char *rel)
{
	char p[256];
	struct stat st;
	fx_path(f, rel, p, sizeof(p));
	return lstat(p, &st) == 0;
}

static inline void fx_assert_secret_intact(const struct fx *f)
{
	char p[160], buf[32] = {0};
	snprintf(p, sizeof(p), "%s/secret", f->outside);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 9);
	close(fd);
	assert_string_equal(buf, "TOPSECRET");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

#endif
