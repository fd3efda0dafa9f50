/* SPDX-License-Identifier: Apache-2.0 */
/* mvm_rlimit_parse and mvm_rlimit_name. */
#include "test_util.h"

static void expect_rlimit(const char *spec, int resource, uint64_t soft, uint64_t hard)
{
	mvm_error *err = NULL;
	mvm_rlimit r = {0};
	assert_int_equal(mvm_rlimit_parse(spec, &r, &err), 0);
	assert_null(err);
	assert_int_equal(r.resource, resource);
	assert_true(r.soft == soft);
	assert_true(r.hard == hard);
}

static void expect_bad(const char *spec, const char *why)
{
	mvm_error *err = NULL;
	mvm_rlimit r = {-5, 1, 2};
	assert_int_equal(mvm_rlimit_parse(spec, &r, &err), -1);
	assert_int_equal(r.resource, -5);
	assert_one_problem_quoting(err, spec, why);
}

static void test_by_name(void **state)
{
	expect_rlimit("RLIMIT_NOFILE=1024:1024", 7, 1024, 1024);
	expect_rlimit("RLIMIT_CPU=0:0", 0, 0, 0);
	expect_rlimit("RLIMIT_RTTIME=1:2", 15, 1, 2);
	expect_rlimit("RLIMIT_AS=18446744073709551615:18446744073709551615", 9, UINT64_MAX,
		      UINT64_MAX);
}

static void test_by_number(void **state)
{
	expect_rlimit("7=10:20", 7, 10, 20);
	expect_rlimit("0=1:1", 0, 1, 1);
	expect_rlimit("15=1:1", 15, 1, 1);
	expect_rlimit("07=1:1", 7, 1, 1);
}

static void test_names_printed_back(void **state)
{
	static const char *const names[16] = {
	    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",	"RLIMIT_STACK",
	    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",	"RLIMIT_NOFILE",
	    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",	"RLIMIT_SIGPENDING",
	    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
	};
	for (int i = 0; i < 16; i++) {
		assert_string_equal(mvm_rlimit_name(i), names[i]);
		char spec[64];
		snprintf(spec, sizeof(spec), "%s=1:2", names[i]);
		expect_rlimit(spec, i, 1, 2);
	}
	assert_null(mvm_rlimit_name(16));
	assert_null(mvm_rlimit_name(-1));
}

static void test_soft_above_hard_rejected(void **state)
{
	expect_bad("RLIMIT_NOFILE=2048:1024", "soft limit exceeds the hard limit");
	expect_bad("7=1:0", "soft limit exceeds the hard limit");
}

static void test_unknown_resource_rejected(void **state)
{
	expect_bad("RLIMIT_BOGUS=1:1", "unknown resource `RLIMIT_BOGUS`");
	expect_bad("16=1:1", "unknown resource `16`");
	expect_bad("-1=1:1", "unknown resource `-1`");
	expect_bad("rlimit_nofile=1:1", "unknown resource `rlimit_nofile`");
	expect_bad("NOFILE=1:1", "unknown resource `NOFILE`");
	expect_bad("=1:1", "unknown resource ``");
	expect_bad("+7=1:1", "unknown resource `+7`");
}

static void test_bad_numbers_rejected(void **state)
{
	expect_bad("RLIMIT_NOFILE=a:1", "soft limit `a`");
	expect_bad("RLIMIT_NOFILE=1:b", "hard limit `b`");
	expect_bad("RLIMIT_NOFILE=:1", "soft limit ``");
	expect_bad("RLIMIT_NOFILE=1:", "hard limit ``");
	expect_bad("RLIMIT_NOFILE=+1:2", "soft limit `+1`");
	expect_bad("RLIMIT_NOFILE=1:2:3", "hard limit `2:3`");
	expect_bad("RLIMIT_NOFILE=18446744073709551616:1", "soft limit `18446744073709551616`");
	expect_bad("RLIMIT_NOFILE=-1:1", "soft limit `-1`");
}

static void test_bad_shape_rejected(void **state)
{
	expect_bad("RLIMIT_NOFILE", "expected RESOURCE=SOFT:HARD");
	expect_bad("RLIMIT_NOFILE=1024", "expected RESOURCE=SOFT:HARD");
	expect_bad("RLIMIT_NOFILE:1=2", "expected RESOURCE=SOFT:HARD");
	expect_bad("", "expected RESOURCE=SOFT:HARD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_name),
	    cmocka_unit_test(test_by_number),
	    cmocka_unit_test(test_names_printed_back),
	    cmocka_unit_test(test_soft_above_hard_rejected),
	    cmocka_unit_test(test_unknown_resource_rejected),
	    cmocka_unit_test(test_bad_numbers_rejected),
	    cmocka_unit_test(test_bad_shape_rejected),
	};
	return cmocka_run_group_tests_name("rlimit", tests, NULL, NULL);
}
