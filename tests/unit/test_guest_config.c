/* SPDX-License-Identifier: Apache-2.0 */
/* The config blob: host writer (src/vmm/guest_config.c) against the guest
 * reader (guest/init/config_reader.c), good and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest/init/config_reader.h"
#include "guest/protocol.h"
#include "vmm/guest_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void zero_config(struct mvm_config *c)
{
	memset(c, 0, sizeof(*c));
}

/* Writes cfg, reads it back; the reader must accept what the writer makes. */
static void roundtrip(const struct mvm_config *cfg, const struct guest_mount *m, size_t nm,
		      struct init_config *out)
{
	mvm_error *err = NULL;
	void *blob = NULL;
	size_t len = 0;
	assert_int_equal(guest_config_build(cfg, m, nm, &blob, &len, &err), 0);
	assert_null(err);
	assert_int_equal(len % 4, 0);
	char why[256] = "";
	int rc = init_config_parse(blob, len, out, why, sizeof(why));
	if (rc != 0)
		fail_msg("reader rejected writer output: %s", why);
	free(blob);
}

static void test_empty_config(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	struct init_config out;
	roundtrip(&cfg, NULL, 0, &out);
	assert_null(out.exec_path);
	assert_null(out.workdir);
	assert_int_equal(out.n_args, 0);
	assert_null(out.args[0]);
	assert_int_equal(out.n_env, 0);
	assert_null(out.env[0]);
	assert_int_equal(out.n_rlimits, 0);
	assert_int_equal(out.n_mounts, 0);
	assert_true(out.has_net); /* always written: guest_net_addresses() */
	assert_int_equal(out.log_level, MVM_LOG_OFF);
	init_config_free(&out);
}

static void test_full_config(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	cfg.exec_path = "/usr/bin/env";
	char *args[] = {"a b", "\"quoted\" 'single'", "k=v=w", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93", "line1\nline2",
			"", "--", "\t\r\x01\x7f\xff"};
	cfg.args = args;
	cfg.n_args = sizeof(args) / sizeof(args[0]);
	mvm_env_pair env[] = {{"A", "1"}, {"EMPTY", ""}, {"EQ", "x=y=z"}, {"NL", "a\nb"}, {"A", "again"}};
	cfg.env = env;
	cfg.n_env = 5;
	cfg.workdir_path = "/work dir/\xc3\xa9";
	mvm_rlimit rl[] = {{RLIMIT_NOFILE, 1024, 4096}, {RLIMIT_CORE, 0, 0}, {15, UINT64_MAX, UINT64_MAX}};
	cfg.rlimits = rl;
	cfg.n_rlimits = 3;
	cfg.log.level = MVM_LOG_DEBUG;
	struct guest_mount m[2] = {{.guest_path = "/data"}, {.guest_path = "/a/b c/d"}};
	guest_mount_tag(0, m[0].tag);
	guest_mount_tag(1, m[1].tag);

	struct init_config out;
	roundtrip(&cfg, m, 2, &out);
	assert_string_equal(out.exec_path, "/usr/bin/env");
	assert_int_equal(out.n_args, cfg.n_args);
	for (size_t i = 0; i < cfg.n_args; i++)
		assert_string_equal(out.args[i], args[i]);
	assert_null(out.args[cfg.n_args]);
	assert_int_equal(out.n_env, 5);
	assert_string_equal(out.env[0], "A=1");
	assert_string_equal(out.env[1], "EMPTY=");
	assert_string_equal(out.env[2], "EQ=x=y=z");
	assert_string_equal(out.env[3], "NL=a\nb");
	assert_string_equal(out.env[4], "A=again");
	assert_null(out.env[5]);
	assert_string_equal(out.workdir, "/work dir/\xc3\xa9");
	assert_int_equal(out.n_rlimits, 3);
	assert_int_equal(out.rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(out.rlimits[0].soft, 1024);
	assert_int_equal(out.rlimits[0].hard, 4096);
	assert_int_equal(out.rlimits[1].resource, RLIMIT_CORE);
	assert_int_equal(out.rlimits[2].resource, 15);
	assert_true(out.rlimits[2].soft == UINT64_MAX && out.rlimits[2].hard == UINT64_MAX);
	assert_int_equal(out.n_mounts, 2);
	assert_string_equal(out.mounts[0].tag, "mvmfs0");
	assert_string_equal(out.mounts[0].path, "/data");
	assert_string_equal(out.mounts[1].tag, "mvmfs1");
	assert_string_equal(out.mounts[1].path, "/a/b c/d");
	assert_int_equal(out.log_level, MVM_LOG_DEBUG);
	init_config_free(&out);
}

static void test_200_env_vars_and_long_args(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	mvm_env_pair env[200];
	char keys[200][16], vals[200][64];
	for (int i = 0; i < 200; i++) {
		snprintf(keys[i], sizeof(keys[i]), "VAR_%d", i);
		snprintf(vals[i], sizeof(vals[i]), "value %d with spaces = and \"quotes\"", i);
		env[i].key = keys[i];
		env[i].value = vals[i];
	}
	cfg.env = env;
	cfg.n_env = 200;
	char *big = malloc(100001);
	assert_non_null(big);
	for (int i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	big[100000] = '\0';
	char *args[1] = {big};
	cfg.args = args;
	cfg.n_args = 1;

	struct init_config out;
	roundtrip(&cfg, NULL, 0, &out);
	assert_int_equal(out.n_env, 200);
	for (int i = 0; i < 200; i++) {
		char want[96];
		snprintf(want, sizeof(want), "%s=%s", keys[i], vals[i]);
		assert_string_equal(out.env[i], want);
	}
	assert_string_equal(out.args[0], big);
	init_config_free(&out);
	free(big);
}

static void test_mounts_from_config(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	mvm_path_pair dirs[3] = {{"/h0", "/g0"}, {"/h1", "/g/1"}, {"/h2", "/g2"}};
	cfg.mapped_dirs = dirs;
	cfg.n_mapped_dirs = 3;
	struct guest_mount *m = NULL;
	size_t n = 0;
	mvm_error *err = NULL;
	assert_int_equal(guest_mounts_from_config(&cfg, &m, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(m[0].tag, "mvmfs0");
	assert_string_equal(m[2].tag, "mvmfs2");
	assert_ptr_equal(m[1].guest_path, dirs[1].guest);
	struct init_config out;
	roundtrip(&cfg, m, n, &out);
	assert_int_equal(out.n_mounts, 3);
	assert_string_equal(out.mounts[1].tag, "mvmfs1");
	assert_string_equal(out.mounts[1].path, "/g/1");
	init_config_free(&out);
	free(m);

	cfg.n_mapped_dirs = 0;
	assert_int_equal(guest_mounts_from_config(&cfg, &m, &n, &err), 0);
	assert_null(m);
	assert_int_equal(n, 0);
}

/* The writer refuses what the guest would refuse, naming the value. */
static void expect_writer_error(const struct mvm_config *cfg, const struct guest_mount *m, size_t nm,
				const char *needle)
{
	mvm_error *err = NULL;
	void *blob = (void *)1;
	size_t len = 0;
	assert_int_equal(guest_config_build(cfg, m, nm, &blob, &len, &err), -1);
	assert_non_null(err);
	assert_int_equal(mvm_error_get_code(err), MVM_ERR_INVALID);
	const char *msg = mvm_error_get_message(err);
	if (!strstr(msg, needle))
		fail_msg("message `%s` lacks `%s`", msg, needle);
	mvm_error_free(err);
}

static void test_writer_rejects(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	cfg.exec_path = "bin/sh";
	expect_writer_error(&cfg, NULL, 0, "bin/sh");
	zero_config(&cfg);
	cfg.workdir_path = "rel";
	expect_writer_error(&cfg, NULL, 0, "`rel`");
	zero_config(&cfg);
	mvm_rlimit bad_res = {16, 1, 1};
	cfg.rlimits = &bad_res;
	cfg.n_rlimits = 1;
	expect_writer_error(&cfg, NULL, 0, "resource 16");
	mvm_rlimit neg_res = {-1, 1, 1};
	cfg.rlimits = &neg_res;
	expect_writer_error(&cfg, NULL, 0, "resource -1");
	mvm_rlimit soft_gt_hard = {7, 10, 5};
	cfg.rlimits = &soft_gt_hard;
	expect_writer_error(&cfg, NULL, 0, "soft limit 10 exceeds hard limit 5");
	zero_config(&cfg);
	mvm_env_pair bad_env[] = {{"", "x"}};
	cfg.env = bad_env;
	cfg.n_env = 1;
	expect_writer_error(&cfg, NULL, 0, "env key");
	mvm_env_pair eq_env[] = {{"A=B", "x"}};
	cfg.env = eq_env;
	expect_writer_error(&cfg, NULL, 0, "`A=B`");
	zero_config(&cfg);
	struct guest_mount m = {.tag = "", .guest_path = "/x"};
	expect_writer_error(&cfg, &m, 1, "tag");
	struct guest_mount rel = {.tag = "mvmfs0", .guest_path = "x"};
	expect_writer_error(&cfg, &rel, 1, "`x`");
	struct guest_mount root = {.tag = "mvmfs0", .guest_path = "/"};
	expect_writer_error(&cfg, &root, 1, "`/`");
}

/* ---- Hand-made blobs for the reader ---- */

struct raw {
	uint8_t b[4096];
	size_t len;
};

static void raw_header(struct raw *r)
{
	memcpy(r->b, MVM_CFG_MAGIC, 8);
	r->b[8] = MVM_CFG_VERSION;
	r->b[9] = r->b[10] = r->b[11] = 0;
	r->len = 16;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Appends a record with the given declared length and actual payload. */
static void raw_record_len(struct raw *r, uint16_t type, uint32_t declared, const void *p, size_t n)
{
	r->b[r->len] = (uint8_t)type;
	r->b[r->len + 1] = (uint8_t)(type >> 8);
	r->b[r->len + 2] = r->b[r->len + 3] = 0;
	put32(r->b + r->len + 4, declared);
	memcpy(r->b + r->len + 8, p, n);
	size_t padded = (n + 3) & ~(size_t)3;
	memset(r->b + r->len + 8 + n, 0, padded - n);
	r->len += 8 + padded;
}

static void raw_record(struct raw *r, uint16_t type, const void *p, size_t n)
{
	raw_record_len(r, type, (uint32_t)n, p, n);
}

static void raw_finish(struct raw *r)
{
	put32(r->b + 12, (uint32_t)r->len);
}

static void expect_reject(const struct raw *r, size_t len, const char *needle)
{
	struct init_config out;
	char why[256] = "";
	assert_int_equal(init_config_parse(r->b, len, &out, why, sizeof(why)), -1);
	if (!strstr(why, needle))
		fail_msg("reason `%s` lacks `%s`", why, needle);
	/* Nothing was left allocated, and the struct is safe to free again. */
	assert_null(out.args);
	init_config_free(&out);
}

static void expect_accept(const struct raw *r, struct init_config *out)
{
	char why[256] = "";
	if (init_config_parse(r->b, r->len, out, why, sizeof(why)) != 0)
		fail_msg("rejected: %s", why);
}

static void test_reader_header(void **state)
{
	struct raw r;
	raw_header(&r);
	raw_finish(&r);
	struct init_config out;
	expect_accept(&r, &out);
	init_config_free(&out);

	expect_reject(&r, 15, "shorter than");
	expect_reject(&r, 0, "shorter than");
	struct raw bad = r;
	bad.b[0] = 'X';
	expect_reject(&bad, bad.len, "bad magic");
	bad = r;
	bad.b[8] = 2;
	expect_reject(&bad, bad.len, "version 2");
	bad = r;
	put32(bad.b + 12, 0xffffffffu);
	expect_reject(&bad, bad.len, "header says 4294967295");
	bad = r;
	put32(bad.b + 12, 8);
	expect_reject(&bad, bad.len, "header says 8");
	assert_int_equal(init_config_parse(NULL, 100, &out, NULL, 0), -1);
}

static void test_reader_truncated_and_huge(void **state)
{
	struct raw r;
	raw_header(&r);
	raw_record(&r, MVM_CFG_ARG, "hello", 5);
	raw_finish(&r);
	struct init_config out;
	expect_accept(&r, &out);
	assert_string_equal(out.args[0], "hello");
	init_config_free(&out);

	/* Every truncation point inside the record, with total_len consistent
	 * with the cut (16 itself is a valid empty blob). */
	for (size_t cut = 17; cut < r.len; cut++) {
		struct raw t = r;
		put32(t.b + 12, (uint32_t)cut);
		expect_reject(&t, cut, "config");
	}
	/* Lengths that would overflow 32- or 64-bit arithmetic. */
	uint32_t huge[] = {0xffffffffu, 0xfffffffdu, 0x80000000u, 6, 9};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		struct raw h;
		raw_header(&h);
		raw_record_len(&h, MVM_CFG_ARG, huge[i], "hello", 5);
		raw_finish(&h);
		expect_reject(&h, h.len, "record 0");
	}
	/* A header-sized tail that is not a whole record. */
	struct raw s;
	raw_header(&s);
	memset(s.b + 16, 0, 4);
	s.len = 20;
	raw_finish(&s);
	expect_reject(&s, s.len, "stray bytes");
}

static void test_reader_record_rules(void **state)
{
	struct raw r;
	raw_header(&r);
	raw_record(&r, MVM_CFG_EXEC, "bin/sh", 6);
	raw_finish(&r);
	expect_reject(&r, r.len, "exec path must be an absolute path");

	raw_header(&r);
	raw_record(&r, MVM_CFG_EXEC, "", 0);
	raw_finish(&r);
	expect_reject(&r, r.len, "exec path must be an absolute path");

	raw_header(&r);
	raw_record(&r, MVM_CFG_WORKDIR, "tmp", 3);
	raw_finish(&r);
	expect_reject(&r, r.len, "workdir must be an absolute path");

	raw_header(&r);
	raw_record(&r, MVM_CFG_ARG, "a\0b", 3);
	raw_finish(&r);
	expect_reject(&r, r.len, "argument contains a NUL");

	raw_header(&r);
	raw_record(&r, MVM_CFG_EXEC, "/bin\0/sh", 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "NUL");

	raw_header(&r);
	raw_record(&r, MVM_CFG_ENV, "NOEQUALS", 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "KEY=VALUE");

	raw_header(&r);
	raw_record(&r, MVM_CFG_ENV, "=value", 6);
	raw_finish(&r);
	expect_reject(&r, r.len, "non-empty key");

	raw_header(&r);
	raw_record(&r, MVM_CFG_ENV, "", 0);
	raw_finish(&r);
	expect_reject(&r, r.len, "KEY=VALUE");

	uint8_t rl[24] = {0};
	put32(rl, 16);
	raw_header(&r);
	raw_record(&r, MVM_CFG_RLIMIT, rl, 24);
	raw_finish(&r);
	expect_reject(&r, r.len, "resource 16");

	put32(rl, 7);
	rl[8] = 10;  /* soft 10 */
	rl[16] = 5;  /* hard 5 */
	raw_header(&r);
	raw_record(&r, MVM_CFG_RLIMIT, rl, 24);
	raw_finish(&r);
	expect_reject(&r, r.len, "soft limit exceeds");

	raw_header(&r);
	raw_record(&r, MVM_CFG_RLIMIT, rl, 20);
	raw_finish(&r);
	expect_reject(&r, r.len, "24 bytes, not 20");

	raw_header(&r);
	raw_record(&r, MVM_CFG_MOUNT, "mvmfs0/data", 11);
	raw_finish(&r);
	expect_reject(&r, r.len, "no NUL");

	raw_header(&r);
	raw_record(&r, MVM_CFG_MOUNT, "\0/data", 6);
	raw_finish(&r);
	expect_reject(&r, r.len, "tag must be 1..36");

	raw_header(&r);
	raw_record(&r, MVM_CFG_MOUNT, "tag\0data", 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "mount point must be an absolute");

	raw_header(&r);
	raw_record(&r, MVM_CFG_MOUNT, "tag\0/da\0ta", 11);
	raw_finish(&r);
	expect_reject(&r, r.len, "mount point contains a NUL");

	char longtag[64];
	memset(longtag, 'x', 37);
	memcpy(longtag + 37, "\0/p", 3);
	raw_header(&r);
	raw_record(&r, MVM_CFG_MOUNT, longtag, 40);
	raw_finish(&r);
	expect_reject(&r, r.len, "not 37");

	raw_header(&r);
	raw_record(&r, MVM_CFG_LOGLEVEL, "\4\0", 2);
	raw_finish(&r);
	expect_reject(&r, r.len, "log level payload must be 4 bytes");

	raw_header(&r);
	raw_record(&r, MVM_CFG_NET, "12345678", 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "net payload must be 16 bytes");

	raw_header(&r);
	raw_record(&r, MVM_CFG_EXEC, "/a", 2);
	raw_record(&r, MVM_CFG_EXEC, "/b", 2);
	raw_finish(&r);
	expect_reject(&r, r.len, "at most once");
}

static void test_layers_and_user(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	cfg.exec_path = "python3"; /* a bare name: PATH search in the guest */
	cfg.image.ref = "img";
	cfg.image.n_layers = 3;
	cfg.has_ids = true;
	cfg.uid = 1000;
	cfg.gid = 4294967294u;
	struct init_config out;
	roundtrip(&cfg, NULL, 0, &out);
	assert_string_equal(out.exec_path, "python3");
	assert_int_equal(out.n_layers, 3);
	assert_false(out.tmpfs_upper);
	assert_true(out.has_user);
	assert_int_equal(out.uid, 1000);
	assert_int_equal(out.gid, 4294967294u);
	init_config_free(&out);

	cfg.image.tmpfs_upper = true;
	roundtrip(&cfg, NULL, 0, &out);
	assert_true(out.tmpfs_upper);
	init_config_free(&out);

	/* The writer refuses what mvm-init cannot mount. */
	cfg.image.n_layers = MVM_MAX_LAYERS + 1;
	void *blob = NULL;
	size_t len;
	mvm_error *err = NULL;
	assert_int_equal(guest_config_build(&cfg, NULL, 0, &blob, &len, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "layers"));
	mvm_error_free(err);

	/* And the reader refuses a count out of range, a short payload, a
	 * second record and a relative path with a slash. */
	struct raw r;
	uint8_t zero[8] = {0}, many[8] = {MVM_MAX_LAYERS + 1, 0, 0, 0}, ids[8] = {0};
	uint8_t flags[8] = {1, 0, 0, 0, 2, 0, 0, 0};
	raw_header(&r);
	raw_record(&r, MVM_CFG_LAYERS, flags, 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "unknown layer flags 0x2");
	raw_header(&r);
	raw_record(&r, MVM_CFG_LAYERS, zero, 4);
	raw_finish(&r);
	expect_reject(&r, r.len, "layers payload must be 8 bytes");
	raw_header(&r);
	raw_record(&r, MVM_CFG_LAYERS, zero, 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "layer count 0 is not in 1..");
	raw_header(&r);
	raw_record(&r, MVM_CFG_LAYERS, many, 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "is not in 1..");
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER, ids, 4);
	raw_finish(&r);
	expect_reject(&r, r.len, "user payload must be 8 bytes");
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER, ids, 8);
	raw_record(&r, MVM_CFG_USER, ids, 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "at most once");
	raw_header(&r);
	raw_record(&r, MVM_CFG_EXEC, "./prog", 6);
	raw_finish(&r);
	expect_reject(&r, r.len, "or a name without `/`");
}

/* An exec's user by name travels as a string the guest resolves; a
 * resolved user (a run's) as ids. The reader takes one or the other. */
static void test_user_name(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	cfg.user = "nobody:staff";
	struct init_config out;
	roundtrip(&cfg, NULL, 0, &out);
	assert_false(out.has_user);
	assert_string_equal(out.user_name, "nobody:staff");
	init_config_free(&out);
	cfg.has_ids = true; /* resolved by build(): the ids win */
	cfg.uid = 7;
	roundtrip(&cfg, NULL, 0, &out);
	assert_true(out.has_user);
	assert_null(out.user_name);
	init_config_free(&out);

	struct raw r;
	uint8_t ids[8] = {0};
	char big[INIT_USER_NAME_MAX + 1];
	memset(big, 'u', sizeof(big));
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER_NAME, "a", 1);
	raw_record(&r, MVM_CFG_USER, ids, 8);
	raw_finish(&r);
	expect_reject(&r, r.len, "a user's ids and a user name both given");
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER_NAME, "a", 1);
	raw_record(&r, MVM_CFG_USER_NAME, "b", 1);
	raw_finish(&r);
	expect_reject(&r, r.len, "at most once");
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER_NAME, "", 0);
	raw_finish(&r);
	expect_reject(&r, r.len, "user name of 0 bytes");
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER_NAME, big, sizeof(big));
	raw_finish(&r);
	expect_reject(&r, r.len, "user name of 257 bytes");
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER_NAME, "a\0b", 3);
	raw_finish(&r);
	expect_reject(&r, r.len, "contains a NUL byte");
	raw_header(&r);
	raw_record(&r, MVM_CFG_USER_NAME, big, INIT_USER_NAME_MAX);
	raw_finish(&r);
	expect_accept(&r, &out);
	assert_int_equal(strlen(out.user_name), INIT_USER_NAME_MAX);
	init_config_free(&out);
}

/* Host name, sysctls and files travel to mvm-init as they are; the reader
 * holds each to its rules. */
static void test_system_records(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	char *sysctls[] = {"net.ipv4.ping_group_range=0 0", "kernel/domainname=x"};
	struct config_file files[] = {{.path = "/etc/hosts", .data = (uint8_t *)"127.0.0.1 a\n",
				       .len = 12, .mode = 0644},
				      {.path = "/run/.containerenv", .data = (uint8_t *)"", .len = 0,
				       .mode = 0400, .readonly = true}};
	cfg.hostname = "box-1.example";
	cfg.sysctls = sysctls;
	cfg.n_sysctls = 2;
	cfg.files = files;
	cfg.n_files = 2;
	struct init_config out;
	roundtrip(&cfg, NULL, 0, &out);
	assert_string_equal(out.hostname, "box-1.example");
	assert_int_equal(out.n_sysctls, 2);
	assert_string_equal(out.sysctls[1], "kernel/domainname=x");
	assert_int_equal(out.n_files, 2);
	assert_string_equal(out.files[0].path, "/etc/hosts");
	assert_int_equal(out.files[0].len, 12);
	assert_memory_equal(out.files[0].data, "127.0.0.1 a\n", 12);
	assert_int_equal(out.files[0].mode, 0644);
	assert_false(out.files[0].readonly);
	assert_int_equal(out.files[1].len, 0);
	assert_true(out.files[1].readonly);
	assert_false(out.publish);
	init_config_free(&out);
	cfg.publish_listening = true;
	cfg.hold = true;
	uint32_t groups[] = {10, 20};
	struct config_tmpfs tmpfs[] = {{.path = "/run", .flags = 33, .data = "mode=755,size=64k"},
				       {.path = "/x/y", .flags = 0, .data = ""}};
	cfg.groups = groups;
	cfg.n_groups = 2;
	cfg.tmpfs = tmpfs;
	cfg.n_tmpfs = 2;
	char *ro[] = {"/"};
	cfg.read_only = ro;
	cfg.n_read_only = 1;
	roundtrip(&cfg, NULL, 0, &out);
	assert_int_equal(out.n_read_only, 1);
	assert_string_equal(out.read_only[0], "/");
	assert_true(out.publish);
	assert_true(out.hold);
	assert_int_equal(out.n_groups, 2);
	assert_int_equal(out.groups[1], 20);
	assert_int_equal(out.n_tmpfs, 2);
	assert_string_equal(out.tmpfs[0].path, "/run");
	assert_int_equal(out.tmpfs[0].flags, 33);
	assert_string_equal(out.tmpfs[0].data, "mode=755,size=64k");
	assert_string_equal(out.tmpfs[1].data, "");
	init_config_free(&out);

	struct raw r;
	raw_header(&r);
	raw_record(&r, MVM_CFG_HOSTNAME, "a b", 3);
	raw_finish(&r);
	expect_reject(&r, r.len, "host name byte 1");
	raw_header(&r);
	raw_record(&r, MVM_CFG_HOSTNAME, "a", 1);
	raw_record(&r, MVM_CFG_HOSTNAME, "b", 1);
	raw_finish(&r);
	expect_reject(&r, r.len, "at most once");
	static const uint8_t zero4[4];
	raw_header(&r);
	raw_record(&r, MVM_CFG_PUBLISH, zero4, 4);
	raw_record(&r, MVM_CFG_PUBLISH, zero4, 4);
	raw_finish(&r);
	expect_reject(&r, r.len, "at most once");
	raw_header(&r);
	raw_record(&r, MVM_CFG_PUBLISH, zero4, 3);
	raw_finish(&r);
	expect_reject(&r, r.len, "publish");
	raw_header(&r);
	raw_record(&r, MVM_CFG_HOLD, zero4, 4);
	raw_record(&r, MVM_CFG_HOLD, zero4, 4);
	raw_finish(&r);
	expect_reject(&r, r.len, "at most once");
	raw_header(&r);
	raw_record(&r, MVM_CFG_READONLY, "data", 4);
	raw_finish(&r);
	expect_reject(&r, r.len, "read-only share");
	raw_header(&r);
	raw_record(&r, MVM_CFG_READONLY, "/", 1);
	raw_record(&r, MVM_CFG_READONLY, "/a", 2);
	raw_finish(&r);
	expect_reject(&r, r.len, "2 read-only shares of 1");
	static const uint8_t gid_max[4] = {0xff, 0xff, 0xff, 0xff};
	raw_header(&r);
	raw_record(&r, MVM_CFG_GROUPS, gid_max, 4);
	raw_finish(&r);
	expect_reject(&r, r.len, "not a group id");
	raw_header(&r);
	raw_record(&r, MVM_CFG_GROUPS, zero4, 3);
	raw_finish(&r);
	expect_reject(&r, r.len, "groups: 1 to 64 ids");
	static const struct {
		const char *bytes;
		size_t len;
		const char *why;
	} bad_tmpfs[] = {
	    {"\x01\0\0\x01\0\0\0\0/run\0", 13, "flags"},
	    {"\0\0\0\0\0\0\0\0/a/../b\0", 16, "`..` component"},
	    {"\0\0\0\0\0\0\0\0run\0", 12, "must be absolute"},
	    {"\0\0\0\0\0\0\0\0/run\0mode=7,x=\"", 23, "tmpfs data byte"},
	    {"\0\0\0\0\0\0\0\0/run", 12, "end in NUL"},
	};
	for (size_t i = 0; i < sizeof(bad_tmpfs) / sizeof(bad_tmpfs[0]); i++) {
		raw_header(&r);
		raw_record(&r, MVM_CFG_TMPFS, bad_tmpfs[i].bytes, bad_tmpfs[i].len);
		raw_finish(&r);
		expect_reject(&r, r.len, bad_tmpfs[i].why);
	}
	static const char *const bad_sysctls[] = {"=1", "a..b=1", "../x=1", "a/=1", ".a=1",
						  "a b=1", "noequals"};
	for (size_t i = 0; i < sizeof(bad_sysctls) / sizeof(bad_sysctls[0]); i++) {
		raw_header(&r);
		raw_record(&r, MVM_CFG_SYSCTL, bad_sysctls[i], strlen(bad_sysctls[i]));
		raw_finish(&r);
		expect_reject(&r, r.len, "sysctl");
	}
	uint8_t file[64] = {0x44, 0x04, 0, 0, 0, 0, 0, 0};
	memcpy(file + 8, "/a/../etc\0x", 12);
	raw_header(&r);
	raw_record(&r, MVM_CFG_FILE, file, 20);
	raw_finish(&r);
	expect_reject(&r, r.len, "`..` component");
	memcpy(file + 8, "etc/x\0", 6);
	raw_header(&r);
	raw_record(&r, MVM_CFG_FILE, file, 14);
	raw_finish(&r);
	expect_reject(&r, r.len, "must be absolute");
	memcpy(file + 8, "/x", 2); /* no NUL */
	raw_header(&r);
	raw_record(&r, MVM_CFG_FILE, file, 10);
	raw_finish(&r);
	expect_reject(&r, r.len, "end in NUL");
	file[1] = 0x10; /* mode 010044: past 07777 */
	memcpy(file + 8, "/x\0", 3);
	raw_header(&r);
	raw_record(&r, MVM_CFG_FILE, file, 11);
	raw_finish(&r);
	expect_reject(&r, r.len, "out of range");
}

/* -t: the size travels in the TTY record; one record at most, 4 bytes. */
static void test_tty(void **state)
{
	(void)state;
	struct mvm_config cfg;
	zero_config(&cfg);
	struct init_config out;
	roundtrip(&cfg, NULL, 0, &out);
	assert_false(out.has_tty);
	init_config_free(&out);
	cfg.tty = true;
	cfg.tty_rows = 40;
	cfg.tty_cols = 65535;
	roundtrip(&cfg, NULL, 0, &out);
	assert_true(out.has_tty);
	assert_int_equal(out.tty_rows, 40);
	assert_int_equal(out.tty_cols, 65535);
	init_config_free(&out);
	struct raw r;
	uint8_t size[4] = {24, 0, 80, 0};
	raw_header(&r);
	raw_record(&r, MVM_CFG_TTY, size, 2);
	raw_finish(&r);
	expect_reject(&r, r.len, "tty payload must be 4 bytes");
	raw_header(&r);
	raw_record(&r, MVM_CFG_TTY, size, 4);
	raw_record(&r, MVM_CFG_TTY, size, 4);
	raw_finish(&r);
	expect_reject(&r, r.len, "at most once");
}

static void test_reader_unknown_and_net(void **state)
{
	struct raw r;
	raw_header(&r);
	raw_record(&r, 0, "", 0);         /* zero type, zero length: unknown */
	raw_record(&r, 999, "\0\0\0", 3); /* unknown type with NULs: ignored */
	raw_record(&r, 0xffff, "", 0);
	raw_record(&r, MVM_CFG_ARG, "", 0); /* an empty argument is valid */
	uint8_t net[16] = {10, 0, 2, 15, 24, 0, 0, 0, 10, 0, 2, 2, 10, 0, 2, 3};
	raw_record(&r, MVM_CFG_NET, net, 16);
	raw_record(&r, MVM_CFG_ARG, "x", 1);
	raw_finish(&r);
	struct init_config out;
	expect_accept(&r, &out);
	assert_int_equal(out.n_args, 2);
	assert_string_equal(out.args[0], "");
	assert_string_equal(out.args[1], "x");
	assert_true(out.has_net);
	const uint8_t *a = (const uint8_t *)&out.net.addr;
	assert_true(a[0] == 10 && a[1] == 0 && a[2] == 2 && a[3] == 15); /* network byte order kept */
	assert_int_equal(out.net.prefix_len, 24);
	init_config_free(&out);
}

/* Random mutations of a valid blob: under ASan/UBSan any out-of-bounds read
 * or overflow fails the test; results must be consistent either way. */
static void test_reader_fuzz(void **state)
{
	struct mvm_config cfg;
	zero_config(&cfg);
	cfg.exec_path = "/bin/prog";
	char *args[] = {"one", "", "three=3"};
	cfg.args = args;
	cfg.n_args = 3;
	mvm_env_pair env[] = {{"K", "V"}};
	cfg.env = env;
	cfg.n_env = 1;
	cfg.workdir_path = "/w";
	mvm_rlimit rl = {7, 1, 2};
	cfg.rlimits = &rl;
	cfg.n_rlimits = 1;
	struct guest_mount m = {.tag = "mvmfs0", .guest_path = "/m"};
	mvm_error *err = NULL;
	void *blob;
	size_t len;
	assert_int_equal(guest_config_build(&cfg, &m, 1, &blob, &len, &err), 0);

	unsigned seed = 12345;
	size_t accepted = 0;
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t *copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, blob, len);
		int flips = 1 + rand_r(&seed) % 4;
		for (int k = 0; k < flips; k++) {
			size_t pos = (size_t)rand_r(&seed) % len;
			switch (rand_r(&seed) % 3) {
			case 0:
				copy[pos] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
				break;
			case 1:
				copy[pos] = (uint8_t)rand_r(&seed);
				break;
			default:
				copy[pos] = (rand_r(&seed) & 1) ? 0xff : 0;
				break;
			}
		}
		/* Exact-size heap copy so ASan catches a single byte overread. */
		size_t cut = (rand_r(&seed) % 4 == 0) ? (size_t)rand_r(&seed) % (len + 1) : len;
		uint8_t *exact = malloc(cut ? cut : 1);
		memcpy(exact, copy, cut);
		struct init_config out;
		char why[256];
		if (init_config_parse(exact, cut, &out, why, sizeof(why)) == 0) {
			accepted++;
			/* Whatever was accepted obeys the rules. */
			assert_true(!out.exec_path || out.exec_path[0] == '/' ||
				    (out.exec_path[0] && !strchr(out.exec_path, '/')));
			assert_true(out.n_layers <= MVM_MAX_LAYERS);
			assert_true(!out.workdir || out.workdir[0] == '/');
			for (size_t i = 0; i < out.n_rlimits; i++) {
				assert_true(out.rlimits[i].resource < INIT_RLIMIT_COUNT);
				assert_true(out.rlimits[i].soft <= out.rlimits[i].hard);
			}
			for (size_t i = 0; i < out.n_env; i++)
				assert_true(strchr(out.env[i], '=') > out.env[i]);
			assert_null(out.args[out.n_args]);
			init_config_free(&out);
		} else {
			assert_true(why[0] != '\0');
		}
		free(exact);
		free(copy);
	}
	/* Flips in padding or payload bytes keep a blob valid: the loop
	 * explored both outcomes. */
	assert_true(accepted > 0 && accepted < 20000);
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_config),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_200_env_vars_and_long_args),
		cmocka_unit_test(test_mounts_from_config),
		cmocka_unit_test(test_writer_rejects),
		cmocka_unit_test(test_reader_header),
		cmocka_unit_test(test_reader_truncated_and_huge),
		cmocka_unit_test(test_reader_record_rules),
		cmocka_unit_test(test_reader_unknown_and_net),
		cmocka_unit_test(test_layers_and_user),
		cmocka_unit_test(test_tty),
		cmocka_unit_test(test_user_name),
		cmocka_unit_test(test_system_records),
		cmocka_unit_test(test_reader_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
