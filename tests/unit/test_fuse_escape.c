/* SPDX-License-Identifier: Apache-2.0 */
/* A hostile guest tries to reach host files outside the shared directory:
 * through symlinks, "..", names with '/', renames and links. Each test
 * ends by checking that the file outside is untouched. */
#include "test_fuse_harness.h"

#include <sys/xattr.h>

static void plant_links(struct fx *f)
{
	char p[256], t[256];
	fx_path(f, "abs", p, sizeof(p));
	snprintf(t, sizeof(t), "%s/secret", f->outside);
	assert_int_equal(symlink(t, p), 0);
	fx_path(f, "rel", p, sizeof(p));
	assert_int_equal(symlink("../outside/secret", p), 0);
	fx_path(f, "dirlink", p, sizeof(p));
	assert_int_equal(symlink(f->outside, p), 0);
}

static void test_symlink_to_outside_file(void **state)
{
	struct fx *f = *state;
	plant_links(f);
	const char *names[] = {"abs", "rel"};
	for (int n = 0; n < 2; n++) {
		struct fuse_entry_out e;
		assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, names[n], &e), 0);
		/* The guest sees the link itself, never the host file behind it. */
		assert_true(S_ISLNK(e.attr.mode));
		assert_int_not_equal(e.attr.size, 9);
		uint64_t fh;
		assert_int_equal(fx_open(f, FUSE_OPEN, e.nodeid, O_RDONLY, &fh), -ELOOP);
		assert_int_equal(fx_open(f, FUSE_OPEN, e.nodeid, O_RDWR | O_TRUNC, &fh), -ELOOP);
		fx_call(f, FUSE_READLINK, e.nodeid, NULL, 0, &fx_r);
		assert_int_equal(fx_r.oh.error, 0);
		assert_int_equal(fx_r.body_len, e.attr.size);
		/* Attribute and xattr changes through the link. */
		struct fuse_setattr_in in = {.valid = FATTR_SIZE, .size = 0};
		assert_int_equal(fx_setattr(f, e.nodeid, &in, NULL), -EINVAL);
		in = (struct fuse_setattr_in){.valid = FATTR_MODE, .mode = 0777};
		assert_int_equal(fx_setattr(f, e.nodeid, &in, NULL), -EOPNOTSUPP);
		struct fuse_setxattr_in sx = {.size = 1};
		struct part sp[3] = {
		    {&sx, FUSE_COMPAT_SETXATTR_IN_SIZE}, PART_STR("user.x"), {"1", 1}};
		fx_call(f, FUSE_SETXATTR, e.nodeid, sp, 3, &fx_r);
		assert_int_equal(fx_r.oh.error, -EPERM);
		struct fuse_getxattr_in gx = {.size = 100};
		struct part gp[2] = {{&gx, sizeof(gx)}, PART_STR("user.x")};
		fx_call(f, FUSE_GETXATTR, e.nodeid, gp, 2, &fx_r);
		assert_int_equal(fx_r.oh.error, -ENODATA);
		/* A symlink is no directory to look up in. */
		assert_int_equal(fx_lookup(f, e.nodeid, "secret", NULL), -ENOTDIR);
		/* CREATE over the link name must not create through it. */
		int rc = fx_create(f, FUSE_ROOT_ID, names[n], O_RDWR | O_TRUNC, 0666, NULL, NULL);
		assert_true(rc == -ELOOP || rc == -EEXIST);
		assert_int_equal(
		    fx_create(f, FUSE_ROOT_ID, names[n], O_RDWR | O_EXCL, 0666, NULL, NULL),
		    -EEXIST);
	}
	fx_assert_secret_intact(f);
}

static void test_link_to_symlink_links_the_symlink(void **state)
{
	struct fx *f = *state;
	plant_links(f);
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "abs", &e), 0);
	struct fuse_link_in in = {.oldnodeid = e.nodeid};
	struct part p[2] = {{&in, sizeof(in)}, PART_STR("hardlink")};
	fx_call(f, FUSE_LINK, FUSE_ROOT_ID, p, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);
	struct stat st, secret;
	fx_host_stat(f, "hardlink", &st);
	assert_true(S_ISLNK(st.st_mode)); /* a second name of the link, not of the target */
	char sp[160];
	snprintf(sp, sizeof(sp), "%s/secret", f->outside);
	assert_int_equal(stat(sp, &secret), 0);
	assert_int_not_equal(st.st_ino, secret.st_ino);
	assert_int_equal(secret.st_nlink, 1);
	/* Link to a new name that tries to leave the share. */
	struct part q[2] = {{&in, sizeof(in)}, PART_STR("../outside/x")};
	fx_call(f, FUSE_LINK, FUSE_ROOT_ID, q, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	fx_assert_secret_intact(f);
}

static void test_symlinked_directory(void **state)
{
	struct fx *f = *state;
	plant_links(f);
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "dirlink", &e), 0);
	assert_true(S_ISLNK(e.attr.mode));
	assert_int_equal(fx_lookup(f, e.nodeid, "secret", NULL), -ENOTDIR);
	uint64_t fh;
	assert_int_equal(fx_open(f, FUSE_OPENDIR, e.nodeid, O_RDONLY, &fh), -ENOTDIR);
	assert_int_equal(fx_mkdir(f, e.nodeid, "new", 0755, NULL), -ENOTDIR);
	assert_int_equal(fx_create(f, e.nodeid, "new", O_RDWR, 0644, NULL, NULL), -ENOTDIR);
	assert_int_equal(fx_name_op(f, FUSE_UNLINK, e.nodeid, "secret"), -ENOTDIR);
	/* Rename a file into the symlinked directory. */
	fx_write_host(f, "f", "x");
	struct fuse_rename_in rin = {.newdir = e.nodeid};
	struct part p[3] = {{&rin, sizeof(rin)}, PART_STR("f"), PART_STR("f")};
	fx_call(f, FUSE_RENAME, FUSE_ROOT_ID, p, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -ENOTDIR);
	/* And the secret out of it. */
	rin.newdir = FUSE_ROOT_ID;
	struct part q[3] = {{&rin, sizeof(rin)}, PART_STR("secret"), PART_STR("stolen")};
	fx_call(f, FUSE_RENAME, e.nodeid, q, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -ENOTDIR);
	assert_false(fx_host_exists(f, "stolen"));
	char op[160];
	snprintf(op, sizeof(op), "%s/f", f->outside);
	assert_int_equal(access(op, F_OK), -1);
	fx_assert_secret_intact(f);
}

/* The guest kernel resolves "." and ".." itself; only a server offering
 * EXPORT_SUPPORT is asked for them, and we do not. A hostile kernel that
 * asks anyway is refused everywhere, the root included. */
static void test_dots_refused_in_lookup(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out sub;
	assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, "sub", 0755, &sub), 0);
	const uint64_t dirs[] = {FUSE_ROOT_ID, sub.nodeid};
	for (int d = 0; d < 2; d++) {
		assert_int_equal(fx_lookup(f, dirs[d], "..", NULL), -EINVAL);
		assert_int_equal(fx_lookup(f, dirs[d], ".", NULL), -EINVAL);
	}
	/* The root's listing shows the share, not its parent. */
	struct fuse_entry_out o;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "outside", &o), -ENOENT);
}

/* Two shares that overlap on the host (build() refuses that now, but a
 * library user can still make two servers so): share B is share A's
 * "data". The guest holds B's inode of data/x, then renames x out of data
 * through A. B's inode now lies outside B; on 7dfb5e5 a LOOKUP of ".." on
 * it reached share A's root (outside B) and, one more, the host above. */
static void test_dotdot_after_rename_out_of_share(void **state)
{
	struct fx *f = *state;
	struct fx b = *f;
	assert_true(snprintf(b.root, sizeof(b.root), "%s/data", f->root) < (int)sizeof(b.root));
	const char *data = b.root;
	assert_int_equal(mkdir(data, 0755), 0);
	struct fuse_server_opts o = {.root_dir = data};
	mvm_error *err = NULL;
	b.s = fuse_server_new(&o, &err);
	assert_non_null(b.s);
	struct reply *r = malloc(sizeof(*r));
	assert_non_null(r);
	fx_raw_init(&b, 7, 38, FUSE_ASYNC_READ, r);
	assert_int_equal(r->oh.error, 0);
	free(r);

	struct fuse_entry_out x_in_b, data_in_a;
	assert_int_equal(fx_mkdir(&b, FUSE_ROOT_ID, "x", 0755, &x_in_b), 0);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "data", &data_in_a), 0);
	struct fuse_rename_in rin = {.newdir = FUSE_ROOT_ID};
	struct part p[3] = {{&rin, sizeof(rin)}, PART_STR("x"), PART_STR("x")};
	fx_call(f, FUSE_RENAME, data_in_a.nodeid, p, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, 0);

	struct fuse_entry_out up;
	assert_int_equal(fx_lookup(&b, x_in_b.nodeid, "..", &up), -EINVAL);
	/* Names in the moved directory itself still resolve only inside it. */
	assert_int_equal(fx_lookup(&b, x_in_b.nodeid, "share", NULL), -ENOENT);
	assert_int_equal(fx_lookup(&b, x_in_b.nodeid, "outside", NULL), -ENOENT);
	fuse_server_free(b.s);
	fx_assert_secret_intact(f);
}

static void test_names_with_slashes_and_dots(void **state)
{
	struct fx *f = *state;
	const char *bad[] = {"../outside", "../outside/secret", "a/b", "/etc/passwd", "/", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, bad[i], NULL), -EINVAL);
		assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, bad[i], 0755, NULL), -EINVAL);
		assert_int_equal(fx_create(f, FUSE_ROOT_ID, bad[i], O_RDWR, 0644, NULL, NULL),
				 -EINVAL);
		assert_int_equal(fx_name_op(f, FUSE_UNLINK, FUSE_ROOT_ID, bad[i]), -EINVAL);
		assert_int_equal(fx_name_op(f, FUSE_RMDIR, FUSE_ROOT_ID, bad[i]), -EINVAL);
	}
	/* "." and ".." cannot be created, removed or renamed. */
	const char *dots[] = {".", ".."};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, dots[i], 0755, NULL), -EINVAL);
		assert_int_equal(fx_create(f, FUSE_ROOT_ID, dots[i], O_RDWR, 0644, NULL, NULL),
				 -EINVAL);
		assert_int_equal(fx_name_op(f, FUSE_RMDIR, FUSE_ROOT_ID, dots[i]), -EINVAL);
		struct part sp[2] = {PART_STR(dots[i]), PART_STR("x")};
		fx_call(f, FUSE_SYMLINK, FUSE_ROOT_ID, sp, 2, &fx_r);
		assert_int_equal(fx_r.oh.error, -EINVAL);
		struct fuse_mknod_in mn = {.mode = S_IFREG | 0644};
		struct part mp[2] = {{&mn, sizeof(mn)}, PART_STR(dots[i])};
		fx_call(f, FUSE_MKNOD, FUSE_ROOT_ID, mp, 2, &fx_r);
		assert_int_equal(fx_r.oh.error, -EINVAL);
	}
	/* Renames whose target tries to climb out. */
	fx_write_host(f, "f", "x");
	struct fuse_rename_in rin = {.newdir = FUSE_ROOT_ID};
	struct part p[3] = {{&rin, sizeof(rin)}, PART_STR("f"), PART_STR("../outside/f")};
	fx_call(f, FUSE_RENAME, FUSE_ROOT_ID, p, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	struct part q[3] = {{&rin, sizeof(rin)}, PART_STR(".."), PART_STR("parent")};
	fx_call(f, FUSE_RENAME, FUSE_ROOT_ID, q, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -EINVAL);
	rin.newdir = 0xdeadbeef; /* a directory the guest was never given */
	struct part r[3] = {{&rin, sizeof(rin)}, PART_STR("f"), PART_STR("g")};
	fx_call(f, FUSE_RENAME, FUSE_ROOT_ID, r, 3, &fx_r);
	assert_int_equal(fx_r.oh.error, -EBADF);
	assert_true(fx_host_exists(f, "f"));
	char op[160];
	snprintf(op, sizeof(op), "%s/f", f->outside);
	assert_int_equal(access(op, F_OK), -1);
	fx_assert_secret_intact(f);
}

static void test_name_length_limits(void **state)
{
	struct fx *f = *state;
	char name[NAME_MAX + 2];
	memset(name, 'a', NAME_MAX);
	name[NAME_MAX] = 0;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, name, NULL), -ENOENT);
	assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, name, 0755, NULL), 0);
	name[NAME_MAX] = 'a';
	name[NAME_MAX + 1] = 0;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, name, NULL), -ENAMETOOLONG);
	assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, name, 0755, NULL), -ENAMETOOLONG);
	/* A symlink target longer than PATH_MAX - 1. */
	char *target = malloc(PATH_MAX + 1);
	memset(target, 'x', PATH_MAX);
	target[PATH_MAX] = 0;
	struct part sp[2] = {PART_STR("long"), PART_STR(target)};
	fx_call(f, FUSE_SYMLINK, FUSE_ROOT_ID, sp, 2, &fx_r);
	assert_int_equal(fx_r.oh.error, -ENAMETOOLONG);
	free(target);
}

static void test_stale_and_forged_ids(void **state)
{
	struct fx *f = *state;
	fx_write_host(f, "f", "x");
	struct fuse_entry_out e;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f", &e), 0);
	fx_forget(f, e.nodeid, 1);
	uint64_t ids[] = {0, e.nodeid, e.nodeid + 1, 0xffffffffffffffffULL, 1ULL << 63};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(fx_getattr(f, ids[i], NULL), -EBADF);
		assert_int_equal(fx_lookup(f, ids[i], "f", NULL), -EBADF);
		uint64_t fh;
		assert_int_equal(fx_open(f, FUSE_OPEN, ids[i], O_RDONLY, &fh), -EBADF);
		fx_call(f, FUSE_READLINK, ids[i], NULL, 0, &fx_r);
		assert_int_equal(fx_r.oh.error, -EBADF);
		fx_call(f, FUSE_STATFS, ids[i], NULL, 0, &fx_r);
		assert_int_equal(fx_r.oh.error, -EBADF);
		struct fuse_link_in li = {.oldnodeid = ids[i]};
		struct part lp[2] = {{&li, sizeof(li)}, PART_STR("l")};
		fx_call(f, FUSE_LINK, FUSE_ROOT_ID, lp, 2, &fx_r);
		assert_int_equal(fx_r.oh.error, -EBADF);
		fx_forget(f, ids[i], 5);
	}
	uint64_t fhs[] = {0, 1, 2, 77777, UINT64_MAX};
	for (size_t i = 0; i < sizeof(fhs) / sizeof(fhs[0]); i++) {
		assert_int_equal(fx_read(f, FUSE_READ, FUSE_ROOT_ID, fhs[i], 0, 10), -EBADF);
		assert_int_equal(fx_write(f, FUSE_ROOT_ID, fhs[i], 0, "x", 1, NULL), -EBADF);
		assert_int_equal(fx_read(f, FUSE_READDIR, FUSE_ROOT_ID, fhs[i], 0, 100), -EBADF);
		assert_int_equal(fx_release(f, FUSE_RELEASE, FUSE_ROOT_ID, fhs[i]), -EBADF);
		assert_int_equal(fx_release(f, FUSE_RELEASEDIR, FUSE_ROOT_ID, fhs[i]), -EBADF);
		struct fuse_lseek_in ls = {.fh = fhs[i], .whence = SEEK_DATA};
		struct part p = {&ls, sizeof(ls)};
		fx_call(f, FUSE_LSEEK, FUSE_ROOT_ID, &p, 1, &fx_r);
		assert_int_equal(fx_r.oh.error, -EBADF);
	}
	/* The root survives any number of FORGETs. */
	fx_forget(f, FUSE_ROOT_ID, UINT64_MAX);
	assert_int_equal(fx_getattr(f, FUSE_ROOT_ID, NULL), 0);
	fx_assert_secret_intact(f);
}

static void test_mount_point_key_uses_dev(void **state)
{
	/* Files on different filesystems with the same inode number must be
	 * different inodes. Mounting needs privileges tests should not use,
	 * so this checks the table directly. */
	(void)state;
	struct inode_table t;
	assert_int_equal(inode_table_init(&t), 0);
	int fd1 = open("/", O_PATH), fd2 = open("/", O_PATH), fd3 = open("/", O_PATH);
	struct fuse_inode *a = inode_lookup_insert(&t, fd1, 1, 42, S_IFREG);
	struct fuse_inode *b = inode_lookup_insert(&t, fd2, 2, 42, S_IFREG);
	struct fuse_inode *c = inode_lookup_insert(&t, fd3, 1, 42, S_IFREG);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(a, c);
	assert_int_equal(a->nlookup, 2);
	inode_put(&t, a);
	inode_put(&t, b);
	inode_put(&t, c);
	assert_int_equal(inode_table_count(&t), 2);
	inode_forget(&t, a->nodeid, 2);
	assert_int_equal(inode_table_count(&t), 1);
	inode_table_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_symlink_to_outside_file, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_link_to_symlink_links_the_symlink, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_symlinked_directory, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_dots_refused_in_lookup, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_dotdot_after_rename_out_of_share, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_names_with_slashes_and_dots, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_name_length_limits, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_stale_and_forged_ids, fx_setup, fx_teardown),
	    cmocka_unit_test(test_mount_point_key_uses_dev),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
