/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of `mvm run IMAGE`: layers grafted into one read-only
 * share, files read from the merged root (whiteouts, opaque dirs), and the
 * program's user resolved in /etc/passwd and /etc/group. */
#include "test_fuse_harness.h"

#include "config/guest_user.h"
#include "image/image_run.h"
#include "util/override_stat.h"

#include <sys/xattr.h>

/* ---- Grafts -------------------------------------------------------- */

/* Two layer dirs in outside/, grafted as "0" and "1" of a read-only
 * virtual share whose own root has "0", "00" and "9" of its own. */
static int graft_setup(void **state)
{
	fx_setup_mode(state, true, false, MVM_SHARE_VIRTUAL);
	struct fx *f = *state;
	fuse_server_free(f->s);
	char l0[160], l1[160], p[200];
	snprintf(l0, sizeof(l0), "%s/l0", f->outside);
	snprintf(l1, sizeof(l1), "%s/l1", f->outside);
	assert_int_equal(mkdir(l0, 0755), 0);
	assert_int_equal(mkdir(l1, 0755), 0);
	snprintf(p, sizeof(p), "%s/bottom", l0);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/top", l1);
	assert_int_equal(mkdir(p, 0755), 0);
	for (const char *d = "0\0" "00\0" "9\0"; *d; d += strlen(d) + 1) {
		fx_path(f, d, p, sizeof(p));
		assert_int_equal(mkdir(p, 0755), 0);
	}
	const char *grafts[] = {l0, l1};
	struct fuse_server_opts o = {.root_dir = f->root,
				     .read_only = true,
				     .share_mode = MVM_SHARE_VIRTUAL,
				     .grafts = grafts,
				     .n_grafts = 2};
	mvm_error *err = NULL;
	f->s = fuse_server_new(&o, &err);
	if (f->s == NULL)
		fail_msg("fuse_server_new: %s", mvm_error_get_message(err));
	struct reply *r = malloc(sizeof(*r));
	fx_raw_init(f, 7, 38, FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES, r);
	assert_int_equal(r->oh.error, 0);
	free(r);
	return 0;
}

static void test_grafts_replace_root_entries(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out e0, e1;
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "0", &e0), 0);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "1", &e1), 0);
	assert_true(e0.nodeid != e1.nodeid);
	struct fuse_entry_out e;
	/* Below each graft is that layer, not the root's own "0". */
	assert_int_equal(fx_lookup(f, e0.nodeid, "bottom", &e), 0);
	assert_int_equal(fx_lookup(f, e0.nodeid, "top", NULL), -ENOENT);
	assert_int_equal(fx_lookup(f, e1.nodeid, "top", &e), 0);
	/* Only canonical numbers below the count are grafts: "00" and "9"
	 * are the root's own, "2" is nothing. */
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "00", &e), 0);
	assert_true(e.nodeid != e0.nodeid);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "9", &e), 0);
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "2", NULL), -ENOENT);
	/* Grafts are found in the root only. */
	assert_int_equal(fx_lookup(f, e1.nodeid, "0", NULL), -ENOENT);
	/* And the share is read-only, grafts included. */
	assert_int_equal(fx_mkdir(f, e0.nodeid, "new", 0755, NULL), -EROFS);
	char p[200];
	snprintf(p, sizeof(p), "%s/l0/new", f->outside);
	assert_false(access(p, F_OK) == 0);
}

/* A share only the guest changes may cache misses: nodeid 0 with the
 * entry timeout, which the kernel keeps as a negative dentry. */
static void test_cached_miss(void **state)
{
	struct fx *f = *state;
	fuse_server_free(f->s);
	struct fuse_server_opts o = {.root_dir = f->root,
				     .share_mode = MVM_SHARE_VIRTUAL,
				     .cache_timeout_ms = 3600500,
				     .cache_negative = true};
	mvm_error *err = NULL;
	f->s = fuse_server_new(&o, &err);
	assert_non_null(f->s);
	struct reply *r = malloc(sizeof(*r));
	fx_raw_init(f, 7, 38, FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES, r);
	free(r);
	struct fuse_entry_out e;
	memset(&e, 0xff, sizeof(e));
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "missing", &e), 0);
	assert_int_equal(e.nodeid, 0);
	assert_int_equal(e.entry_valid, 3600);
	assert_int_equal(e.entry_valid_nsec, 500000000);
	/* Other errors stay errors, and a found name is a real entry. */
	fx_write_host(f, "file", "x");
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "file", &e), 0);
	assert_true(e.nodeid > FUSE_ROOT_ID);
	struct fuse_entry_out fe;
	assert_int_equal(fx_lookup(f, e.nodeid, "below-a-file", &fe), -ENOTDIR);
}

static void test_graft_that_is_not_a_dir(void **state)
{
	(void)state;
	const char *grafts[] = {"/nonexistent-layer-dir"};
	char root[] = "/tmp/mvm-graft-XXXXXX";
	assert_non_null(mkdtemp(root));
	struct fuse_server_opts o = {.root_dir = root, .read_only = true, .grafts = grafts,
				     .n_grafts = 1};
	mvm_error *err = NULL;
	assert_null(fuse_server_new(&o, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "/nonexistent-layer-dir"));
	mvm_error_free(err);
	rmdir(root);
}

/* ---- Files of the merged root ------------------------------------- */

struct layers {
	char base[64];
	char dir[3][96]; /* [0] the top */
};

static void put(const char *dir, const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	/* Parents first. */
	for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void whiteout(const char *dir, const char *rel)
{
	put(dir, rel, "");
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	const char *v = "0:0:00:char-0-0";
	assert_int_equal(setxattr(p, OVERRIDE_STAT_XATTR, v, strlen(v), 0), 0);
}

static int layers_setup(void **state)
{
	struct layers *l = calloc(1, sizeof(*l));
	strcpy(l->base, "/tmp/mvm-root-read-XXXXXX");
	assert_non_null(mkdtemp(l->base));
	for (int i = 0; i < 3; i++) {
		char d[96];
		snprintf(d, sizeof(d), "%s/%d", l->base, i);
		memcpy(l->dir[i], d, sizeof(d));
		assert_int_equal(mkdir(l->dir[i], 0755), 0);
	}
	*state = l;
	return 0;
}

static int layers_teardown(void **state)
{
	struct layers *l = *state;
	nftw(l->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(l);
	return 0;
}

static int read_root(struct layers *l, const char *rel, char **text)
{
	const char *dirs[] = {l->dir[0], l->dir[1], l->dir[2]};
	size_t len;
	mvm_error *err = NULL;
	*text = NULL;
	int rc = image_root_read(dirs, 3, rel, 1024, text, &len, &err);
	if (rc < 0) {
		rc = mvm_error_get_errno(err) ? -mvm_error_get_errno(err) : -1000;
		mvm_error_free(err);
	}
	return rc;
}

static void test_root_read_layers(void **state)
{
	struct layers *l = *state;
	char *t;
	put(l->dir[2], "etc/passwd", "bottom\n");
	assert_int_equal(read_root(l, "etc/passwd", &t), 0);
	assert_string_equal(t, "bottom\n");
	free(t);
	put(l->dir[1], "etc/passwd", "middle\n");
	assert_int_equal(read_root(l, "etc/passwd", &t), 0);
	assert_string_equal(t, "middle\n");
	free(t);
	/* A whiteout on top hides both. */
	whiteout(l->dir[0], "etc/passwd");
	assert_int_equal(read_root(l, "etc/passwd", &t), 1);
	assert_null(t);
	assert_int_equal(read_root(l, "etc/none", &t), 1);
}

static void test_root_read_hidden_dirs(void **state)
{
	struct layers *l = *state;
	char *t, p[256];
	put(l->dir[2], "etc/group", "bottom\n");
	put(l->dir[2], "etc/other", "x");
	/* An opaque etc/ in the middle hides the bottom's etc/group. */
	put(l->dir[1], "etc/other", "y");
	snprintf(p, sizeof(p), "%s/etc", l->dir[1]);
	assert_int_equal(setxattr(p, "user.mvm.trusted.overlay.opaque", "y", 1, 0), 0);
	assert_int_equal(read_root(l, "etc/group", &t), 1);
	assert_int_equal(read_root(l, "etc/other", &t), 0);
	assert_string_equal(t, "y");
	free(t);
	/* A file where a directory was hides the directory below. */
	put(l->dir[0], "etc", "not a dir");
	assert_int_equal(read_root(l, "etc/other", &t), 1);
}

static void test_root_read_refuses(void **state)
{
	struct layers *l = *state;
	char *t, p[256], target[256];
	/* A symlink in a layer is never followed, even to a file of the
	 * layer: on the host a layer holds none, so one is planted. */
	put(l->dir[1], "etc/real", "secret");
	snprintf(p, sizeof(p), "%s/etc/passwd", l->dir[1]);
	snprintf(target, sizeof(target), "%s/etc/real", l->dir[1]);
	assert_int_equal(symlink(target, p), 0);
	put(l->dir[2], "etc/passwd", "bottom\n");
	assert_int_equal(read_root(l, "etc/passwd", &t), 1);
	/* A guest symlink (a host file with the symlink type) is no file. */
	put(l->dir[0], "etc/group", "/etc/real");
	snprintf(p, sizeof(p), "%s/etc/group", l->dir[0]);
	const char *v = "0:0:0777:symlink";
	assert_int_equal(setxattr(p, OVERRIDE_STAT_XATTR, v, strlen(v), 0), 0);
	assert_int_equal(read_root(l, "etc/group", &t), 1);
	/* Larger than max: an error naming the file, not a truncated read. */
	char big[2048];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(l->dir[0], "etc/big", big);
	assert_int_equal(read_root(l, "etc/big", &t), -EFBIG);
}

/* ---- Users --------------------------------------------------------- */

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment:x:5:5\n"
			     "broken line\n"
			     "app:x:1000:1001::/home/app:/bin/sh\n"
			     "bad:x:notanumber:1:::\n"
			     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false";
static const char group[] = "root:x:0:\nstaff:x:50:app\nnogroup:x:65534:\n";

static int resolve(const char *spec, const char *pw, const char *gr, uint32_t *u, uint32_t *g,
		   char *msg, size_t len)
{
	mvm_error *err = NULL;
	int rc = guest_user_resolve(spec, pw, gr, u, g, &err);
	if (rc < 0) {
		snprintf(msg, len, "%s", mvm_error_get_message(err));
		mvm_error_free(err);
	}
	return rc;
}

static void expect_ids(const char *spec, const char *pw, const char *gr, uint32_t uid, uint32_t gid)
{
	uint32_t u = 99, g = 99;
	char msg[256] = "";
	if (resolve(spec, pw, gr, &u, &g, msg, sizeof(msg)) < 0)
		fail_msg("`%s`: %s", spec, msg);
	assert_int_equal(u, uid);
	assert_int_equal(g, gid);
}

static void expect_bad(const char *spec, const char *pw, const char *gr, const char *want)
{
	uint32_t u = 99, g = 99;
	char msg[256] = "";
	assert_int_equal(resolve(spec, pw, gr, &u, &g, msg, sizeof(msg)), -1);
	if (strstr(msg, want) == NULL)
		fail_msg("`%s`: got \"%s\", want \"%s\"", spec, msg, want);
	assert_int_equal(u, 99);
}

static void test_user_forms(void **state)
{
	(void)state;
	expect_ids("root", passwd, group, 0, 0);
	expect_ids("app", passwd, group, 1000, 1001);
	expect_ids("nobody", passwd, group, 65534, 65534); /* the last line, no newline */
	expect_ids("1000", passwd, group, 1000, 1001);	   /* a known uid: its group */
	expect_ids("4242", passwd, group, 4242, 0);	   /* an unknown one: 0 */
	expect_ids("4242", NULL, NULL, 4242, 0);
	expect_ids("app:staff", passwd, group, 1000, 50);
	expect_ids("app:7", passwd, group, 1000, 7);
	expect_ids("7:8", NULL, NULL, 7, 8);
	expect_ids("4294967294:4294967294", NULL, NULL, 4294967294u, 4294967294u);
}

static void test_user_refused(void **state)
{
	(void)state;
	expect_bad("ghost", passwd, group, "no user `ghost` in the guest's /etc/passwd");
	expect_bad("app", NULL, group, "it has no /etc/passwd");
	expect_bad("app:ghosts", passwd, group, "no group `ghosts`");
	expect_bad("app:staff", passwd, NULL, "it has no /etc/group");
	expect_bad("bad", passwd, group, "no user `bad`");       /* uid not a number */
	expect_bad("# a comment", passwd, group, "no user");      /* comments are no users */
	expect_bad("4294967295", NULL, NULL, "uid out of range"); /* (uid_t)-1 */
	expect_bad("1:4294967295", NULL, NULL, "gid out of range");
	expect_bad("", NULL, NULL, "invalid user ``");
	expect_bad(":1", NULL, NULL, "invalid user");
	expect_bad("1:", NULL, NULL, "invalid user");
	/* A user named like a prefix of a line is not that line. */
	expect_bad("ap", passwd, group, "no user `ap`");
	expect_bad("roo", passwd, group, "no user `roo`");
}

/* ---- The builder ------------------------------------------------- */

static void test_builder_image_rules(void **state)
{
	(void)state;
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	assert_int_equal(mvm_builder_ram_mib(b, 64, &err), 0);
	assert_int_equal(mvm_builder_image(b, "/nonexistent-store", "alpine", &err), 0);
	assert_int_equal(mvm_builder_root_path(b, "/", &err), 0);
	assert_null(mvm_builder_build(b, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "not both"));
	mvm_error_free(err);
	err = NULL;
	/* NULLs are errors, not crashes. */
	assert_int_equal(mvm_builder_image(b, NULL, NULL, &err), -1);
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_entrypoint(b, NULL, 1, &err), -1);
	mvm_error_free(err);
	err = NULL;
	const char *with_null[] = {"/bin/sh", NULL};
	assert_int_equal(mvm_builder_entrypoint(b, with_null, 2, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "argument 1 is NULL"));
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_user(NULL, "root", &err), -1);
	mvm_error_free(err);
	mvm_builder_free(b);

	/* Without an image, image-only settings are refused; a user is
	 * resolved in the root path's /etc/passwd. */
	char root[] = "/tmp/mvm-user-root-XXXXXX", p[96];
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	put(root, "etc/passwd", "app:x:10:20::/:/bin/sh\n");
	err = NULL;
	b = mvm_builder_new();
	mvm_builder_ram_mib(b, 64, &err);
	mvm_builder_root_path(b, root, &err);
	const char *ep[] = {"/bin/sh"};
	mvm_builder_entrypoint(b, ep, 1, &err);
	mvm_builder_upper_dir(b, root, &err);
	mvm_builder_upper_tmpfs(b, false, &err);
	mvm_builder_user(b, "app:30", &err);
	assert_null(err);
	assert_null(mvm_builder_build(b, &err));
	assert_int_equal(mvm_error_count(err), 3);
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_entrypoint(b, NULL, 0, &err), 0); /* none: argv unused */
	mvm_error_free(err);
	mvm_builder_free(b);
	b = mvm_builder_new();
	err = NULL;
	mvm_builder_ram_mib(b, 64, &err);
	mvm_builder_root_path(b, root, &err);
	mvm_builder_user(b, "app:30", &err);
	mvm_vm *vm = mvm_builder_build(b, &err);
	assert_non_null(vm);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"user\":\"10:30\""));
	free(json);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc", root);
	rmdir(p);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_grafts_replace_root_entries, graft_setup,
					    fx_teardown),
	    cmocka_unit_test(test_graft_that_is_not_a_dir),
	    cmocka_unit_test_setup_teardown(test_cached_miss, graft_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_root_read_layers, layers_setup, layers_teardown),
	    cmocka_unit_test_setup_teardown(test_root_read_hidden_dirs, layers_setup,
					    layers_teardown),
	    cmocka_unit_test_setup_teardown(test_root_read_refuses, layers_setup, layers_teardown),
	    cmocka_unit_test(test_user_forms),
	    cmocka_unit_test(test_user_refused),
	    cmocka_unit_test(test_builder_image_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
