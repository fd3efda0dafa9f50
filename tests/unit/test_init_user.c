/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm exec -u USER[:GROUP]` as mvm-init resolves it in the guest's files
 * (guest/init/user.c): names, numbers, docker's rule for a uid alone, and
 * every way of not finding one. */
#include "test_util.h"

#include "guest/init/user.h"

static char *dir, passwd[256], group[256];

static int setup(void **state)
{
	(void)state;
	dir = make_temp_dir();
	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	snprintf(group, sizeof(group), "%s/group", dir);
	FILE *f = fopen(passwd, "w");
	fputs("root:x:0:0:root:/root:/bin/sh\n"
	      "# not an entry\n"
	      "app:x:1000:1001:App:/home/app:/bin/sh\n"
	      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
	      f);
	fclose(f);
	f = fopen(group, "w");
	fputs("root:x:0:\nstaff:x:50:app\napp:x:1001:\n", f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(dir);
	return 0;
}

static void expect(const char *spec, uint32_t uid, uint32_t gid)
{
	uint32_t u = 1234, g = 1234;
	char why[300] = "";
	if (init_user_resolve(spec, passwd, group, &u, &g, why, sizeof(why)) != 0)
		fail_msg("%s: %s", spec, why);
	assert_int_equal(u, uid);
	assert_int_equal(g, gid);
}

static void expect_fail(const char *spec, const char *needle)
{
	uint32_t u = 1234, g = 1234;
	char why[300] = "";
	assert_int_equal(init_user_resolve(spec, passwd, group, &u, &g, why, sizeof(why)), -1);
	if (!strstr(why, needle))
		fail_msg("%s: `%s` lacks `%s`", spec, why, needle);
	assert_int_equal(u, 1234); /* untouched */
	assert_int_equal(g, 1234);
}

static void test_names_and_numbers(void **state)
{
	(void)state;
	expect("app", 1000, 1001); /* its primary group */
	expect("app:staff", 1000, 50);
	expect("app:7", 1000, 7);
	expect("nobody", 65534, 65534);
	expect("1000", 1000, 1001); /* a uid alone: its passwd group */
	expect("4242", 4242, 0);    /* ... or 0 without an entry */
	expect("4242:9", 4242, 9);
	expect("0:staff", 0, 50);
	expect("4294967294", 4294967294u, 0);
}

static void test_not_found(void **state)
{
	(void)state;
	char msg[600];
	snprintf(msg, sizeof(msg), "unable to find user nosuch: no matching entries in %s", passwd);
	expect_fail("nosuch", msg);
	snprintf(msg, sizeof(msg), "unable to find group wheel: no matching entries in %s", group);
	expect_fail("app:wheel", msg);
	/* 2^32-1 is no id: taken as a name, which nobody has. */
	expect_fail("4294967295", "unable to find user 4294967295");
	expect_fail("app:4294967295", "unable to find group 4294967295");
	expect_fail("-1", "unable to find user -1");
	expect_fail("", "invalid user ``");
	expect_fail(":5", "invalid user `:5`");
	expect_fail("app:", "invalid user `app:`");
	/* No files at all (a root without /etc): a name cannot be found, a
	 * number needs none. */
	uint32_t u, g;
	char why[300];
	assert_int_equal(
	    init_user_resolve("app", "/nonexistent/passwd", group, &u, &g, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "/nonexistent/passwd: No such file or directory"));
	assert_int_equal(init_user_resolve("5:6", "/nonexistent/passwd", "/nonexistent/group", &u,
					   &g, why, sizeof(why)),
			 0);
	assert_int_equal(u, 5);
	assert_int_equal(g, 6);
	assert_int_equal(
	    init_user_resolve("5", "/nonexistent/passwd", group, &u, &g, why, sizeof(why)), 0);
	assert_int_equal(g, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_and_numbers),
	    cmocka_unit_test(test_not_found),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
