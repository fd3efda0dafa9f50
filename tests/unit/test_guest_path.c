/* SPDX-License-Identifier: Apache-2.0 */
/* Lexical normalisation of guest paths and the nesting rule. */
#include "test_util.h"

#include "config/guest_path.h"

static void expect_normal(const char *in, const char *want)
{
	mvm_error *err = NULL;
	char *got = guest_path_normalize(in, "test path", &err);
	if (got == NULL)
		print_problems(err);
	assert_non_null(got);
	assert_null(err);
	assert_string_equal(got, want);
	free(got);
}

static void expect_bad(const char *in, const char *why)
{
	mvm_error *err = NULL;
	assert_null(guest_path_normalize(in, "test path", &err));
	char quoted[128];
	snprintf(quoted, sizeof(quoted), "`%s`", in);
	assert_error_has(err, "invalid test path", quoted, why);
	mvm_error_free(err);
}

static void test_already_normal(void **state)
{
	expect_normal("/data", "/data");
	expect_normal("/a/b/c", "/a/b/c");
	expect_normal("/", "/");
}

static void test_trailing_and_double_slashes(void **state)
{
	expect_normal("/data/", "/data");
	expect_normal("/data///", "/data");
	expect_normal("//a//b", "/a/b");
	expect_normal("///", "/");
}

static void test_dot_and_dotdot(void **state)
{
	expect_normal("/a/./b", "/a/b");
	expect_normal("/a/b/..", "/a");
	expect_normal("/a/b/../c/", "/a/c");
	expect_normal("/a/..", "/");
	expect_normal("/./.", "/");
	expect_normal("/a/../b/../c", "/c");
	/* Names that only start with dots are ordinary names. */
	expect_normal("/...", "/...");
	expect_normal("/a/..b/.c", "/a/..b/.c");
}

static void test_above_root_rejected(void **state)
{
	expect_bad("/..", "climbs above");
	expect_bad("/a/../..", "climbs above");
	expect_bad("/../a", "climbs above");
}

static void test_relative_rejected(void **state)
{
	expect_bad("data", "not an absolute guest path");
	expect_bad("./data", "not an absolute guest path");
	expect_bad("", "not an absolute guest path");
	expect_bad("b:c", "not an absolute guest path");
}

static void test_contains(void **state)
{
	assert_true(guest_path_contains("/app", "/app"));
	assert_true(guest_path_contains("/app", "/app/data"));
	assert_true(guest_path_contains("/a/b", "/a/b/c/d"));
	assert_false(guest_path_contains("/data", "/database"));
	assert_false(guest_path_contains("/database", "/data"));
	assert_false(guest_path_contains("/app/data", "/app"));
	assert_false(guest_path_contains("/a", "/b"));
	assert_true(guest_path_contains("/", "/anything"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_already_normal),
	    cmocka_unit_test(test_trailing_and_double_slashes),
	    cmocka_unit_test(test_dot_and_dotdot),
	    cmocka_unit_test(test_above_root_rejected),
	    cmocka_unit_test(test_relative_rejected),
	    cmocka_unit_test(test_contains),
	};
	return cmocka_run_group_tests_name("guest_path", tests, NULL, NULL);
}
