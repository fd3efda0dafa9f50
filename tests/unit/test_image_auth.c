/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials from auth files (src/image/auth.c): which file
 * wins, which keys name a registry, and bad entries; credential helpers
 * (shell scripts in a directory put first in PATH): docker's order
 * within a file, what they get on stdin, and how they fail. */
#include "image/auth.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char p[256];
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

/* bin/docker-credential-NAME running body. */
static void write_helper(const char *name, const char *body)
{
	char rel[128], text[2048];
	snprintf(rel, sizeof(rel), "bin/docker-credential-%s", name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(rel, text);
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_int_equal(chmod(p, 0755), 0);
}

/* auth_lookup must fail with a message holding want and not secret. */
static void lookup_fails(const char *registry, const char *want, const char *secret)
{
	char *up = NULL;
	mvm_error *err = NULL;
	int rc = auth_lookup(registry, &up, &err);
	const char *msg = err ? mvm_error_get_message(err) : "";
	if (rc != -1 || up != NULL || strstr(msg, want) == NULL || (secret && strstr(msg, secret)))
		fail_msg("%s: rc %d, message \"%s\", want \"%s\"", registry, rc, msg, want);
	mvm_error_free(err);
}

static char *read_back(const char *name)
{
	static char buf[256];
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_helpers(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mvm-auth-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char p[256], body[1024];
	snprintf(p, sizeof(p), "%s/.docker", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/bin", dir);
	mkdir(p, 0700);
	const char *old = getenv("PATH");
	char *old_path = strdup(old ? old : "/usr/bin:/bin");
	char path[4096];
	/* Not the caller's PATH: a directory in it that this user may not
	 * search (CI's, as another user) turns "not found" into EACCES. */
	snprintf(path, sizeof(path), "%s/bin:/usr/bin:/bin", dir);
	setenv("PATH", path, 1);

	/* Keeps its stdin, answers with it in the secret. */
	snprintf(body, sizeof(body),
		 "[ \"$#\" = 1 ] && [ \"$1\" = get ] || { echo \"bad args: $*\"; exit 3; }\n"
		 "cat >%s/stdin\n"
		 "printf '{\"ServerURL\": \"x\", \"Username\": \"alice\", \"Secret\": "
		 "\"s3cret-%%s\"}\\n' "
		 "\"$(cat %s/stdin)\"",
		 dir, dir);
	write_helper("echo", body);
	write_helper(
	    "strict",
	    "read host\n"
	    "[ \"$host\" = reg.example:5000 ] || { echo \"unknown host $host\"; exit 1; }\n"
	    "echo '{\"Username\": \"bob\", \"Secret\": \"two\"}'");
	/* Does not read its stdin: exits before the server could be written,
	 * were it written after the spawn. */
	write_helper("none", "echo 'credentials not found in native keychain'; exit 1");
	write_helper("broken",
		     "echo 'keychain locked'; echo 'second line'; echo noise >&2; exit 4");
	write_helper("leaky", "echo '{\"Username\": \"alice\", \"Secret\": \"s3cret\"}'; exit 1");
	write_helper("garbage", "echo '{\"Username\": \"alice\", \"Secret\": s3cret}'");
	write_helper("colon", "echo '{\"Username\": \"a:b\", \"Secret\": \"s3cret\"}'");
	write_helper("empty", "echo '{\"ServerURL\": \"\", \"Username\": \"\", \"Secret\": \"\"}'");
	write_helper("token", "echo '{\"Username\": \"<token>\", \"Secret\": \"refresh\"}'");
	write_helper("slow", "exec sleep 5");
	write_helper("linger", "exec >&-; exec sleep 5");
	write_helper("killed", "kill -9 $$");

	/* alice:one, carol:three */
	write_file("a.json",
		   "{\"credHelpers\": {\"reg.example:5000\": \"echo\", \"gone.example\": \"none\","
		   " \"plain.example\": \"\", \"strict.example\": \"strict\", \"token.example\": "
		   "\"token\","
		   " \"empty.example\": \"empty\"},"
		   " \"credsStore\": \"echo\","
		   " \"auths\": {\"reg.example:5000\": {\"auth\": \"YWxpY2U6b25l\"},"
		   " \"plain.example\": {\"auth\": \"YWxpY2U6b25l\"},"
		   " \"store.example\": {\"auth\": \"YWxpY2U6b25l\"}}}");
	write_file(".docker/config.json",
		   "{\"auths\": {\"gone.example\": {\"auth\": \"Y2Fyb2w6dGhyZWU=\"},"
		   " \"empty.example\": {\"auth\": \"Y2Fyb2w6dGhyZWU=\"}}}");
	unsetenv("XDG_RUNTIME_DIR");
	setenv("HOME", dir, 1);
	char file[256];
	snprintf(file, sizeof(file), "%s/a.json", dir);
	setenv("REGISTRY_AUTH_FILE", file, 1);

	/* credHelpers before auths and credsStore; the host and a newline
	 * on stdin. */
	char *up = lookup("reg.example:5000", 0);
	assert_string_equal(up, "alice:s3cret-reg.example:5000");
	free(up);
	assert_string_equal(read_back("stdin"), "reg.example:5000\n");
	/* credsStore before the inline auth, as in docker. */
	up = lookup("store.example", 0);
	assert_string_equal(up, "alice:s3cret-store.example");
	free(up);
	/* Docker Hub goes to helpers under its index URL. */
	up = lookup("docker.io", 0);
	assert_string_equal(up, "alice:s3cret-https://index.docker.io/v1/");
	free(up);
	assert_string_equal(read_back("stdin"), "https://index.docker.io/v1/\n");
	/* An empty credHelpers value: the auths entry, not credsStore. */
	up = lookup("plain.example", 0);
	assert_string_equal(up, "alice:one");
	free(up);
	/* "not found" and an empty answer: on to the next file. */
	up = lookup("gone.example", 0);
	assert_string_equal(up, "carol:three");
	free(up);
	up = lookup("empty.example", 0);
	assert_string_equal(up, "carol:three");
	free(up);
	up = lookup("strict.example", -1);
	assert_null(up);
	up = lookup("token.example", 0);
	assert_string_equal(up, "<token>:refresh");
	free(up);
	/* A credHelpers key goes to the helper as written: podman's
	 * helpers know Docker Hub as "docker.io". */
	write_file("a.json",
		   "{\"credHelpers\": {\"docker.io\": \"echo\"}, \"credsStore\": \"strict\"}");
	up = lookup("docker.io", 0);
	assert_string_equal(up, "alice:s3cret-docker.io");
	free(up);
	/* "not found" and no other file: anonymous, no error. */
	write_file("a.json", "{\"credsStore\": \"none\"}");
	assert_null(lookup("quay.io", 0));

	/* The helper receives the host; a wrong one it refuses, and its
	 * first line of stdout is told. */
	write_file("a.json", "{\"credHelpers\": {\"reg.example:5000\": \"strict\","
			     " \"other.example\": \"strict\"}}");
	up = lookup("reg.example:5000", 0);
	assert_string_equal(up, "bob:two");
	free(up);
	lookup_fails("other.example",
		     "credential helper `docker-credential-strict` exited with status 1: "
		     "unknown host other.example",
		     NULL);

	/* Failures name the file and the helper, never the secret. */
	write_file("a.json", "{\"credsStore\": \"broken\"}");
	char want[512];
	snprintf(
	    want, sizeof(want),
	    "auth file `%s`: credential helper `docker-credential-broken` exited with status 4: "
	    "keychain locked",
	    file);
	lookup_fails("quay.io", want, "second line");
	write_file("a.json", "{\"credsStore\": \"leaky\"}");
	lookup_fails("quay.io", "`docker-credential-leaky` exited with status 1", "s3cret");
	write_file("a.json", "{\"credsStore\": \"garbage\"}");
	lookup_fails("quay.io", "`docker-credential-garbage` printed no JSON object", "s3cret");
	write_file("a.json", "{\"credsStore\": \"colon\"}");
	lookup_fails("quay.io", "`docker-credential-colon` printed a Username with ':'", "s3cret");
	write_file("a.json", "{\"credsStore\": \"killed\"}");
	lookup_fails("quay.io", "`docker-credential-killed` was killed by signal 9", NULL);
	write_file("a.json", "{\"credsStore\": \"nosuch\"}");
	lookup_fails("quay.io", "credential helper `docker-credential-nosuch` is not in PATH",
		     NULL);
	write_file("a.json", "{\"credHelpers\": {\"quay.io\": \"../x\"}}");
	lookup_fails("quay.io", "credential helper name \"../x\"", NULL);
	write_file("a.json", "{\"credsStore\": \"a b\"}");
	lookup_fails("quay.io", "credential helper name \"a b\"", NULL);
	write_file("a.json", "{\"credHelpers\": {\"quay.io\": 7}}");
	lookup_fails("quay.io", "credHelpers \"quay.io\" is not a string", NULL);
	write_file("a.json", "{\"credsStore\": true}");
	lookup_fails("quay.io", "credsStore is not a string", NULL);

	/* A hung helper is killed at the timeout. */
	auth_set_helper_timeout_ms(300);
	write_file("a.json", "{\"credsStore\": \"slow\"}");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lookup_fails("quay.io", "`docker-credential-slow` did not finish within 0.3 s", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (took < 0.25 || took > 2)
		fail_msg("the slow helper took %.2f s", took);
	/* So is one that closes its stdout and stays. */
	write_file("a.json", "{\"credsStore\": \"linger\"}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lookup_fails("quay.io", "`docker-credential-linger` did not finish within 0.3 s", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (took < 0.25 || took > 2)
		fail_msg("the lingering helper took %.2f s", took);
	auth_set_helper_timeout_ms(0);

	unsetenv("REGISTRY_AUTH_FILE");
	setenv("PATH", old_path, 1);
	free(old_path);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files_and_keys),
	    cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
