/* SPDX-License-Identifier: Apache-2.0 */
/* Image references and digests (src/image/ref.c, digest.c): podman's
 * short-name rules, the distribution grammar, and strict digests. */
#include "image/digest.h"
#include "image/ref.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const char D[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_normalize(void **state)
{
	(void)state;
	char at_digest[160];
	snprintf(at_digest, sizeof(at_digest), "quay.io/a/b@%s", D);
	char want_digest[200];
	snprintf(want_digest, sizeof(want_digest), "quay.io/a/b@%s", D);
	const struct {
		const char *in, *want;
	} cases[] = {
	    {"alpine", "docker.io/library/alpine:latest"},
	    {"alpine:3.19", "docker.io/library/alpine:3.19"},
	    {"me/app", "docker.io/me/app:latest"},
	    {"docker.io/alpine", "docker.io/library/alpine:latest"},
	    {"localhost/app:dev", "localhost/app:dev"},
	    {"localhost:5000/a/b/c:v1.2-rc_3", "localhost:5000/a/b/c:v1.2-rc_3"},
	    {"127.0.0.1:5000/app", "127.0.0.1:5000/app:latest"},
	    {"registry.example/x__y.z-w", "registry.example/x__y.z-w:latest"},
	    {at_digest, want_digest},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_ref r;
		mvm_error *err = NULL;
		if (image_ref_parse(cases[i].in, &r, &err) != 0)
			fail_msg("%s: %s", cases[i].in, mvm_error_get_message(err));
		char out[REF_MAX];
		image_ref_format(&r, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_bad_refs(void **state)
{
	(void)state;
	const struct {
		const char *in, *needle;
	} cases[] = {
	    {"", "empty"},
	    {"Alpine", "`Alpine`"},
	    {"me/App", "`App`"},
	    {"a//b", "``"},
	    {"a/", "ends with `/`"},
	    {"a:", "tag ``"},
	    {"a:-x", "tag `-x`"},
	    {"a:x/y", "registry `a:x`"}, /* a port is digits */
	    {"a:/y", "registry `a:`"},
	    {"-a", "`-a`"},
	    {"a.-b", "`a.-b`"},
	    {"a@sha256:abc", "64 hex"},
	    {"a@md5:0123", "only sha256"},
	    {"bad.host!/a", "registry `bad.host!`"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_ref r;
		mvm_error *err = NULL;
		if (image_ref_parse(cases[i].in, &r, &err) == 0) {
			char out[REF_MAX];
			image_ref_format(&r, out);
			fail_msg("`%s` parsed as %s", cases[i].in, out);
		}
		if (!strstr(mvm_error_get_message(err), cases[i].needle))
			fail_msg("`%s`: message `%s` lacks `%s`", cases[i].in,
				 mvm_error_get_message(err), cases[i].needle);
		mvm_error_free(err);
	}
	char longer[1000];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	struct image_ref r;
	mvm_error *err = NULL;
	assert_int_equal(image_ref_parse(longer, &r, &err), -1);
	mvm_error_free(err);
}

static void test_digests(void **state)
{
	(void)state;
	struct digest d;
	mvm_error *err = NULL;
	assert_int_equal(digest_parse(D, &d, &err), 0);
	assert_string_equal(digest_hex(&d), D + 7);
	const char *bad[] = {"sha256:", "sha256:0123", "SHA256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			     "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
			     "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
			     "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (digest_parse(bad[i], &d, &err) == 0)
			fail_msg("`%s` accepted", bad[i]);
		mvm_error_free(err);
	}
	/* The sha256 of "abc" (FIPS 180-2's example). */
	err = NULL;
	assert_int_equal(digest_of("abc", 3, &d, &err), 0);
	assert_string_equal(d.str, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_bad_refs),
	    cmocka_unit_test(test_digests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
