/* SPDX-License-Identifier: Apache-2.0 */
/* Short names and registries.conf (src/image/registries.c): which file
 * wins, search registries and aliases, what is skipped, errors that name
 * the file and line, and mvm_image_resolve trying the candidates in order. */
#include "image/digest.h"
#include "image/registries.h"
#include "image/store.h"

#include <ftw.h>
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
static char sys_conf[128];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* A home without config files, and a system file that is not there, so
 * that the host's own files play no part. */
static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mvm-registries-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	setenv("HOME", dir, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("CONTAINERS_REGISTRIES_CONF");
	snprintf(sys_conf, sizeof(sys_conf), "%s/etc-registries.conf", dir);
	registries_system_conf = sys_conf;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("CONTAINERS_REGISTRIES_CONF");
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Writes dir/name and returns its path (static: valid until the next call). */
static const char *write_file(const char *name, const char *text)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	char parent[256];
	snprintf(parent, sizeof(parent), "%s", p);
	for (char *slash = strchr(parent + strlen(dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(parent, 0700);
		*slash = '/';
	}
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* Selects a config of the given text with CONTAINERS_REGISTRIES_CONF. */
static void use_conf(const char *text)
{
	setenv("CONTAINERS_REGISTRIES_CONF", write_file("registries.conf", text), 1);
}

/* The candidates for name, space-separated. */
static char *candidates(const char *name)
{
	static char joined[4096];
	char **list = NULL;
	size_t n = 0;
	mvm_error *err = NULL;
	if (image_ref_candidates(name, &list, &n, &err) != 0)
		fail_msg("%s: %s", name, mvm_error_get_message(err));
	joined[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(joined, " ");
		strcat(joined, list[i]);
	}
	image_ref_candidates_free(list, n);
	return joined;
}

/* The message of the error the current config gives, which must name the
 * file and the line. */
static void expect_error(const char *name, unsigned line, const char *needle)
{
	char **list = NULL;
	size_t n = 0;
	mvm_error *err = NULL;
	if (image_ref_candidates(name, &list, &n, &err) == 0)
		fail_msg("%s: no error, %zu candidates (%s)", name, n, n ? list[0] : "");
	assert_null(list);
	assert_int_equal(n, 0);
	const char *msg = mvm_error_get_message(err);
	char where[256];
	snprintf(where, sizeof(where), "`%s` line %u: ", getenv("CONTAINERS_REGISTRIES_CONF"),
		 line);
	if (!strstr(msg, where) || !strstr(msg, needle))
		fail_msg("message `%s` lacks `%s` or `%s`", msg, where, needle);
	mvm_error_free(err);
}

static void test_default(void **state)
{
	(void)state;
	assert_string_equal(candidates("alpine"), "docker.io/library/alpine:latest");
	assert_string_equal(candidates("me/app:1"), "docker.io/me/app:1");
	/* An empty list keeps the default too. */
	use_conf("unqualified-search-registries = []\n");
	assert_string_equal(candidates("alpine:3"), "docker.io/library/alpine:3");
	/* Names are still checked. */
	char **list = NULL;
	size_t n = 0;
	mvm_error *err = NULL;
	assert_int_equal(image_ref_candidates("Alpine", &list, &n, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "`Alpine`"));
	mvm_error_free(err);
}

static void test_which_file(void **state)
{
	(void)state;
	write_file("etc-registries.conf", "unqualified-search-registries = [\"sys.example\"]\n");
	assert_string_equal(candidates("a"), "sys.example/a:latest");
	write_file(".config/containers/registries.conf",
		   "unqualified-search-registries = [\"home.example\"]\n");
	assert_string_equal(candidates("a"), "home.example/a:latest");
	char xdg[128];
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	assert_string_equal(candidates("a"),
			    "sys.example/a:latest"); /* ~/.config is not looked at */
	write_file("xdg/containers/registries.conf",
		   "unqualified-search-registries = [\"xdg.example\"]\n");
	assert_string_equal(candidates("a"), "xdg.example/a:latest");
	use_conf("unqualified-search-registries = [\"env.example\"]\n");
	assert_string_equal(candidates("a"), "env.example/a:latest");
	unsetenv("XDG_CONFIG_HOME");

	/* CONTAINERS_REGISTRIES_CONF must exist: no falling back. */
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/no-such.conf", dir);
	setenv("CONTAINERS_REGISTRIES_CONF", missing, 1);
	char **list = NULL;
	size_t n = 0;
	mvm_error *err = NULL;
	assert_int_equal(image_ref_candidates("a", &list, &n, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), missing));
	mvm_error_free(err);
}

static void test_search(void **state)
{
	(void)state;
	use_conf("unqualified-search-registries = [\"quay.io\"]\n");
	assert_string_equal(candidates("alpine"), "quay.io/alpine:latest");
	use_conf("unqualified-search-registries = [\"quay.io\", \"localhost:5000\", \"docker.io\", "
		 "\"quay.io\"]\n");
	assert_string_equal(candidates("alpine"),
			    "quay.io/alpine:latest localhost:5000/alpine:latest "
			    "docker.io/library/alpine:latest");
	assert_string_equal(candidates("me/app:2"),
			    "quay.io/me/app:2 localhost:5000/me/app:2 docker.io/me/app:2");
	static const char D[] =
	    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char by_digest[128], want[512];
	snprintf(by_digest, sizeof(by_digest), "app@%s", D);
	snprintf(want, sizeof(want),
		 "quay.io/app@%s localhost:5000/app@%s docker.io/library/app@%s", D, D, D);
	assert_string_equal(candidates(by_digest), want);

	/* Spread over lines, with comments, literal strings, a trailing comma
	 * and CRLF line ends. */
	use_conf("# registries\n"
		 "\n"
		 "  unqualified-search-registries = [ # in this order\r\n"
		 "    \"registry.example:5000\",   # first\n"
		 "    # a line of its own\n"
		 "\n"
		 "    'quay.io' ,\n"
		 "]  # done\n");
	assert_string_equal(candidates("x"), "registry.example:5000/x:latest quay.io/x:latest");
}

static void test_aliases(void **state)
{
	(void)state;
	use_conf("unqualified-search-registries = [\"quay.io\"]\n"
		 "aliases.top = \"ghcr.io/dotted/top\"\n"
		 "[aliases]\n"
		 "  # comment\n"
		 "  \"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
		 "  \"me/tool\" = 'ghcr.io/me/tool'  # quoted key with a slash\n"
		 "  alpine = \"docker.io/alpine\"\n"
		 "  \"local\" = \"localhost:5000/local/app\"\n");
	assert_string_equal(candidates("fedora"), "registry.fedoraproject.org/fedora:latest");
	assert_string_equal(candidates("fedora:40"), "registry.fedoraproject.org/fedora:40");
	assert_string_equal(candidates("me/tool:2"), "ghcr.io/me/tool:2");
	assert_string_equal(candidates("alpine"), "docker.io/library/alpine:latest");
	assert_string_equal(candidates("local:v1"), "localhost:5000/local/app:v1");
	assert_string_equal(candidates("top"), "ghcr.io/dotted/top:latest");
	/* Not an alias: a longer or shorter name, or another path. */
	assert_string_equal(candidates("fedora-minimal"), "quay.io/fedora-minimal:latest");
	assert_string_equal(candidates("me/tool/x"), "quay.io/me/tool/x:latest");
	assert_string_equal(candidates("tool"), "quay.io/tool:latest");
}

static void test_qualified(void **state)
{
	(void)state;
	/* The file is not even read: a broken one does not matter. */
	use_conf("unqualified-search-registries = [\"quay.io\"\n"
		 "[aliases]\n"
		 "\"alpine\" = \"quay.io/x/alpine\"\n");
	assert_string_equal(candidates("quay.io/a/b:1"), "quay.io/a/b:1");
	assert_string_equal(candidates("localhost/app"), "localhost/app:latest");
	assert_string_equal(candidates("docker.io/alpine"), "docker.io/library/alpine:latest");
	assert_string_equal(candidates("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
	expect_error("alpine", 2, "expected `,` or `]` after `quay.io`");
}

static void test_other_keys_skipped(void **state)
{
	(void)state;
	use_conf("short-name-mode = \"enforcing\"\n"
		 "credential-helpers = [ \"containers-auth.json\" ]\n"
		 "n = 42\n"
		 "when = 1979-05-27 07:32:00Z\n"
		 "inline = { a = 1, b = [\"x\", \"]\"], c = { d = 'e' } }\n"
		 "text = \"\"\"\n"
		 "unqualified-search-registries = [\"evil.example\"]\n"
		 "[aliases]\n"
		 "\"alpine\" = \"evil.example/alpine\" \\\"\"\"\"\n"
		 "lit = '''\n"
		 "x = [\n"
		 "'''\n"
		 "escaped = \"a \\\" [ b\"\n"
		 "nested = [[1, 2], [\"a\",\n"
		 "  \"b\"]]\n"
		 "unqualified-search-registries = [\"quay.io\"]\n"
		 "\n"
		 "[[registry]]\n"
		 "prefix = \"example.com/foo\"\n"
		 "location = \"internal.example/bar\"\n"
		 "insecure = false\n"
		 "unqualified-search-registries = [\"evil.example\"]\n"
		 "mirror = [\n"
		 "  { location = \"m1.example\" },\n"
		 "  { location = \"m2.example\", insecure = true },\n"
		 "]\n"
		 "[[registry.mirror]]\n"
		 "location = \"evil.example\"\n"
		 "[registries.search]\n"
		 "registries = [\"evil.example\"]\n"
		 "[ aliases.sub ]\n"
		 "\"alpine\" = \"evil.example/alpine\"\n"
		 "[other]\n"
		 "unqualified-search-registries = [\"evil.example\"]\n");
	assert_string_equal(candidates("alpine"), "quay.io/alpine:latest");
}

static void test_key_in_table_not_taken(void **state)
{
	(void)state;
	use_conf("[engine]\n"
		 "unqualified-search-registries = [\"evil.example\"]\n");
	assert_string_equal(candidates("alpine"), "docker.io/library/alpine:latest");
	use_conf("[[registry]]\n"
		 "location = \"quay.io\"\n"
		 "\"unqualified-search-registries\" = [\"evil.example\"]\n");
	assert_string_equal(candidates("alpine"), "docker.io/library/alpine:latest");
	/* ...but a quoted top-level key is the same key. */
	use_conf("\"unqualified-search-registries\" = [\"quay.io\"]\n");
	assert_string_equal(candidates("alpine"), "quay.io/alpine:latest");
}

static void test_malformed(void **state)
{
	(void)state;
	const struct {
		const char *text;
		unsigned line;
		const char *needle;
	} cases[] = {
	    {"unqualified-search-registries = [\"quay.io]\n", 1, "unterminated string"},
	    {"# a\n\nunqualified-search-registries [\"quay.io\"]\n", 3, "expected `=`"},
	    {"unqualified-search-registries = [\n\"quay.io\",\n\"a b\"]\n", 3,
	     "`a b` is not a registry"},
	    {"unqualified-search-registries = [\"UPPER/x\"]\n", 1, "`UPPER/x` is not a registry"},
	    {"unqualified-search-registries = [\"quay.io/ns\"]\n", 1, "`quay.io/ns`"},
	    {"unqualified-search-registries = [\"me\"]\n", 1, "`me` is not a registry"},
	    {"unqualified-search-registries = [\"a.io:x\"]\n", 1, "`a.io:x`"},
	    {"unqualified-search-registries = [\"\"]\n", 1, "`` is not a registry"},
	    {"unqualified-search-registries = \"quay.io\"\n", 1, "must be an array"},
	    {"unqualified-search-registries = [\"a.io\" \"b.io\"]\n", 1, "expected `,` or `]`"},
	    {"unqualified-search-registries = [\"a.io\", 5]\n", 1,
	     "expected a registry as a string"},
	    {"x = 1\nunqualified-search-registries = [\n  \"a.io\",\n", 2, "unterminated array"},
	    {"unqualified-search-registries = [\"a.io\"] b\n", 1, "unexpected `b`"},
	    {"unqualified-search-registries = []\nunqualified-search-registries = []\n", 2,
	     "set again"},
	    {"unqualified-search-registries = [\"a\\u0041.io\"]\n", 1, "escape sequences"},
	    {"[aliases]\n\"x\" = \"me/x\"\n", 2, "must begin with its registry"},
	    {"[aliases]\n\"x:1\" = \"quay.io/x\"\n", 2, "has a tag or digest"},
	    {"[aliases]\n\"x\" = \"quay.io/x:1\"\n", 2, "has a tag or digest"},
	    {"[aliases]\n\"quay.io/x\" = \"quay.io/x\"\n", 2, "names a registry"},
	    {"[aliases]\n\"X\" = \"quay.io/x\"\n", 2, "`X`"},
	    {"[aliases]\n\"x\" = \"quay.io/x\n", 2, "unterminated string"},
	    {"[aliases]\n\"x\" = [\"quay.io/x\"]\n", 2, "must be a string"},
	    {"[aliases]\n\"x\" = \"quay.io/x\"\n\"x\" = \"quay.io/y\"\n", 3, "defined twice"},
	    {"[aliases]\nx\n", 2, "expected `=`"},
	    {"\n[aliases\n\"x\" = \"quay.io/x\"\n", 2, "without its closing `]`"},
	    {"[[registry]]\nprefix \"example.com\"\n", 2, "expected `=`"},
	    {"[[registry]]\nlocation = \"example.com\n", 2, "unterminated string"},
	    {"note = \"\"\"\nnever closed\n", 1, "unterminated multi-line string"},
	    {"empty =\n", 1, "missing value"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		use_conf(cases[i].text);
		expect_error("alpine", cases[i].line, cases[i].needle);
	}
}

static void test_limits(void **state)
{
	(void)state;
	/* 65 search registries, one a line: the 65th is on line 66. */
	size_t cap = 64 * 1024;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t len = (size_t)snprintf(text, cap, "unqualified-search-registries = [\n");
	for (int i = 0; i < 64; i++)
		len += (size_t)snprintf(text + len, cap - len, "\"r%d.example\",\n", i);
	char **list = NULL;
	size_t n = 0;
	mvm_error *err = NULL;
	snprintf(text + len, cap - len, "]\n");
	use_conf(text);
	assert_int_equal(image_ref_candidates("a", &list, &n, &err), 0);
	assert_int_equal(n, 64);
	assert_string_equal(list[63], "r63.example/a:latest");
	image_ref_candidates_free(list, n);
	snprintf(text + len, cap - len, "\"r64.example\"]\n");
	use_conf(text);
	expect_error("a", 66, "more than 64");

	/* 4097 aliases: the last is on line 4098. */
	cap = 4200 * 48;
	text = realloc(text, cap);
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "[aliases]\n");
	for (int i = 0; i < 4097; i++)
		len += (size_t)snprintf(text + len, cap - len, "\"a%d\" = \"quay.io/a%d\"\n", i, i);
	use_conf(text);
	expect_error("a", 4098, "more than 4096 aliases");
	free(text);

	/* A file over 1 MiB is refused whatever it holds. */
	text = malloc((1u << 20) + 2);
	assert_non_null(text);
	memset(text, '#', (1u << 20) + 1);
	text[(1u << 20) + 1] = '\0';
	use_conf(text);
	free(text);
	err = NULL;
	assert_int_equal(image_ref_candidates("a", &list, &n, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), getenv("CONTAINERS_REGISTRIES_CONF")));
	assert_non_null(strstr(mvm_error_get_message(err), "larger than"));
	mvm_error_free(err);
}

/* mvm_image_resolve: the first candidate the store has, then docker.io's
 * name for what `mvm load --name` stored. */
static void test_resolve(void **state)
{
	(void)state;
	char store_dir[128];
	snprintf(store_dir, sizeof(store_dir), "%s/store", dir);
	mvm_error *err = NULL;
	mvm_store *m = mvm_store_open(store_dir, &err);
	if (m == NULL)
		fail_msg("mvm_store_open: %s", mvm_error_get_message(err));
	struct store *s = image_store_internal(m);
	struct digest d;
	assert_int_equal(digest_of("a manifest", 10, &d, &err), 0);
	assert_int_equal(store_tag(s, "quay.io/app:latest", &d, &err), 0);
	assert_int_equal(store_tag(s, "docker.io/library/app:latest", &d, &err), 0);
	assert_int_equal(store_tag(s, "docker.io/library/loaded:1", &d, &err), 0);
	assert_int_equal(store_tag(s, "ghcr.io/app:2", &d, &err), 0);
	const struct {
		const char *conf, *ref, *want;
	} cases[] = {
	    {"unqualified-search-registries = [\"ghcr.io\", \"quay.io\"]\n", "app",
	     "quay.io/app:latest"},
	    {"unqualified-search-registries = [\"ghcr.io\", \"quay.io\"]\n", "app:2",
	     "ghcr.io/app:2"},
	    {"unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n", "app",
	     "docker.io/library/app:latest"},
	    {"unqualified-search-registries = [\"ghcr.io\"]\n", "loaded:1",
	     "docker.io/library/loaded:1"},
	    {"[aliases]\n\"web\" = \"quay.io/app\"\n", "web", "quay.io/app:latest"},
	    {"", "app", "docker.io/library/app:latest"},
	    {"broken\n", "quay.io/app", "quay.io/app:latest"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		use_conf(cases[i].conf);
		char *full = NULL;
		if (mvm_image_resolve(m, cases[i].ref, &full, &err) != 0)
			fail_msg("%s: %s", cases[i].ref, mvm_error_get_message(err));
		assert_string_equal(full, cases[i].want);
		free(full);
	}

	/* Nothing there: what was tried, when it was more than one name. */
	char *full = NULL;
	use_conf("unqualified-search-registries = [\"ghcr.io\", \"quay.io\"]\n");
	assert_int_equal(mvm_image_resolve(m, "nope", &full, &err), -1);
	assert_string_equal(
	    mvm_error_get_message(err),
	    "no image `nope` in the store (tried ghcr.io/nope:latest, "
	    "quay.io/nope:latest, docker.io/library/nope:latest; see `mvm images`)");
	mvm_error_free(err);
	err = NULL;
	use_conf("");
	assert_int_equal(mvm_image_resolve(m, "nope", &full, &err), -1);
	assert_string_equal(mvm_error_get_message(err),
			    "no image `nope` in the store (see `mvm images`)");
	mvm_error_free(err);
	err = NULL;
	/* A broken file is reported for a short name. */
	use_conf("broken\n");
	assert_int_equal(mvm_image_resolve(m, "app", &full, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "line 1: expected `=`"));
	mvm_error_free(err);
	assert_null(full);
	mvm_store_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_default, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_which_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_search, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qualified, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_keys_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_in_table_not_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
