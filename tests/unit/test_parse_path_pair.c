/* SPDX-License-Identifier: Apache-2.0 */
/* mvm_path_pair_parse: "host:guest" or "path", split at the first ':'. */
#include "test_util.h"

static void expect_pair(const char *spec, const char *host, const char *guest)
{
	mvm_error *err = NULL;
	mvm_path_pair p = {0};
	assert_int_equal(mvm_path_pair_parse(spec, &p, &err), 0);
	assert_null(err);
	assert_string_equal(p.host, host);
	assert_string_equal(p.guest, guest);
	mvm_path_pair_clear(&p);
	assert_null(p.host);
	assert_null(p.guest);
}

static void expect_bad(const char *spec, const char *why)
{
	mvm_error *err = NULL;
	mvm_path_pair p = {0};
	assert_int_equal(mvm_path_pair_parse(spec, &p, &err), -1);
	assert_null(p.host);
	assert_int_equal(mvm_error_count(err), 1);
	assert_int_equal(mvm_error_get_code(err), MVM_ERR_INVALID);
	assert_error_has(err, "mapped dir", why);
	mvm_error_free(err);
}

static void test_host_and_guest(void **state)
{
	expect_pair("/home:/guest/mount", "/home", "/guest/mount");
	expect_pair("./:/app", "./", "/app");
	expect_pair("/data:/mnt/data", "/data", "/mnt/data");
}

static void test_single_path_is_both_sides(void **state)
{
	expect_pair("/shared", "/shared", "/shared");
	expect_pair("relative", "relative", "relative");
}

static void test_split_at_first_colon(void **state)
{
	/* The guest side keeps later colons; build() then rejects it as a
	 * relative guest path, but the parser follows the reference. */
	expect_pair("a:b:c", "a", "b:c");
	expect_pair("/h:/g:x", "/h", "/g:x");
}

static void test_paths_keep_any_bytes(void **state)
{
	expect_pair("/with space:/and\ttab", "/with space", "/and\ttab");
	expect_pair("/\xc3\xa9t\xc3\xa9:/\xff", "/\xc3\xa9t\xc3\xa9", "/\xff");
}

static void test_empty_sides_rejected(void **state)
{
	expect_bad("", "``");
	expect_bad(":", "host path is empty");
	expect_bad(":/d", "host path is empty");
	expect_bad("/d:", "guest path is empty");
	expect_bad("::", "host path is empty");
}

static void test_null_rejected(void **state)
{
	mvm_error *err = NULL;
	mvm_path_pair p = {0};
	assert_int_equal(mvm_path_pair_parse(NULL, &p, &err), -1);
	assert_non_null(err);
	mvm_error_free(err);
	mvm_path_pair_clear(NULL); /* must not crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_and_guest),
	    cmocka_unit_test(test_single_path_is_both_sides),
	    cmocka_unit_test(test_split_at_first_colon),
	    cmocka_unit_test(test_paths_keep_any_bytes),
	    cmocka_unit_test(test_empty_sides_rejected),
	    cmocka_unit_test(test_null_rejected),
	};
	return cmocka_run_group_tests_name("path_pair", tests, NULL, NULL);
}
