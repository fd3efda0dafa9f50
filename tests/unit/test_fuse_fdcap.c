/* SPDX-License-Identifier: Apache-2.0 */
/* The fd limits of the FUSE server (fuse/fd_quota.h): a share at its inode
 * or handle cap answers ENFILE and keeps serving, FORGET and RELEASE give
 * the budget back, the fds really are closed, and one greedy share leaves
 * both another share and the process room under a low RLIMIT_NOFILE. */
#include "test_fuse_harness.h"

#include <dirent.h>
#include <sys/resource.h>

#define CAP_INODES 8
#define CAP_HANDLES 4

/* Open fds of this process, to check what the server really holds. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static struct fuse_server *new_server(const char *root, size_t max_inodes, size_t max_handles)
{
	struct fuse_server_opts o = {
	    .root_dir = root, .max_inodes = max_inodes, .max_handles = max_handles};
	mvm_error *err = NULL;
	struct fuse_server *s = fuse_server_new(&o, &err);
	if (!s)
		fail_msg("fuse_server_new: %s", mvm_error_get_message(err));
	return s;
}

static int setup_caps(void **state)
{
	fx_setup_opts(state, false, false);
	struct fx *f = *state;
	fuse_server_free(f->s);
	f->s = new_server(f->root, CAP_INODES, CAP_HANDLES);
	fx_raw_init(f, 7, 38, FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	for (int i = 0; i < 2 * CAP_INODES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", i);
		fx_write_host(f, name, "data");
	}
	return 0;
}

static uint64_t lookup_ok(struct fx *f, const char *name)
{
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, name, &e), 0);
	return e.nodeid;
}

/* Looks up f0..f{n-1}, which must all succeed. */
static void fill_inodes(struct fx *f, uint64_t *ids, int n)
{
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", i);
		ids[i] = lookup_ok(f, name);
	}
}

static void test_lookup_cap_and_forget(void **state)
{
	struct fx *f = *state;
	int fds0 = count_fds();
	uint64_t ids[CAP_INODES];
	fill_inodes(f, ids, CAP_INODES);
	assert_int_equal(count_fds(), fds0 + CAP_INODES);
	/* A new file is refused, with no fd left behind... */
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f8", NULL), -ENFILE);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f9", NULL), -ENFILE);
	assert_int_equal(count_fds(), fds0 + CAP_INODES);
	/* ...a file already held needs no fd and is still found, a missing
	 * one is still ENOENT, and everything else goes on working. */
	assert_int_equal(lookup_ok(f, "f0"), ids[0]);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "nope", NULL), -ENOENT);
	assert_int_equal(fx_getattr(f, ids[3], NULL), 0);
	assert_int_equal(fx_getattr(f, FUSE_ROOT_ID, NULL), 0);
	uint64_t fh;
	assert_int_equal(fx_open(f, FUSE_OPEN, ids[1], O_RDONLY, &fh), 0);
	assert_int_equal(fx_read(f, FUSE_READ, ids[1], fh, 0, 64), 4);
	assert_int_equal(fx_release(f, FUSE_RELEASE, ids[1], fh), 0);
	/* FORGET gives the budget back: f0 was looked up twice. */
	fx_forget(f, ids[0], 1);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f8", NULL), -ENFILE);
	fx_forget(f, ids[0], 1);
	assert_int_equal(count_fds(), fds0 + CAP_INODES - 1);
	uint64_t f8 = lookup_ok(f, "f8");
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f9", NULL), -ENFILE);
	/* BATCH_FORGET too. */
	struct fuse_batch_forget_in bin = {.count = 2};
	struct fuse_forget_one ones[2] = {{.nodeid = f8, .nlookup = 1},
					  {.nodeid = ids[1], .nlookup = 1}};
	struct part p[2] = {{&bin, sizeof(bin)}, {ones, sizeof(ones)}};
	fx_call_cap(f, FUSE_BATCH_FORGET, 0, 0, 0, p, 2, 0, &fx_r);
	assert_int_equal(count_fds(), fds0 + CAP_INODES - 2);
	lookup_ok(f, "f9");
	lookup_ok(f, "f10");
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f11", NULL), -ENFILE);
	/* DESTROY closes them all. */
	fx_call(f, FUSE_DESTROY, 0, NULL, 0, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(inode_table_count(&f->s->inodes), 1);
}

/* Every request that makes a new inode is refused at the cap, and leaves
 * neither an fd nor the new entry behind. */
static void test_creating_ops_at_cap(void **state)
{
	struct fx *f = *state;
	uint64_t ids[CAP_INODES];
	fill_inodes(f, ids, CAP_INODES);
	int fds0 = count_fds();
	assert_int_equal(fx_create(f, FUSE_ROOT_ID, "new", O_RDWR, 0644, NULL, NULL), -ENFILE);
	assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, "dir", 0755, NULL), -ENFILE);
	struct fuse_mknod_in mk = {.mode = S_IFREG | 0644};
	struct part pm[2] = {{&mk, sizeof(mk)}, PART_STR("node")};
	fx_call(f, FUSE_MKNOD, FUSE_ROOT_ID, pm, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -ENFILE);
	struct part ps[2] = {PART_STR("link"), PART_STR("f0")};
	fx_call(f, FUSE_SYMLINK, FUSE_ROOT_ID, ps, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -ENFILE);
	assert_false(fx_host_exists(f, "new"));
	assert_false(fx_host_exists(f, "dir"));
	assert_false(fx_host_exists(f, "node"));
	assert_false(fx_host_exists(f, "link"));
	/* An existing file is still opened by CREATE (its inode is held),
	 * and one that is not held is refused but kept. */
	uint64_t fh;
	assert_int_equal(fx_create(f, FUSE_ROOT_ID, "f1", O_RDWR, 0644, NULL, &fh), 0);
	assert_int_equal(fx_release(f, FUSE_RELEASE, ids[1], fh), 0);
	fx_forget(f, ids[1], 1);
	assert_int_equal(fx_create(f, FUSE_ROOT_ID, "f12", O_RDWR, 0644, NULL, NULL), -ENFILE);
	assert_true(fx_host_exists(f, "f12"));
	assert_int_equal(handle_table_count(&f->s->handles), 0);
	assert_int_equal(inode_table_count(&f->s->inodes), 1 + CAP_INODES);
	/* READDIRPLUS still lists everything; new entries come without an
	 * inode (nodeid 0), so the guest looks them up later. */
	uint64_t dh;
	assert_int_equal(fx_open(f, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &dh), 0);
	assert_true(fx_read(f, FUSE_READDIRPLUS, FUSE_ROOT_ID, dh, 0, 64 * 1024) > 0);
	size_t entries = 0, attached = 0;
	for (size_t off = 0; off < fx_r.body_len;) {
		struct fuse_direntplus *d = (struct fuse_direntplus *)(fx_r.body + off);
		entries++;
		attached += d->entry_out.nodeid != 0;
		off += FUSE_DIRENTPLUS_SIZE(d);
	}
	assert_true(entries >= 2 * CAP_INODES + 2);
	assert_int_equal(attached, CAP_INODES);
	assert_int_equal(fx_release(f, FUSE_RELEASEDIR, FUSE_ROOT_ID, dh), 0);
	assert_int_equal(inode_table_count(&f->s->inodes), 1 + CAP_INODES);
	assert_int_equal(count_fds(), fds0);
	/* Room again after a FORGET (of both lookups: LOOKUP and READDIRPLUS):
	 * the same requests work. */
	fx_forget(f, ids[0], 2);
	struct fuse_entry_out e;
	assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, "dir2", 0755, &e), 0);
	assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, "dir3", 0755, NULL), -ENFILE);
}

static void test_handle_cap(void **state)
{
	struct fx *f = *state;
	uint64_t id = lookup_ok(f, "f0");
	int fds0 = count_fds();
	uint64_t fh[CAP_HANDLES], extra;
	for (int i = 0; i < CAP_HANDLES - 1; i++)
		assert_int_equal(fx_open(f, FUSE_OPEN, id, O_RDONLY, &fh[i]), 0);
	assert_int_equal(fx_open(f, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &fh[CAP_HANDLES - 1]), 0);
	assert_int_equal(count_fds(), fds0 + CAP_HANDLES);
	assert_int_equal(fx_open(f, FUSE_OPEN, id, O_RDONLY, &extra), -ENFILE);
	assert_int_equal(fx_open(f, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &extra), -ENFILE);
	/* CREATE at the handle cap: refused, and its inode dropped again. */
	size_t inodes = inode_table_count(&f->s->inodes);
	assert_int_equal(fx_create(f, FUSE_ROOT_ID, "c", O_RDWR, 0644, NULL, NULL), -ENFILE);
	assert_int_equal(inode_table_count(&f->s->inodes), inodes);
	assert_false(fx_host_exists(f, "c"));
	assert_int_equal(count_fds(), fds0 + CAP_HANDLES);
	/* Open handles keep working. */
	assert_int_equal(fx_read(f, FUSE_READ, id, fh[0], 0, 64), 4);
	assert_int_equal(fx_release(f, FUSE_RELEASE, id, fh[0]), 0);
	assert_int_equal(count_fds(), fds0 + CAP_HANDLES - 1);
	assert_int_equal(fx_open(f, FUSE_OPEN, id, O_RDONLY, &fh[0]), 0);
	assert_int_equal(fx_open(f, FUSE_OPEN, id, O_RDONLY, &extra), -ENFILE);
	for (int i = 0; i < CAP_HANDLES - 1; i++)
		assert_int_equal(fx_release(f, FUSE_RELEASE, id, fh[i]), 0);
	assert_int_equal(fx_release(f, FUSE_RELEASEDIR, FUSE_ROOT_ID, fh[CAP_HANDLES - 1]), 0);
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(handle_table_count(&f->s->handles), 0);
}

/* Freeing a server gives everything back to the process budget. */
static void test_free_gives_back(void **state)
{
	struct fx *f = *state;
	size_t held0 = fd_quota_process_held();
	uint64_t ids[CAP_INODES], fh;
	fill_inodes(f, ids, CAP_INODES);
	assert_int_equal(fx_open(f, FUSE_OPEN, ids[0], O_RDONLY, &fh), 0);
	assert_int_equal(fd_quota_process_held(), held0 + CAP_INODES + 1);
	int fds0 = count_fds();
	fuse_server_free(f->s);
	f->s = NULL;
	assert_int_equal(fd_quota_process_held(), held0);
	/* The inodes, the handle, the root and /proc/self/fd. */
	assert_int_equal(count_fds(), fds0 - CAP_INODES - 1 - 2);
	f->s = new_server(f->root, 0, 0);
}

static void test_budget_formula(void **state)
{
	(void)state;
	assert_int_equal(fd_quota_budget_for(1024), 1024 - 256 - 128);
	assert_int_equal(fd_quota_budget_for(400), 200);
	assert_int_equal(fd_quota_budget_for(64), 32);
	assert_int_equal(fd_quota_budget_for(1048576), 1048576 - 262144 - 128);
}

/* Under a low soft limit one greedy share stops at half of the free budget
 * and can still open files, a second share still gets fds, and the process
 * keeps its reserve. */
static void test_process_budget(void **state)
{
	struct fx *f = *state;
	struct rlimit saved;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	fuse_server_free(f->s);
	f->s = NULL;
	size_t held0 = fd_quota_process_held();
	assert_int_equal(held0, 0);
	struct rlimit low = {.rlim_cur = 400, .rlim_max = saved.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	/* Both servers see the budget of 400: 200 for all shares. */
	char root2[96];
	snprintf(root2, sizeof(root2), "%s/share2", f->base);
	assert_int_equal(mkdir(root2, 0755), 0);
	f->s = new_server(f->root, 1000, 1000);
	fx_raw_init(f, 7, 38, 0, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	struct fuse_server *s2 = new_server(root2, 1000, 1000);
	assert_int_equal(fd_quota_process_budget(), 200);
	/* Share 1 makes files until refused. */
	int made = 0;
	for (; made < 1000; made++) {
		char name[16];
		snprintf(name, sizeof(name), "g%d", made);
		fx_write_host(f, name, "x");
		int rc = fx_lookup(f, FUSE_ROOT_ID, name, NULL);
		if (rc == -ENFILE)
			break;
		assert_int_equal(rc, 0);
	}
	/* Inodes see 7/8 of the budget, 175: the share stops at half. */
	assert_int_equal(made, 88);
	/* Opening a file it holds still works: handles see all 200. */
	struct fuse_entry_out g0;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "g0", &g0), 0);
	uint64_t fh;
	assert_int_equal(fx_open(f, FUSE_OPEN, g0.nodeid, O_RDONLY, &fh), 0);
	assert_int_equal(fx_release(f, FUSE_RELEASE, g0.nodeid, fh), 0);
	/* Share 2 gets half of what is left. */
	struct fx f2 = *f;
	f2.s = s2;
	snprintf(f2.root, sizeof(f2.root), "%s", root2);
	fx_raw_init(&f2, 7, 38, 0, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	int made2 = 0;
	for (; made2 < 1000; made2++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", made2);
		fx_write_host(&f2, name, "x");
		int rc = fx_lookup(&f2, FUSE_ROOT_ID, name, NULL);
		if (rc == -ENFILE)
			break;
		assert_int_equal(rc, 0);
	}
	assert_int_equal(made2, 44);
	assert_int_equal(fd_quota_process_held(), 132);
	/* The process still has its reserve: 100 more fds open. */
	int spare[100];
	for (int i = 0; i < 100; i++)
		assert_true((spare[i] = dup(0)) >= 0);
	for (int i = 0; i < 100; i++)
		close(spare[i]);
	fuse_server_free(s2);
	assert_int_equal(fd_quota_process_held(), 88);
	/* Share 2 gone: share 1 is still at its half. */
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "g88", NULL), -ENFILE);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

/* The first server raised the soft limit to the hard one. */
static void test_soft_limit_raised(void **state)
{
	(void)state;
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(rl.rlim_cur == rl.rlim_max);
}

int main(void)
{
	/* Start from a lower soft limit, to see the first server raise it. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max > 512) {
		rl.rlim_cur = 512;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lookup_cap_and_forget, setup_caps, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_soft_limit_raised, setup_caps, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_creating_ops_at_cap, setup_caps, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_handle_cap, setup_caps, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_free_gives_back, setup_caps, fx_teardown),
	    cmocka_unit_test(test_budget_formula),
	    cmocka_unit_test_setup_teardown(test_process_budget, setup_caps, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
