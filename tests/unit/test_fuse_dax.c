/* SPDX-License-Identifier: Apache-2.0 */
/* The DAX window of the FUSE server: INIT negotiation, FUSE_ATTR_DAX,
 * SETUPMAPPING and REMOVEMAPPING against a real window (anonymous memory,
 * as the VMM makes it), hostile ranges, and the repair of a mapping whose
 * file shrank on the host. */
#include "test_fuse_harness.h"

#include <sys/mman.h>

#define CHUNK FUSE_DAX_CHUNK
#define WIN_CHUNKS 8
#define WIN (WIN_CHUNKS * CHUNK)

static uint8_t *win;

/* A share with a window; init_flags/flags2: what the guest's INIT offers. */
static void make_server(struct fx *f, bool read_only, uint32_t init_flags, uint32_t flags2,
			struct fuse_init_out *out)
{
	fuse_server_free(f->s);
	struct fuse_server_opts o = {.root_dir = f->root,
				     .read_only = read_only,
				     .share_mode = MVM_SHARE_PASSTHROUGH,
				     .dax_window = win,
				     .dax_window_size = WIN};
	mvm_error *err = NULL;
	f->s = fuse_server_new(&o, &err);
	if (!f->s)
		fail_msg("fuse_server_new: %s", mvm_error_get_message(err));
	struct fuse_init_in in = {.major = 7,
				  .minor = 38,
				  .max_readahead = 65536,
				  .flags = init_flags,
				  .flags2 = flags2};
	struct part p = {&in, sizeof(in)};
	struct reply *r = malloc(sizeof(*r));
	fx_call(f, FUSE_INIT, 0, &p, 1, r);
	assert_int_equal(r->oh.error, 0);
	assert_true(r->body_len >= sizeof(*out));
	memcpy(out, r->body, sizeof(*out));
	free(r);
}

#define GUEST_DAX (FUSE_ASYNC_READ | FUSE_MAP_ALIGNMENT | FUSE_INIT_EXT)
#define GUEST_DAX2 ((uint32_t)(FUSE_HAS_INODE_DAX >> 32))

static int setup_common(void **state, bool read_only)
{
	win = mmap(NULL, WIN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(win != MAP_FAILED);
	fx_setup_opts(state, false, false);
	struct fuse_init_out out;
	make_server(*state, read_only, GUEST_DAX, GUEST_DAX2, &out);
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, false);
}

static int setup_ro(void **state)
{
	return setup_common(state, true);
}

static int teardown(void **state)
{
	fx_teardown(state);
	munmap(win, WIN);
	return 0;
}

/* A host file of len bytes whose byte i is (i * 7 + i / 4096) & 0xff. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 7 + i / 4096) & 0xff);
}

static void make_file(struct fx *f, const char *rel, size_t len)
{
	char p[256];
	fx_path(f, rel, p, sizeof(p));
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(i);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

static int setupmapping(struct fx *f, uint64_t nodeid, uint64_t foffset, uint64_t len,
			uint64_t flags, uint64_t moffset)
{
	struct fuse_setupmapping_in in = {
	    .fh = UINT64_MAX, .foffset = foffset, .len = len, .flags = flags, .moffset = moffset};
	struct part p = {&in, sizeof(in)};
	struct reply r;
	fx_call(f, FUSE_SETUPMAPPING, nodeid, &p, 1, &r);
	return r.oh.error;
}

static int removemapping_raw(struct fx *f, uint32_t count, const struct fuse_removemapping_one *e,
			     size_t n_entries)
{
	struct fuse_removemapping_in in = {.count = count};
	struct part p[2] = {{&in, sizeof(in)}, {e, n_entries * sizeof(*e)}};
	struct reply r;
	fx_call(f, FUSE_REMOVEMAPPING, 0, p, 2, &r);
	return r.oh.error;
}

static int removemapping(struct fx *f, uint64_t moffset, uint64_t len)
{
	struct fuse_removemapping_one e = {.moffset = moffset, .len = len};
	return removemapping_raw(f, 1, &e, 1);
}

static bool window_matches_file(uint64_t moffset, uint64_t foffset, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (win[moffset + i] != pattern(foffset + i))
			return false;
	return true;
}

static bool window_zero(uint64_t moffset, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (win[moffset + i] != 0)
			return false;
	return true;
}

static uint64_t lookup(struct fx *f, const char *name, struct fuse_entry_out *e)
{
	struct fuse_entry_out tmp;
	if (!e)
		e = &tmp;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, name, e), 0);
	return e->nodeid;
}

static void test_init_negotiates_dax(void **state)
{
	struct fx *f = *state;
	struct fuse_init_out out;
	make_server(f, false, GUEST_DAX, GUEST_DAX2, &out);
	assert_true(out.flags & FUSE_MAP_ALIGNMENT);
	assert_true(out.flags & FUSE_INIT_EXT);
	assert_int_equal(out.map_alignment, 21);
	assert_int_equal(out.flags2 & GUEST_DAX2, GUEST_DAX2);

	/* A guest that found no window (no MAP_ALIGNMENT), or one mounted
	 * dax=always|never (no HAS_INODE_DAX), gets no DAX flags back. */
	make_server(f, false, FUSE_ASYNC_READ | FUSE_INIT_EXT, GUEST_DAX2, &out);
	assert_false(out.flags & FUSE_MAP_ALIGNMENT);
	assert_int_equal(out.flags2, 0);
	make_server(f, false, GUEST_DAX, 0, &out);
	assert_false(out.flags & FUSE_MAP_ALIGNMENT);
	make_file(f, "big", 3 * 1024 * 1024);
	struct fuse_entry_out e;
	lookup(f, "big", &e);
	assert_false(e.attr.flags & FUSE_ATTR_DAX);
}

static void test_attr_dax_by_size_and_type(void **state)
{
	struct fx *f = *state;
	make_file(f, "big", FUSE_DAX_DEFAULT_MIN_SIZE);
	make_file(f, "small", FUSE_DAX_DEFAULT_MIN_SIZE - 1);
	struct fuse_entry_out e;
	lookup(f, "big", &e);
	assert_true(e.attr.flags & FUSE_ATTR_DAX);
	lookup(f, "small", &e);
	assert_false(e.attr.flags & FUSE_ATTR_DAX);
	/* GETATTR says the same as LOOKUP. */
	struct fuse_attr a;
	assert_int_equal(fx_getattr(f, lookup(f, "big", NULL), &a), 0);
	assert_true(a.flags & FUSE_ATTR_DAX);
	assert_int_equal(fx_getattr(f, FUSE_ROOT_ID, &a), 0);
	assert_false(a.flags & FUSE_ATTR_DAX);
}

static void test_setup_maps_the_file(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", 3 * CHUNK);
	uint64_t id = lookup(f, "data", NULL);
	/* Chunk 1 of the file into chunk 5 of the window, read-only. */
	assert_int_equal(setupmapping(f, id, CHUNK, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 5 * CHUNK),
			 0);
	assert_true(window_matches_file(5 * CHUNK, CHUNK, CHUNK));
	assert_true(window_zero(4 * CHUNK, CHUNK));
	assert_true(window_zero(6 * CHUNK, CHUNK));

	/* Writable, two chunks at once: a store into the window is a store
	 * into the host's page cache. */
	assert_int_equal(setupmapping(f, id, 0, 2 * CHUNK,
				      FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE, 0),
			 0);
	assert_true(window_matches_file(0, 0, 2 * CHUNK));
	memcpy(win + CHUNK + 10, "DAXWRITE", 8);
	char p[256], buf[8];
	fx_path(f, "data", p, sizeof(p));
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 8, CHUNK + 10), 8);
	close(fd);
	assert_memory_equal(buf, "DAXWRITE", 8);

	/* A new mapping over an old one replaces it. */
	assert_int_equal(setupmapping(f, id, 2 * CHUNK, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 0), 0);
	assert_true(window_matches_file(0, 2 * CHUNK, CHUNK));
}

static void test_remove_restores_anonymous_memory(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", 2 * CHUNK);
	uint64_t id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, 2 * CHUNK,
				      FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE,
				      2 * CHUNK),
			 0);
	struct fuse_removemapping_one e[2] = {{.moffset = 2 * CHUNK, .len = CHUNK},
					      {.moffset = 3 * CHUNK, .len = CHUNK}};
	assert_int_equal(removemapping_raw(f, 2, e, 2), 0);
	assert_true(window_zero(2 * CHUNK, 2 * CHUNK));
	/* The guest's stores there no longer reach the file. */
	memset(win + 2 * CHUNK, 0xee, 64);
	char p[256];
	uint8_t buf[64];
	fx_path(f, "data", p, sizeof(p));
	int fd = open(p, O_RDONLY);
	assert_int_equal(pread(fd, buf, 64, 0), 64);
	close(fd);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf[i], pattern((uint64_t)i));
	/* Removing what is not mapped is fine (the kernel may). */
	assert_int_equal(removemapping(f, 7 * CHUNK, CHUNK), 0);
}

static void test_hostile_ranges_refused(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", CHUNK);
	uint64_t id = lookup(f, "data", NULL);
	const uint64_t R = FUSE_SETUPMAPPING_FLAG_READ;
	/* Not whole chunks, empty, past the window, wrapping around. */
	assert_int_equal(setupmapping(f, id, 0, CHUNK, R, 4096), -EINVAL);
	assert_int_equal(setupmapping(f, id, 4096, CHUNK, R, 0), -EINVAL);
	assert_int_equal(setupmapping(f, id, 0, 4096, R, 0), -EINVAL);
	assert_int_equal(setupmapping(f, id, 0, 0, R, 0), -EINVAL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, R, WIN), -EINVAL);
	assert_int_equal(setupmapping(f, id, 0, 2 * CHUNK, R, WIN - CHUNK), -EINVAL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, R, UINT64_MAX - CHUNK + 1), -EINVAL);
	assert_int_equal(setupmapping(f, id, 0, UINT64_MAX - CHUNK + 1, R, CHUNK), -EINVAL);
	/* A file offset past off_t. */
	assert_int_equal(setupmapping(f, id, (uint64_t)INT64_MAX - CHUNK + 1, CHUNK, R, 0), -EINVAL);
	assert_int_equal(setupmapping(f, id, UINT64_MAX - CHUNK + 1, CHUNK, R, 0), -EINVAL);
	/* Unknown flags, unknown inodes, not a regular file. */
	assert_int_equal(setupmapping(f, id, 0, CHUNK, R | 4, 0), -EINVAL);
	assert_int_equal(setupmapping(f, 999999, 0, CHUNK, R, 0), -EBADF);
	assert_int_equal(setupmapping(f, FUSE_ROOT_ID, 0, CHUNK, R, 0), -EINVAL);
	char fifo[256];
	fx_path(f, "fifo", fifo, sizeof(fifo));
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(setupmapping(f, lookup(f, "fifo", NULL), 0, CHUNK, R, 0), -EINVAL);
	/* Nothing was mapped by any of them. */
	assert_true(window_zero(0, WIN));

	/* REMOVEMAPPING: no entries, too many, fewer than it says, a bad
	 * entry after a good one. A refused request changes nothing. */
	assert_int_equal(setupmapping(f, id, 0, CHUNK, R, 0), 0);
	struct fuse_removemapping_one e[2] = {{.moffset = 0, .len = CHUNK},
					      {.moffset = 4096, .len = CHUNK}};
	assert_int_equal(removemapping_raw(f, 0, e, 0), -EINVAL);
	assert_int_equal(removemapping_raw(f, 257, e, 2), -EINVAL);
	assert_int_equal(removemapping_raw(f, 2, e, 1), -EINVAL);
	assert_int_equal(removemapping_raw(f, 2, e, 2), -EINVAL);
	e[1] = (struct fuse_removemapping_one){.moffset = WIN - CHUNK, .len = 2 * CHUNK};
	assert_int_equal(removemapping_raw(f, 2, e, 2), -EINVAL);
	assert_true(window_matches_file(0, 0, CHUNK));
	assert_int_equal(removemapping(f, 0, CHUNK), 0);
	fx_assert_secret_intact(f);
}

static void test_read_only_share_maps_for_reading_only(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", CHUNK);
	uint64_t id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK,
				      FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE, 0),
			 -EROFS);
	assert_true(window_zero(0, CHUNK));
	assert_int_equal(setupmapping(f, id, 0, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 0), 0);
	assert_true(window_matches_file(0, 0, CHUNK));
}

static void test_no_window(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", CHUNK);
	uint64_t id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 0), -ENOSYS);
	assert_int_equal(removemapping(f, 0, CHUNK), -ENOSYS);
	assert_int_equal(fuse_server_dax_repair(f->s), 0);
	struct fuse_entry_out e;
	lookup(f, "data", &e);
	assert_false(e.attr.flags & FUSE_ATTR_DAX);
}

/* The host truncates a mapped file: the guest's next touch of the lost
 * pages would fail KVM_RUN. The repair puts zeros there, once. */
static void test_repair_after_host_truncate(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", 2 * CHUNK);
	uint64_t id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, 2 * CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 0), 0);
	assert_int_equal(fuse_server_dax_repair(f->s), 0); /* nothing wrong yet */
	char p[256];
	fx_path(f, "data", p, sizeof(p));
	const uint64_t keep = 1024 * 1024 + 100;
	assert_int_equal(truncate(p, (off_t)keep), 0);
	/* Chunk 0 lost its tail, chunk 1 everything. */
	assert_int_equal(fuse_server_dax_repair(f->s), 2);
	assert_true(window_matches_file(0, 0, keep));
	assert_true(window_zero(keep, 2 * CHUNK - keep)); /* no SIGBUS either */
	assert_int_equal(fuse_server_dax_repair(f->s), 0);
	/* Growing the file again does not bring the mapping back: the guest
	 * maps anew after its next lookup. */
	assert_int_equal(truncate(p, (off_t)(2 * CHUNK)), 0);
	assert_int_equal(fuse_server_dax_repair(f->s), 0);
	assert_int_equal(removemapping(f, 0, 2 * CHUNK), 0);
}

/* A mapping keeps its inode alive after the guest forgot it; REMOVEMAPPING
 * (or the end of the server) lets it go. */
static void test_mapping_holds_its_inode(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", CHUNK);
	size_t before = inode_table_count(&f->s->inodes);
	uint64_t id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 0), 0);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 3 * CHUNK), 0);
	fx_forget(f, id, 1);
	assert_int_equal(inode_table_count(&f->s->inodes), before + 1);
	assert_int_equal(removemapping(f, 0, CHUNK), 0);
	assert_int_equal(inode_table_count(&f->s->inodes), before + 1);
	assert_int_equal(removemapping(f, 3 * CHUNK, CHUNK), 0);
	assert_int_equal(inode_table_count(&f->s->inodes), before);
	/* Left mapped at the end: fuse_server_free() lets go (ASan would see
	 * a leak otherwise). */
	id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, CHUNK), 0);
}

/* DESTROY, and a second INIT after a device reset, unmap everything. */
static void test_new_session_unmaps(void **state)
{
	struct fx *f = *state;
	make_file(f, "data", CHUNK);
	uint64_t id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 0), 0);
	struct reply *r = malloc(sizeof(*r));
	fx_call(f, FUSE_DESTROY, 0, NULL, 0, r);
	assert_true(window_zero(0, CHUNK));
	struct fuse_init_in in = {.major = 7, .minor = 38, .flags = GUEST_DAX, .flags2 = GUEST_DAX2};
	struct part p = {&in, sizeof(in)};
	fx_call(f, FUSE_INIT, 0, &p, 1, r);
	assert_int_equal(r->oh.error, 0);
	id = lookup(f, "data", NULL);
	assert_int_equal(setupmapping(f, id, 0, CHUNK, FUSE_SETUPMAPPING_FLAG_READ, 0), 0);
	fx_call(f, FUSE_INIT, 0, &p, 1, r);
	assert_int_equal(r->oh.error, 0);
	assert_true(window_zero(0, CHUNK));
	free(r);
}

static void test_window_size_checked(void **state)
{
	struct fx *f = *state;
	mvm_error *err = NULL;
	struct fuse_server_opts o = {.root_dir = f->root,
				     .share_mode = MVM_SHARE_PASSTHROUGH,
				     .dax_window = win,
				     .dax_window_size = CHUNK + 4096};
	assert_null(fuse_server_new(&o, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "2101248"));
	mvm_error_free(err);
}

static int setup_plain(void **state)
{
	win = NULL;
	return fx_setup(state);
}

static int teardown_plain(void **state)
{
	return fx_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_negotiates_dax, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attr_dax_by_size_and_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_setup_maps_the_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_restores_anonymous_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_ranges_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_share_maps_for_reading_only, setup_ro,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_no_window, setup_plain, teardown_plain),
	    cmocka_unit_test_setup_teardown(test_repair_after_host_truncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mapping_holds_its_inode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_session_unmaps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_window_size_checked, setup, teardown),
	};
	return cmocka_run_group_tests_name("fuse_dax", tests, NULL, NULL);
}
