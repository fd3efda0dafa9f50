/* SPDX-License-Identifier: Apache-2.0 */
/* JSON output: string escaping and the shape of the --dry-run object. */
#include "test_util.h"

#include "config/json_writer.h"

static void expect_escaped(const char *in, const char *want)
{
	struct json_writer w = {0};
	jw_string(&w, in);
	char *got = jw_finish(&w);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_plain_ascii(void **state)
{
	expect_escaped("", "\"\"");
	expect_escaped("hello world", "\"hello world\"");
	expect_escaped("~\x7f", "\"~\x7f\"");
}

static void test_quotes_and_backslashes(void **state)
{
	expect_escaped("a\"b", "\"a\\\"b\"");
	expect_escaped("a\\b", "\"a\\\\b\"");
	expect_escaped("\"\\\"", "\"\\\"\\\\\\\"\"");
}

static void test_control_bytes(void **state)
{
	expect_escaped("\n", "\"\\u000a\"");
	expect_escaped("a\tb\rc", "\"a\\u0009b\\u000dc\"");
	expect_escaped("\x01\x1f", "\"\\u0001\\u001f\"");
	expect_escaped("\x1b[31m", "\"\\u001b[31m\"");
}

static void test_valid_utf8_passes(void **state)
{
	expect_escaped("\xc3\xa9", "\"\xc3\xa9\"");		    /* U+00E9 */
	expect_escaped("\xe2\x82\xac", "\"\xe2\x82\xac\"");	    /* U+20AC */
	expect_escaped("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
	expect_escaped("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");	    /* U+FFFF */
	expect_escaped("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	expect_escaped("\xc2\x80", "\"\xc2\x80\"");		    /* U+0080 */
}

static void test_invalid_utf8_replaced_per_byte(void **state)
{
	expect_escaped("\xff", "\"\\ufffd\"");
	expect_escaped("a\x80z", "\"a\\ufffdz\"");		     /* stray continuation */
	expect_escaped("\xc0\xaf", "\"\\ufffd\\ufffd\"");	     /* overlong '/' */
	expect_escaped("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""); /* overlong */
	expect_escaped("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate D800 */
	expect_escaped("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > 10FFFF */
	expect_escaped("\xf5\x80", "\"\\ufffd\\ufffd\"");
	/* Truncated sequences, also at the very end of the string. */
	expect_escaped("\xc3", "\"\\ufffd\"");
	expect_escaped("\xe2\x82", "\"\\ufffd\\ufffd\"");
	expect_escaped("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	expect_escaped("\xe2\x82x", "\"\\ufffd\\ufffdx\"");
	/* A valid sequence right after an invalid byte survives. */
	expect_escaped("\xff\xc3\xa9", "\"\\ufffd\xc3\xa9\"");
}

static void test_structure(void **state)
{
	struct json_writer w = {0};
	jw_begin_object(&w);
	jw_key(&w, "a");
	jw_begin_array(&w);
	jw_uint(&w, 1);
	jw_null(&w);
	jw_bool(&w, false);
	jw_begin_object(&w);
	jw_end_object(&w);
	jw_begin_array(&w);
	jw_end_array(&w);
	jw_end_array(&w);
	jw_key(&w, "k\"");
	jw_string(&w, NULL);
	jw_key(&w, "n");
	jw_uint(&w, UINT64_MAX);
	jw_end_object(&w);
	char *got = jw_finish(&w);
	assert_string_equal(
	    got, "{\"a\":[1,null,false,{},[]],\"k\\\"\":null,\"n\":18446744073709551615}");
	free(got);
}

static void test_long_output_grows(void **state)
{
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct json_writer w = {0};
	for (int i = 0; i < 10; i++)
		jw_string(&w, big);
	char *got = jw_finish(&w);
	assert_int_equal(strlen(got), 10 * (sizeof(big) - 1 + 2) + 9);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_ascii),
	    cmocka_unit_test(test_quotes_and_backslashes),
	    cmocka_unit_test(test_control_bytes),
	    cmocka_unit_test(test_valid_utf8_passes),
	    cmocka_unit_test(test_invalid_utf8_replaced_per_byte),
	    cmocka_unit_test(test_structure),
	    cmocka_unit_test(test_long_output_grows),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
