/* SPDX-License-Identifier: Apache-2.0 */
/* Strict IPv4 parsing and the unicast rule of build(). */
#include "test_util.h"

#include "config/ipv4.h"

static void expect_ip(const char *s, uint32_t want)
{
	mvm_error *err = NULL;
	uint32_t got = 0;
	assert_int_equal(ipv4_parse(s, &got, &err), 0);
	assert_null(err);
	assert_int_equal(got, want);
	char back[IPV4_STR_MAX];
	ipv4_format(got, back);
	assert_string_equal(back, s);
}

static void expect_bad(const char *s)
{
	mvm_error *err = NULL;
	uint32_t got = 42;
	assert_int_equal(ipv4_parse(s, &got, &err), -1);
	assert_int_equal(got, 42);
	char quoted[64];
	snprintf(quoted, sizeof(quoted), "`%s`", s);
	assert_error_has(err, "invalid IPv4 address", quoted);
	mvm_error_free(err);
}

static void test_valid(void **state)
{
	expect_ip("10.0.2.15", 0x0a00020f);
	expect_ip("192.168.1.1", 0xc0a80101);
	expect_ip("0.0.0.0", 0);
	expect_ip("255.255.255.255", 0xffffffff);
	expect_ip("1.2.3.4", 0x01020304);
}

static void test_malformed(void **state)
{
	expect_bad("");
	expect_bad("1.2.3");
	expect_bad("1.2.3.4.5");
	expect_bad("1.2.3.256");
	expect_bad("1.2.3.-1");
	expect_bad("1.2.3.+4");
	expect_bad("01.2.3.4"); /* inet_aton would read octal */
	expect_bad("1.2.3.4 ");
	expect_bad(" 1.2.3.4");
	expect_bad("1..3.4");
	expect_bad("1.2.3.");
	expect_bad("0x1.2.3.4");
	expect_bad("localhost");
	expect_bad("1.2.3.4/24");
	expect_bad("99999999999999999999.1.1.1");
}

static void test_unicast_rule(void **state)
{
	assert_null(ipv4_not_unicast_reason(0x0a00020f)); /* 10.0.2.15 */
	assert_null(ipv4_not_unicast_reason(0x01000000)); /* 1.0.0.0 */
	assert_null(ipv4_not_unicast_reason(0xdfffffff)); /* 223.255.255.255 */
	assert_null(ipv4_not_unicast_reason(0x7effffff)); /* 126.255.255.255 */
	assert_null(ipv4_not_unicast_reason(0x80000000)); /* 128.0.0.0 */
	assert_non_null(strstr(ipv4_not_unicast_reason(0), "unspecified"));
	assert_non_null(strstr(ipv4_not_unicast_reason(0xffffffff), "broadcast"));
	assert_non_null(strstr(ipv4_not_unicast_reason(0xe0000001), "multicast"));
	assert_non_null(strstr(ipv4_not_unicast_reason(0xefffffff), "multicast"));
	assert_non_null(strstr(ipv4_not_unicast_reason(0x7f000001), "loopback"));
	assert_non_null(strstr(ipv4_not_unicast_reason(0x7fffffff), "loopback"));
	assert_non_null(ipv4_not_unicast_reason(0x00000001)); /* 0.0.0.1 */
	assert_non_null(ipv4_not_unicast_reason(0xf0000000)); /* 240.0.0.0 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_unicast_rule),
	};
	return cmocka_run_group_tests_name("ipv4", tests, NULL, NULL);
}
