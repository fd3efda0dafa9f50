/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials from auth files (src/image/auth.c): which file
 * wins, which keys name a registry, and bad entries. */
#include "image/auth.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *lookup(const char *registry, int want_rc)
{
	char *up = NULL;
	mvm_error *err = NULL;
	int rc = auth_lookup(registry, &up, &err);
	if (rc != want_rc)
		fail_msg("%s: rc %d (%s)", registry, rc, err ? mvm_error_get_message(err) : "");
	mvm_error_free(err);
	return up;
}

static void test_files_and_keys(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mvm-auth-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char p[128];
	snprintf(p, sizeof(p), "%s/.docker", dir);
	mkdir(p, 0700);
	/* alice:one, bob:two, carol:three */
	write_file("a.json", "{\"auths\": {\"reg.example:5000\": {\"auth\": \"YWxpY2U6b25l\"}}}");
	write_file(".docker/config.json",
		   "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"Ym9iOnR3bw==\"},"
		   " \"https://reg.example:5000\": {\"auth\": \"Y2Fyb2w6dGhyZWU=\"},"
		   " \"quay.io/some/repo\": {\"auth\": \"Y2Fyb2w6dGhyZWU=\"}}}");
	unsetenv("XDG_RUNTIME_DIR");
	setenv("HOME", dir, 1);
	snprintf(p, sizeof(p), "%s/a.json", dir);
	setenv("REGISTRY_AUTH_FILE", p, 1);

	char *up = lookup("reg.example:5000", 0); /* REGISTRY_AUTH_FILE first */
	assert_string_equal(up, "alice:one");
	free(up);
	up = lookup("docker.io", 0); /* Docker Hub's key in ~/.docker */
	assert_string_equal(up, "bob:two");
	free(up);
	up = lookup("quay.io", 0);
	assert_string_equal(up, "carol:three");
	free(up);
	assert_null(lookup("reg.example", 0)); /* no port: another registry */
	assert_null(lookup("example:5000", 0));
	unsetenv("REGISTRY_AUTH_FILE");
	up = lookup("reg.example:5000", 0); /* now from ~/.docker, https:// key */
	assert_string_equal(up, "carol:three");
	free(up);

	/* Broken files and entries fail, naming the file. */
	setenv("REGISTRY_AUTH_FILE", p, 1);
	write_file("a.json", "{\"auths\": ");
	assert_null(lookup("reg.example:5000", -1));
	write_file("a.json", "{\"auths\": {\"reg.example:5000\": {\"auth\": \"bm9jb2xvbg==\"}}}");
	assert_null(lookup("reg.example:5000", -1)); /* "nocolon" */
	write_file("a.json", "{\"auths\": {\"reg.example:5000\": {\"auth\": \"!!!!\"}}}");
	assert_null(lookup("reg.example:5000", -1));
	unsetenv("REGISTRY_AUTH_FILE");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files_and_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
