/* SPDX-License-Identifier: Apache-2.0 */
/* build(): the rules on host and guest paths. */
#include "test_util.h"

#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct fixture {
	char *dir;  /* a temp dir, also used as root */
	char *file; /* a plain file inside it */
	char *sub;  /* a sub directory */
	char *root; /* a sibling of sub, the root where sub is mapped */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = make_temp_dir();
	assert_true(asprintf(&f->file, "%s/file", f->dir) > 0);
	assert_true(asprintf(&f->sub, "%s/sub", f->dir) > 0);
	assert_true(asprintf(&f->root, "%s/root", f->dir) > 0);
	assert_int_equal(mkdir(f->root, 0755), 0);
	int fd = open(f->file, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mkdir(f->sub, 0755), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->file);
	free(f->sub);
	free(f->root);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static void test_root_required(void **state)
{
	mvm_builder *b = mvm_builder_new();
	mvm_error *err = NULL;
	mvm_builder_ram_mib(b, 64, &err);
	err = build_fails(b);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, "root path is required");
	mvm_error_free(err);
	mvm_builder_free(b);
}

static void test_root_resolved_to_absolute(void **state)
{
	struct fixture *f = *state;
	char *link = NULL;
	assert_true(asprintf(&link, "%s/link", f->dir) > 0);
	assert_int_equal(symlink("sub/./", link), 0);
	char *messy = NULL;
	assert_true(asprintf(&messy, "%s//link/", f->dir) > 0);
	mvm_builder *b = minimal_builder(messy);
	mvm_vm *vm = build_ok(b);
	assert_string_equal(vm->cfg.root_path, f->sub);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	free(messy);
	free(link);
}

static void test_relative_root_resolved(void **state)
{
	struct fixture *f = *state;
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	mvm_builder *b = minimal_builder("sub");
	mvm_vm *vm = build_ok(b);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(vm->cfg.root_path, f->sub);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void expect_bad_root(const char *root, const char *why)
{
	mvm_builder *b = minimal_builder(root);
	mvm_error *err = build_fails(b);
	assert_int_equal(mvm_error_count(err), 1);
	char quoted[4200];
	snprintf(quoted, sizeof(quoted), "`%s`", root);
	assert_error_has(err, "root path", quoted, why);
	mvm_error_free(err);
	mvm_builder_free(b);
}

static void test_bad_root(void **state)
{
	struct fixture *f = *state;
	expect_bad_root(f->file, "not a directory");
	expect_bad_root("/nonexistent/mvm/root", "No such file or directory");
	expect_bad_root("", "empty");
}

/* Builds with one mapped dir spec and returns the error (NULL on success;
 * then *guest_out gets the normalised guest path). */
static mvm_error *build_mapped(const char *root, const char *host, const char *guest,
			       char **host_out, char **guest_out)
{
	mvm_builder *b = minimal_builder(root);
	mvm_error *err = NULL;
	assert_int_equal(mvm_builder_mapped_dir_pair(b, host, guest, &err), 0);
	mvm_vm *vm = mvm_builder_build(b, &err);
	if (vm != NULL) {
		assert_int_equal(vm->cfg.n_mapped_dirs, 1);
		*host_out = strdup(vm->cfg.mapped_dirs[0].host);
		*guest_out = strdup(vm->cfg.mapped_dirs[0].guest);
	}
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return err;
}

static void test_mapped_dir_normalised(void **state)
{
	struct fixture *f = *state;
	char *host, *guest;
	char *messy_host = NULL;
	assert_true(asprintf(&messy_host, "%s/sub/../sub/", f->dir) > 0);
	assert_null(build_mapped(f->root, messy_host, "/guest//mount/./x/../", &host, &guest));
	assert_string_equal(host, f->sub);
	assert_string_equal(guest, "/guest/mount");
	free(host);
	free(guest);
	free(messy_host);
}

static void expect_bad_mapped(const char *root, const char *host, const char *guest,
			      const char *value, const char *why)
{
	char *h = NULL, *g = NULL;
	mvm_error *err = build_mapped(root, host, guest, &h, &g);
	assert_null(h);
	assert_non_null(err);
	assert_int_equal(mvm_error_count(err), 1);
	char quoted[4200];
	snprintf(quoted, sizeof(quoted), "`%s`", value);
	assert_error_has(err, "mapped dir", quoted, why);
	mvm_error_free(err);
}

static void test_bad_mapped_dirs(void **state)
{
	struct fixture *f = *state;
	expect_bad_mapped(f->root, f->file, "/g", f->file, "not a directory");
	expect_bad_mapped(f->root, "/nonexistent/x", "/g", "/nonexistent/x", "No such file");
	expect_bad_mapped(f->root, f->sub, "relative", "relative", "not an absolute");
	expect_bad_mapped(f->root, f->sub, "/", "/", "guest's `/`");
	expect_bad_mapped(f->root, f->sub, "/a/..", "/a/..", "guest's `/`");
	expect_bad_mapped(f->root, f->sub, "/..", "/..", "climbs above");
	expect_bad_mapped(f->root, f->sub, "/a/../../b", "/a/../../b", "climbs above");
}

static void test_mapped_dir_a_b_c(void **state)
{
	/* "a:b:c" parses as host "a", guest "b:c": a relative guest path, and
	 * (from this cwd) a host path that does not exist. Both are named. */
	struct fixture *f = *state;
	mvm_builder *b = minimal_builder(f->root);
	mvm_error *err = NULL;
	assert_int_equal(mvm_builder_mapped_dir(b, "a:b:c", &err), 0);
	err = build_fails(b);
	assert_int_equal(mvm_error_count(err), 2);
	assert_error_has(err, "`a`", "No such file");
	assert_error_has(err, "`b:c`", "not an absolute guest path");
	mvm_error_free(err);
	mvm_builder_free(b);
}

/* Builds with the given guest paths, mapped from sibling dirs sub/N. */
static mvm_error *build_guests(struct fixture *f, const char *const *guests, size_t n)
{
	mvm_builder *b = minimal_builder(f->root);
	mvm_error *err = NULL;
	for (size_t i = 0; i < n; i++) {
		char host[4096];
		snprintf(host, sizeof(host), "%s/%zu", f->sub, i);
		assert_true(mkdir(host, 0755) == 0 || errno == EEXIST);
		assert_int_equal(mvm_builder_mapped_dir_pair(b, host, guests[i], &err), 0);
	}
	mvm_vm *vm = mvm_builder_build(b, &err);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return err;
}

static void test_guest_conflicts(void **state)
{
	struct fixture *f = *state;
	const char *const ok[] = {"/data", "/database", "/app", "/application", "/x/y", "/x/z"};
	assert_null(build_guests(f, ok, 6));

	const char *const nested[] = {"/app", "/app/data"};
	mvm_error *err = build_guests(f, nested, 2);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, "`/app`", "`/app/data`", "nested");
	mvm_error_free(err);

	const char *const nested_rev[] = {"/a/b/c", "/a/"};
	err = build_guests(f, nested_rev, 2);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, "`/a`", "`/a/b/c`", "nested");
	mvm_error_free(err);

	/* Equal after normalisation: trailing slash, dot, dotdot. */
	const char *const dup[] = {"/data", "/data/", "/x/../data", "/./data"};
	err = build_guests(f, dup, 4);
	assert_int_equal(mvm_error_count(err), 6); /* every pair of the four */
	assert_error_has(err, "duplicate mapped dir guest path `/data`");
	mvm_error_free(err);
}

/* Builds root + mapped dirs given as host paths (guests /m0, /m1, ...). */
static mvm_error *build_hosts(const char *root, const char *const *hosts, size_t n)
{
	mvm_builder *b = minimal_builder(root);
	mvm_error *err = NULL;
	for (size_t i = 0; i < n; i++) {
		char guest[32];
		snprintf(guest, sizeof(guest), "/m%zu", i);
		assert_int_equal(mvm_builder_mapped_dir_pair(b, hosts[i], guest, &err), 0);
	}
	mvm_vm *vm = mvm_builder_build(b, &err);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return err;
}

/* Shares must not contain one another on the host (docs/security.md). */
static void test_host_overlaps_refused(void **state)
{
	struct fixture *f = *state;
	char a[4096], ab[4096], link[4096];
	snprintf(a, sizeof(a), "%s/a", f->sub);
	snprintf(ab, sizeof(ab), "%s/a/b", f->sub);
	snprintf(link, sizeof(link), "%s/alias", f->dir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(ab, 0755), 0);
	assert_int_equal(symlink(a, link), 0);

	const char *const ok[] = {f->sub};
	assert_null(build_hosts(f->root, ok, 1));

	const char *const twice[] = {a, a};
	mvm_error *err = build_hosts(f->root, twice, 2);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, "mapped dir host paths", a, "overlap");
	mvm_error_free(err);

	const char *const nested[] = {ab, a};
	err = build_hosts(f->root, nested, 2);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, "overlap", ab);
	mvm_error_free(err);

	/* Through a symlink: paths are compared once resolved. */
	const char *const aliased[] = {a, link};
	err = build_hosts(f->root, aliased, 2);
	assert_int_equal(mvm_error_count(err), 1);
	mvm_error_free(err);

	/* The root holding a mapped dir, and a mapped dir holding the root. */
	const char *const in_root[] = {ab};
	err = build_hosts(a, in_root, 1);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, "mapped dir host path", ab, "overlaps the root path", a);
	mvm_error_free(err);
	const char *const over_root[] = {f->dir};
	err = build_hosts(f->root, over_root, 1);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, "overlaps the root path");
	mvm_error_free(err);
}

static void expect_guest_path(const char *root, const char *workdir, const char *exec,
			      const char *want_workdir, const char *want_exec)
{
	mvm_builder *b = minimal_builder(root);
	mvm_error *err = NULL;
	if (workdir)
		assert_int_equal(mvm_builder_workdir_path(b, workdir, &err), 0);
	if (exec)
		assert_int_equal(mvm_builder_exec_path(b, exec, &err), 0);
	mvm_vm *vm = build_ok(b);
	if (want_workdir)
		assert_string_equal(vm->cfg.workdir_path, want_workdir);
	else
		assert_null(vm->cfg.workdir_path);
	if (want_exec)
		assert_string_equal(vm->cfg.exec_path, want_exec);
	else
		assert_null(vm->cfg.exec_path);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_workdir_and_exec(void **state)
{
	struct fixture *f = *state;
	expect_guest_path(f->dir, NULL, NULL, NULL, NULL);
	expect_guest_path(f->dir, "/workdir", "/bin/example", "/workdir", "/bin/example");
	expect_guest_path(f->dir, "/", "/x", "/", "/x");
	expect_guest_path(f->dir, "/a/b/../c/", NULL, "/a/c", NULL);
	/* Any byte but NUL: spaces, quotes, newlines, non-ASCII. */
	expect_guest_path(f->dir, "/w d\"\n", "/bin/my \"prog\"\n\xff", "/w d\"\n",
			  "/bin/my \"prog\"\n\xff");
}

static void expect_bad_program(const char *root, const char *workdir, const char *exec,
			       const char *needle1, const char *needle2)
{
	mvm_builder *b = minimal_builder(root);
	mvm_error *err = NULL;
	if (workdir)
		mvm_builder_workdir_path(b, workdir, &err);
	if (exec)
		mvm_builder_exec_path(b, exec, &err);
	assert_null(err);
	err = build_fails(b);
	assert_int_equal(mvm_error_count(err), 1);
	assert_error_has(err, needle1, needle2);
	mvm_error_free(err);
	mvm_builder_free(b);
}

static void test_bad_workdir_and_exec(void **state)
{
	struct fixture *f = *state;
	expect_bad_program(f->dir, "relative", NULL, "workdir `relative`", "not an absolute");
	expect_bad_program(f->dir, "", NULL, "workdir ``", "not an absolute");
	expect_bad_program(f->dir, "/..", NULL, "workdir `/..`", "climbs above");
	expect_bad_program(f->dir, NULL, "bin/sh", "exec path `bin/sh`", "not an absolute");
	expect_bad_program(f->dir, NULL, "", "exec path ``", "not an absolute");
}

static mvm_error *build_console(const char *root, const char *console, char **resolved)
{
	mvm_builder *b = minimal_builder(root);
	mvm_error *err = NULL;
	assert_int_equal(mvm_builder_console_output(b, console, &err), 0);
	mvm_vm *vm = mvm_builder_build(b, &err);
	if (vm)
		*resolved = strdup(vm->cfg.console_output);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return err;
}

static void test_console_output(void **state)
{
	struct fixture *f = *state;
	char *got = NULL, *want = NULL, *in = NULL;
	/* A new file in an existing directory; build() does not create it. */
	assert_true(asprintf(&in, "%s/./sub/../console.log", f->dir) > 0);
	assert_true(asprintf(&want, "%s/console.log", f->dir) > 0);
	assert_null(build_console(f->dir, in, &got));
	assert_string_equal(got, want);
	assert_int_equal(access(want, F_OK), -1);
	free(got);
	/* An existing file is fine too (it will be truncated or appended). */
	assert_null(build_console(f->dir, f->file, &got));
	assert_string_equal(got, f->file);
	free(got);
	free(want);
	free(in);
	/* A relative path is resolved against the cwd. */
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->sub), 0);
	mvm_error *err = build_console(f->dir, "out.log", &got);
	assert_int_equal(chdir(cwd), 0);
	assert_null(err);
	assert_true(asprintf(&want, "%s/out.log", f->sub) > 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* Directly below / the path gets no double slash. */
	if (access("/", W_OK | X_OK) == 0) {
		assert_null(build_console(f->dir, "/mvm-console-test.log", &got));
		assert_string_equal(got, "/mvm-console-test.log");
		free(got);
	}
}

static void expect_bad_console(const char *root, const char *console, const char *why)
{
	char *got = NULL;
	mvm_error *err = build_console(root, console, &got);
	assert_null(got);
	assert_int_equal(mvm_error_count(err), 1);
	char quoted[4200];
	snprintf(quoted, sizeof(quoted), "console output `%s`", console);
	assert_error_has(err, quoted, why);
	mvm_error_free(err);
}

static void test_bad_console_output(void **state)
{
	struct fixture *f = *state;
	char *p = NULL;
	expect_bad_console(f->dir, "", "empty");
	expect_bad_console(f->dir, "/nonexistent/dir/console.log", "No such file");
	assert_true(asprintf(&p, "%s/x", f->file) > 0);
	expect_bad_console(f->dir, p, "not a directory");
	free(p);
	expect_bad_console(f->dir, f->sub, "is a directory");
	assert_true(asprintf(&p, "%s/", f->sub) > 0);
	expect_bad_console(f->dir, p, "names a directory");
	free(p);
	assert_true(asprintf(&p, "%s/..", f->sub) > 0);
	expect_bad_console(f->dir, p, "names a directory");
	free(p);
}

/* An unwritable directory. root bypasses mode bits, so when the test runs
 * as root the check runs in a child that has dropped to nobody. */
static void test_unwritable_console_dir(void **state)
{
	struct fixture *f = *state;
	char *dir = NULL, *console = NULL;
	assert_true(asprintf(&dir, "%s/readonly", f->dir) > 0);
	assert_true(asprintf(&console, "%s/console.log", dir) > 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	if (geteuid() != 0)
		assert_int_equal(chmod(dir, 0555), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		char *got = NULL;
		mvm_error *err = build_console(f->dir, console, &got);
		int ok = err != NULL && mvm_error_count(err) == 1 &&
			 error_mentions(err, "not writable") && error_mentions(err, console);
		if (!ok)
			print_problems(err);
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	chmod(dir, 0755);
	free(dir);
	free(console);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_root_required),
	    cmocka_unit_test_setup_teardown(test_root_resolved_to_absolute, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relative_root_resolved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mapped_dir_normalised, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_mapped_dirs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mapped_dir_a_b_c, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guest_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_overlaps_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_workdir_and_exec, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_workdir_and_exec, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_console_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unwritable_console_dir, setup, teardown),
	};
	return cmocka_run_group_tests_name("build_paths", tests, NULL, NULL);
}
