/* SPDX-License-Identifier: Apache-2.0 */
/* Malformed requests: every one must get an error (or no reply where the
 * protocol has none), never a crash, under ASan and UBSan. */
#include "test_fuse_harness.h"

static ssize_t send_iov(struct fx *f, const struct iovec *in, int n_in, void *out, size_t cap,
			struct fuse_out_header *oh)
{
	struct iovec ov = {out, cap};
	ssize_t r = fuse_server_handle(f->s, in, n_in, &ov, cap ? 1 : 0);
	if (r >= (ssize_t)sizeof(*oh)) {
		memcpy(oh, out, sizeof(*oh));
		assert_int_equal(oh->len, (uint32_t)r);
	}
	return r;
}

static ssize_t send_buf(struct fx *f, const void *req, size_t len, struct fuse_out_header *oh)
{
	static unsigned char out[4096];
	struct iovec in = {(void *)req, len};
	return send_iov(f, &in, 1, out, sizeof(out), oh);
}

static struct fuse_in_header hdr(uint32_t opcode, uint64_t nodeid, uint32_t len)
{
	return (struct fuse_in_header){
	    .len = len, .opcode = opcode, .unique = 77, .nodeid = nodeid};
}

static void test_truncated_and_lying_headers(void **state)
{
	struct fx *f = *state;
	struct fuse_out_header oh;
	unsigned char buf[256] = {0};
	/* No request bytes at all, and a header cut short. */
	assert_int_equal(send_buf(f, buf, 0, &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(send_buf(f, buf, 20, &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(oh.unique, 0);
	/* len larger than the bytes that exist. */
	struct fuse_in_header h = hdr(FUSE_GETATTR, FUSE_ROOT_ID, 200);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(send_buf(f, buf, sizeof(h) + 16, &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(oh.unique, 77);
	/* len smaller than the header. */
	h.len = 10;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(send_buf(f, buf, sizeof(h) + 16, &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	/* len that cuts the arguments off: GETATTR needs 16 more bytes. */
	h.len = sizeof(h) + 8;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(send_buf(f, buf, sizeof(h) + 16, &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	/* Extension length beyond the request. */
	h = hdr(FUSE_GETATTR, FUSE_ROOT_ID, sizeof(h) + 16);
	h.total_extlen = 3;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(send_buf(f, buf, sizeof(h) + 16, &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	/* Trailing bytes beyond len are ignored, the request itself is fine. */
	h = hdr(FUSE_GETATTR, FUSE_ROOT_ID, sizeof(h) + 16);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(send_buf(f, buf, sizeof(h) + 100, &oh),
			 sizeof(oh) + sizeof(struct fuse_attr_out));
	assert_int_equal(oh.error, 0);
}

static void test_names_without_nul(void **state)
{
	struct fx *f = *state;
	struct fuse_out_header oh;
	unsigned char buf[128];
	struct fuse_in_header h = hdr(FUSE_LOOKUP, FUSE_ROOT_ID, sizeof(h) + 5);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "abcde", 5);
	/* The NUL lies just past len: it must not count. */
	buf[sizeof(h) + 5] = 0;
	assert_int_equal(send_buf(f, buf, sizeof(h) + 6, &oh), sizeof(oh));
	assert_int_not_equal(oh.error, 0);
	assert_int_not_equal(oh.error, -ENOENT);
	/* MKDIR with a name but no NUL, and SYMLINK whose target lacks one. */
	struct fuse_mkdir_in mi = {.mode = 0755};
	h = hdr(FUSE_MKDIR, FUSE_ROOT_ID, sizeof(h) + sizeof(mi) + 3);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &mi, sizeof(mi));
	memcpy(buf + sizeof(h) + sizeof(mi), "dir", 3);
	assert_int_equal(send_buf(f, buf, h.len, &oh), sizeof(oh));
	assert_int_not_equal(oh.error, 0);
	assert_false(fx_host_exists(f, "dir"));
	h = hdr(FUSE_SYMLINK, FUSE_ROOT_ID, sizeof(h) + 2 + 4);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "l\0/etc", 6);
	assert_int_equal(send_buf(f, buf, h.len, &oh), sizeof(oh));
	assert_int_not_equal(oh.error, 0);
	assert_false(fx_host_exists(f, "l"));
	/* Embedded NUL: the name ends there; the rest is the next argument. */
	struct part p[2] = {{"ok\0/../etc", 11}};
	fx_call(f, FUSE_LOOKUP, FUSE_ROOT_ID, p, 1, &fx_r);
	assert_int_equal(fx_r.oh.error, -ENOENT);
	/* Xattr name without NUL. */
	struct fuse_getxattr_in gi = {.size = 10};
	struct part g[2] = {{&gi, sizeof(gi)}, {"user.x", 6}};
	fx_call(f, FUSE_GETXATTR, FUSE_ROOT_ID, g, 2, &fx_r);
	assert_int_not_equal(fx_r.oh.error, 0);
	/* RENAME with only one name. */
	struct fuse_rename_in ri = {.newdir = FUSE_ROOT_ID};
	struct part r[2] = {{&ri, sizeof(ri)}, PART_STR("a")};
	fx_call(f, FUSE_RENAME, FUSE_ROOT_ID, r, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
}

static void test_size_fields_lie(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out e;
	uint64_t fh;
	assert_int_equal(fx_create(f, FUSE_ROOT_ID, "f", O_RDWR, 0644, &e, &fh), 0);
	/* WRITE claiming more data than the request carries. */
	struct fuse_write_in wi = {.fh = fh, .size = 1000};
	struct part p[2] = {{&wi, sizeof(wi)}, {"abc", 3}};
	fx_call(f, FUSE_WRITE, e.nodeid, p, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	wi.size = UINT32_MAX;
	fx_call(f, FUSE_WRITE, e.nodeid, p, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	wi.size = 3;
	wi.offset = UINT64_MAX; /* negative as off_t */
	fx_call(f, FUSE_WRITE, e.nodeid, p, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	struct stat st;
	fx_host_stat(f, "f", &st);
	assert_int_equal(st.st_size, 0);
	/* READ at a negative offset; READDIR asking for 4 GiB. */
	assert_int_equal(fx_read(f, FUSE_READ, e.nodeid, fh, UINT64_MAX - 5, 10), -EINVAL);
	uint64_t dh;
	assert_int_equal(fx_open(f, FUSE_OPENDIR, FUSE_ROOT_ID, 0, &dh), 0);
	assert_true(fx_read(f, FUSE_READDIR, FUSE_ROOT_ID, dh, 0, UINT32_MAX) > 0);
	assert_true(fx_read(f, FUSE_READDIRPLUS, FUSE_ROOT_ID, dh, 0, UINT32_MAX) > 0);
	assert_int_equal(fx_read(f, FUSE_READDIR, FUSE_ROOT_ID, dh, UINT64_MAX, 100), -EINVAL);
	/* A bogus directory offset from the guest. */
	long r = fx_read(f, FUSE_READDIR, FUSE_ROOT_ID, dh, 0x123456789, 4096);
	assert_true(r >= 0 || r == -EINVAL || r == -ENOENT);
	/* SETXATTR whose value size exceeds the request or the limit. */
	struct fuse_setxattr_in si = {.size = 100};
	struct part s[3] = {{&si, FUSE_COMPAT_SETXATTR_IN_SIZE}, PART_STR("user.a"), {"xy", 2}};
	fx_call(f, FUSE_SETXATTR, e.nodeid, s, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	si.size = 1 << 20;
	fx_call(f, FUSE_SETXATTR, e.nodeid, s, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -E2BIG);
	si.size = 2;
	si.flags = 0x1000;
	fx_call(f, FUSE_SETXATTR, e.nodeid, s, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	/* GETXATTR/LISTXATTR asking for 4 GiB. */
	struct fuse_getxattr_in gi = {.size = UINT32_MAX};
	struct part lp = {&gi, sizeof(gi)};
	fx_call(f, FUSE_LISTXATTR, e.nodeid, &lp, 1, &fx_r);
	assert_true(fx_r.oh.error == 0 || fx_r.oh.error == -EOPNOTSUPP);
	/* BATCH_FORGET claiming 4 billion entries but carrying none. */
	struct fuse_batch_forget_in bi = {.count = UINT32_MAX};
	struct part bp = {&bi, sizeof(bi)};
	fx_call_cap(f, FUSE_BATCH_FORGET, 0, 0, 0, &bp, 1, 0, &fx_r);
	assert_int_equal(fx_r.ret, 0);
	/* FORGET without its argument and without reply space: no reply. */
	fx_call_cap(f, FUSE_FORGET, e.nodeid, 0, 0, NULL, 0, 0, &fx_r);
	assert_int_equal(fx_r.ret, 0);
	assert_int_equal(fx_getattr(f, e.nodeid, NULL), 0);
	fx_release(f, FUSE_RELEASE, e.nodeid, fh);
	fx_release(f, FUSE_RELEASEDIR, FUSE_ROOT_ID, dh);
}

static void test_reply_buffer_too_small(void **state)
{
	struct fx *f = *state;
	struct fuse_getattr_in gi = {0};
	struct part p = {&gi, sizeof(gi)};
	/* Not even an out header fits: -1, nothing written. */
	fx_call_cap(f, FUSE_GETATTR, FUSE_ROOT_ID, 0, 0, &p, 1, 0, &fx_r);
	assert_int_equal(fx_r.ret, -1);
	fx_call_cap(f, FUSE_GETATTR, FUSE_ROOT_ID, 0, 0, &p, 1, 15, &fx_r);
	assert_int_equal(fx_r.ret, -1);
	/* A header fits but the attributes do not: an error reply. */
	fx_call_cap(f, FUSE_GETATTR, FUSE_ROOT_ID, 0, 0, &p, 1, 16, &fx_r);
	assert_int_equal(fx_r.ret, 16);
	assert_int_equal(fx_r.oh.error, -EIO);
	fx_call_cap(f, FUSE_GETATTR, FUSE_ROOT_ID, 0, 0, &p, 1, 50, &fx_r);
	assert_int_equal(fx_r.oh.error, -EIO);
	/* LOOKUP whose entry does not fit takes no lookup count. */
	fx_write_host(f, "f", "x");
	struct part lp = PART_STR("f");
	size_t before = inode_table_count(&f->s->inodes);
	fx_call_cap(f, FUSE_LOOKUP, FUSE_ROOT_ID, 0, 0, &lp, 1, 100, &fx_r);
	assert_int_equal(fx_r.oh.error, -EIO);
	assert_int_equal(inode_table_count(&f->s->inodes), before);
	/* CREATE whose reply does not fit leaves no handle behind (the file
	 * itself exists: the guest will find it on its next lookup). */
	struct fuse_create_in ci = {.flags = O_RDWR, .mode = S_IFREG | 0644};
	struct part cp[2] = {{&ci, sizeof(ci)}, PART_STR("c")};
	fx_call_cap(f, FUSE_CREATE, FUSE_ROOT_ID, 0, 0, cp, 2, 100, &fx_r);
	assert_int_equal(fx_r.oh.error, -EIO);
	assert_int_equal(handle_table_count(&f->s->handles), 0);
	assert_int_equal(inode_table_count(&f->s->inodes), before);
	/* OPEN likewise. */
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f", &e), 0);
	struct fuse_open_in oi = {.flags = O_RDONLY};
	struct part op = {&oi, sizeof(oi)};
	fx_call_cap(f, FUSE_OPEN, e.nodeid, 0, 0, &op, 1, 20, &fx_r);
	assert_int_equal(fx_r.oh.error, -EIO);
	fx_call_cap(f, FUSE_OPENDIR, FUSE_ROOT_ID, 0, 0, &op, 1, 20, &fx_r);
	assert_int_equal(fx_r.oh.error, -EIO);
	assert_int_equal(handle_table_count(&f->s->handles), 0);
}

static void test_bad_iovecs(void **state)
{
	struct fx *f = *state;
	struct fuse_out_header oh;
	unsigned char out[256];
	struct fuse_in_header h = hdr(FUSE_GETATTR, FUSE_ROOT_ID, sizeof(h) + 16);
	unsigned char req[64] = {0};
	memcpy(req, &h, sizeof(h));
	/* Lengths that overflow when summed. */
	struct iovec in[2] = {{req, sizeof(h) + 16}, {NULL, SIZE_MAX}};
	assert_int_equal(send_iov(f, in, 2, out, sizeof(out), &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	/* Negative counts. */
	assert_int_equal(send_iov(f, in, -1, out, sizeof(out), &oh), sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	struct iovec ov = {out, sizeof(out)};
	assert_int_equal(fuse_server_handle(f->s, in, 1, &ov, -3), -1);
	struct iovec ovs[2] = {{out, 16}, {NULL, SIZE_MAX}};
	assert_int_equal(fuse_server_handle(f->s, in, 1, ovs, 2), -1);
	/* The header split across many one-byte iovecs. */
	struct iovec bytes[56];
	for (int i = 0; i < 56; i++)
		bytes[i] = (struct iovec){req + i, 1};
	assert_int_equal(send_iov(f, bytes, 56, out, sizeof(out), &oh),
			 sizeof(oh) + sizeof(struct fuse_attr_out));
	assert_int_equal(oh.error, 0);
	/* Zero-length iovecs in between. */
	struct iovec z[4] = {{req, 10}, {req, 0}, {req + 10, 46}, {NULL, 0}};
	assert_int_equal(send_iov(f, z, 4, out, sizeof(out), &oh),
			 sizeof(oh) + sizeof(struct fuse_attr_out));
}

static void test_reply_split_too_fine(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out e;
	uint64_t fh;
	assert_int_equal(fx_create(f, FUSE_ROOT_ID, "f", O_RDWR, 0644, &e, &fh), 0);
	static char data[4096];
	memset(data, 'z', sizeof(data));
	assert_int_equal(fx_write(f, e.nodeid, fh, 0, data, sizeof(data), NULL), 0);
	struct fuse_read_in ri = {.fh = fh, .size = 4096};
	struct fuse_in_header h = hdr(FUSE_READ, e.nodeid, sizeof(h) + sizeof(ri));
	unsigned char req[sizeof(h) + sizeof(ri)];
	memcpy(req, &h, sizeof(h));
	memcpy(req + sizeof(h), &ri, sizeof(ri));
	struct iovec in = {req, sizeof(req)};
	/* 16-byte header + 2000 one-byte reply buffers: within the iovec
	 * limit, a short but correct read. */
	static unsigned char out[4096 + 16];
	static struct iovec ov[3000];
	ov[0] = (struct iovec){out, 16};
	for (int i = 1; i < 3000; i++)
		ov[i] = (struct iovec){out + 16 + (i - 1) % 4096, 1};
	ssize_t r = fuse_server_handle(f->s, &in, 1, ov, 1001);
	assert_int_equal(r, 16 + 1000);
	/* More pieces than the server will describe: an error, no crash. */
	r = fuse_server_handle(f->s, &in, 1, ov, 3000);
	assert_int_equal(r, 16);
	struct fuse_out_header oh;
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.error, -EIO);
	fx_release(f, FUSE_RELEASE, e.nodeid, fh);
}

static void test_unknown_opcodes(void **state)
{
	struct fx *f = *state;
	uint32_t ops[] = {0,
			  7,
			  19,
			  FUSE_GETLK,
			  FUSE_SETLK,
			  FUSE_BMAP,
			  FUSE_IOCTL,
			  FUSE_POLL,
			  FUSE_COPY_FILE_RANGE,
			  FUSE_SYNCFS,
			  FUSE_TMPFILE,
			  52,
			  4096,
			  FUSE_INIT_BSWAP_RESERVED,
			  UINT32_MAX};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		fx_call(f, ops[i], FUSE_ROOT_ID, NULL, 0, &fx_r);
		assert_int_equal(fx_r.oh.error, -ENOSYS);
	}
	/* INTERRUPT is accepted and never answered. */
	struct fuse_interrupt_in ii = {.unique = 5};
	struct part p = {&ii, sizeof(ii)};
	fx_call(f, FUSE_INTERRUPT, 0, &p, 1, &fx_r);
	assert_int_equal(fx_r.ret, 0);
}

/* Random bytes after a valid header, for every opcode, from a fixed seed:
 * whatever the result, the server must stay consistent and crash-free. */
static void test_fuzz_all_opcodes(void **state)
{
	struct fx *f = *state;
	unsigned seed = 12345;
	unsigned char req[512];
	static unsigned char out[64 * 1024];
	for (int iter = 0; iter < 30000; iter++) {
		uint32_t opcode = (uint32_t)(rand_r(&seed) % 53);
		if (opcode == FUSE_INIT || opcode == FUSE_DESTROY)
			continue;
		size_t len = sizeof(struct fuse_in_header) + (size_t)(rand_r(&seed) % 200);
		for (size_t i = 0; i < len; i++)
			req[i] = (unsigned char)rand_r(&seed);
		/* Mostly printable short names so that some requests get far. */
		for (size_t i = sizeof(struct fuse_in_header) + 8; i < len; i++)
			if (rand_r(&seed) % 4)
				req[i] = (unsigned char)("ab.\0/x"[rand_r(&seed) % 6]);
		uint32_t claimed = (rand_r(&seed) % 8) ? (uint32_t)len : (uint32_t)rand_r(&seed);
		struct fuse_in_header h = {.len = claimed,
					   .opcode = opcode,
					   .unique = (uint64_t)iter,
					   .nodeid = (uint64_t)(rand_r(&seed) % 6)};
		memcpy(req, &h, sizeof(h));
		/* Small ids and fhs so that some hit live objects. */
		if (len >= sizeof(h) + 8 && rand_r(&seed) % 2) {
			uint64_t small = (uint64_t)(rand_r(&seed) % 8);
			memcpy(req + sizeof(h), &small, 8);
		}
		size_t cap = (rand_r(&seed) % 4) ? sizeof(out) : (size_t)(rand_r(&seed) % 64);
		struct iovec in = {req, len}, ov = {out, cap};
		ssize_t r = fuse_server_handle(f->s, &in, 1, &ov, 1);
		assert_true(r == -1 || r == 0 || r >= (ssize_t)sizeof(struct fuse_out_header));
		assert_true(r <= (ssize_t)cap);
		if (r > 0) {
			struct fuse_out_header oh;
			memcpy(&oh, out, sizeof(oh));
			assert_int_equal(oh.len, (uint32_t)r);
			assert_true(oh.error <= 0 && oh.error > -4096);
		}
	}
	/* Still serving. */
	assert_int_equal(fx_getattr(f, FUSE_ROOT_ID, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_truncated_and_lying_headers, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_names_without_nul, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_size_fields_lie, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_reply_buffer_too_small, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_iovecs, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_reply_split_too_fine, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_opcodes, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_fuzz_all_opcodes, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
