/* SPDX-License-Identifier: Apache-2.0 */
/* mvm_port_pair_parse: "host:guest" or "port", 1..65535, digits only. */
#include "test_util.h"

static void expect_ports(const char *spec, unsigned host, unsigned guest)
{
	mvm_error *err = NULL;
	mvm_port_pair p = {0};
	assert_int_equal(mvm_port_pair_parse(spec, &p, &err), 0);
	assert_null(err);
	assert_int_equal(p.host, host);
	assert_int_equal(p.guest, guest);
}

static void expect_bad(const char *spec, const char *why)
{
	mvm_error *err = NULL;
	mvm_port_pair p = {.host = 7, .guest = 7};
	assert_int_equal(mvm_port_pair_parse(spec, &p, &err), -1);
	/* The output is untouched on failure. */
	assert_int_equal(p.host, 7);
	assert_int_equal(p.guest, 7);
	assert_one_problem_quoting(err, spec, why);
}

static void test_pairs(void **state)
{
	expect_ports("8080:80", 8080, 80);
	expect_ports("2222:22", 2222, 22);
	expect_ports("1:65535", 1, 65535);
	expect_ports("65535:1", 65535, 1);
}

static void test_single_port_is_both_sides(void **state)
{
	expect_ports("3000", 3000, 3000);
}

static void test_leading_zeros_are_decimal(void **state)
{
	expect_ports("080:0022", 80, 22);
}

static void test_port_zero_rejected(void **state)
{
	expect_bad("0", "host port `0`");
	expect_bad("0:80", "host port `0`");
	expect_bad("80:0", "guest port `0`");
	expect_bad("00:80", "1..65535");
}

static void test_sign_rejected(void **state)
{
	expect_bad("+80", "host port `+80`");
	expect_bad("80:+80", "guest port `+80`");
	expect_bad("-1:80", "host port `-1`");
}

static void test_not_numbers_rejected(void **state)
{
	expect_bad("80:invalid", "guest port `invalid`");
	expect_bad("http:80", "host port `http`");
	expect_bad(" 80:80", "host port ` 80`");
	expect_bad("80 :80", "host port `80 `");
	expect_bad("0x50:80", "host port `0x50`");
	expect_bad("a:b:c", "host port `a`");
	expect_bad("80:80:80", "guest port `80:80`");
}

static void test_out_of_range_rejected(void **state)
{
	expect_bad("65536", "host port `65536`");
	expect_bad("80:65536", "guest port `65536`");
	expect_bad("99999999999999999999999:1", "1..65535");
}

static void test_empty_sides_rejected(void **state)
{
	expect_bad("", "expected HOST:GUEST");
	expect_bad(":80", "host port is empty");
	expect_bad("80:", "guest port is empty");
	expect_bad(":", "host port is empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pairs),
	    cmocka_unit_test(test_single_port_is_both_sides),
	    cmocka_unit_test(test_leading_zeros_are_decimal),
	    cmocka_unit_test(test_port_zero_rejected),
	    cmocka_unit_test(test_sign_rejected),
	    cmocka_unit_test(test_not_numbers_rejected),
	    cmocka_unit_test(test_out_of_range_rejected),
	    cmocka_unit_test(test_empty_sides_rejected),
	};
	return cmocka_run_group_tests_name("port_pair", tests, NULL, NULL);
}
