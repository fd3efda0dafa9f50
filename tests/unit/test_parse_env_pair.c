/* SPDX-License-Identifier: Apache-2.0 */
/* mvm_env_pair_parse: "KEY=VALUE", split at the first '='. */
#include "test_util.h"

static void expect_env(const char *spec, const char *key, const char *value)
{
	mvm_error *err = NULL;
	mvm_env_pair p = {0};
	assert_int_equal(mvm_env_pair_parse(spec, &p, &err), 0);
	assert_null(err);
	assert_string_equal(p.key, key);
	assert_string_equal(p.value, value);
	mvm_env_pair_clear(&p);
	assert_null(p.key);
}

static void expect_bad(const char *spec, const char *why)
{
	mvm_error *err = NULL;
	mvm_env_pair p = {0};
	assert_int_equal(mvm_env_pair_parse(spec, &p, &err), -1);
	assert_null(p.key);
	assert_one_problem_quoting(err, spec, why);
}

static void test_plain(void **state)
{
	expect_env("KEY1=VALUE1", "KEY1", "VALUE1");
	expect_env("ALLOWED_HOSTS=localhost,127.0.0.1", "ALLOWED_HOSTS", "localhost,127.0.0.1");
}

static void test_empty_value_allowed(void **state)
{
	expect_env("KEY=", "KEY", "");
}

static void test_value_keeps_later_equals(void **state)
{
	expect_env("A=b=c", "A", "b=c");
	expect_env("A==", "A", "=");
}

static void test_any_bytes_allowed(void **state)
{
	/* No kernel command line in between, so quotes, dots, spaces and
	 * newlines survive (the reference loses or mangles them). */
	expect_env("my.key=\"quoted\" value", "my.key", "\"quoted\" value");
	expect_env("K=line1\nline2", "K", "line1\nline2");
	expect_env("K\x01=\xff\xfe", "K\x01", "\xff\xfe");
}

static void test_bad(void **state)
{
	expect_bad("=VALUE", "key is empty");
	expect_bad("=", "key is empty");
	expect_bad("KEY", "no `=`");
	expect_bad("", "no `=`");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_empty_value_allowed),
	    cmocka_unit_test(test_value_keeps_later_equals),
	    cmocka_unit_test(test_any_bytes_allowed),
	    cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests_name("env_pair", tests, NULL, NULL);
}
