/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The string parsers a user feeds through the CLI or the builder: the first
 * byte picks the parser, the rest is the string. On success the result
 * must satisfy the parser's promise, and where there is a printer, print
 * and parse back to the same value.
 */
#include "fuzz_common.h"
#include "config/guest_path.h"
#include "config/guest_user.h"
#include "config/ipv4.h"
#include "config/number.h"
#include "config/port_spec.h"
#include "config/rlimit.h"
#include "guest/init/ports.h"
#include "image/ref.h"
#include "image/registries.h"
#include "net/port_learn.h"
#include "oci/spec.h"
#include "sandbox/detach.h"
#include "util/override_stat.h"
#include "mvm.h"

#include <stdio.h>
#include <sys/stat.h>

static void path_pair(const char *s)
{
	mvm_path_pair p;
	mvm_error *err = NULL;
	if (mvm_path_pair_parse(s, &p, &err) == 0) {
		/* Split at the first ':', both sides non-empty; absolute
		 * paths are build()'s rule, not the parser's. */
		FZ_CHECK(p.host != NULL && p.guest != NULL && p.host[0] && p.guest[0]);
		FZ_CHECK(strchr(p.host, ':') == NULL);
		mvm_path_pair_clear(&p);
	}
	mvm_error_free(err);
}

static void port_pair(const char *s)
{
	mvm_port_pair p;
	mvm_error *err = NULL;
	if (mvm_port_pair_parse(s, &p, &err) == 0) {
		char again[64];
		snprintf(again, sizeof(again), "%u:%u", p.host, p.guest);
		mvm_port_pair q;
		FZ_CHECK(mvm_port_pair_parse(again, &q, NULL) == 0);
		FZ_CHECK(q.host == p.host && q.guest == p.guest && p.host && p.guest);
	}
	mvm_error_free(err);
	/* docker's full form, [IP:]HOST:GUEST[/tcp|/udp] */
	struct net_port_spec spec;
	err = NULL;
	if (net_port_spec_parse(s, &spec, &err) == 0) {
		char again[64], ip[IPV4_STR_MAX];
		ipv4_format(spec.bind_ip, ip);
		snprintf(again, sizeof(again), "%s:%u:%u/%s", ip, spec.host, spec.guest,
			 spec.udp ? "udp" : "tcp");
		struct net_port_spec q;
		FZ_CHECK(net_port_spec_parse(again, &q, NULL) == 0);
		FZ_CHECK(q.host == spec.host && q.guest == spec.guest &&
			 q.bind_ip == spec.bind_ip && q.udp == spec.udp);
	}
	mvm_error_free(err);
}

static void env_pair(const char *s)
{
	mvm_env_pair p;
	mvm_error *err = NULL;
	if (mvm_env_pair_parse(s, &p, &err) == 0) {
		FZ_CHECK(p.key != NULL && p.value != NULL && p.key[0] != '\0' &&
			 strchr(p.key, '=') == NULL);
		mvm_env_pair_clear(&p);
	}
	mvm_error_free(err);
}

static void rlimit(const char *s)
{
	mvm_rlimit r;
	mvm_error *err = NULL;
	if (mvm_rlimit_parse(s, &r, &err) == 0) {
		FZ_CHECK(rlimit_problem(&r) == NULL);
		const char *name = mvm_rlimit_name(r.resource);
		FZ_CHECK(name != NULL);
		char again[128];
		snprintf(again, sizeof(again), "%s=%llu:%llu", name, (unsigned long long)r.soft,
			 (unsigned long long)r.hard);
		mvm_rlimit q;
		FZ_CHECK(mvm_rlimit_parse(again, &q, NULL) == 0);
		FZ_CHECK(q.resource == r.resource && q.soft == r.soft && q.hard == r.hard);
	}
	mvm_error_free(err);
}

static void log_level(const char *s)
{
	mvm_log_level l;
	mvm_error *err = NULL;
	if (mvm_log_level_parse(s, &l, &err) == 0) {
		FZ_CHECK(l >= MVM_LOG_OFF && l <= MVM_LOG_TRACE);
		mvm_log_level again;
		FZ_CHECK(mvm_log_level_parse(mvm_log_level_name(l), &again, NULL) == 0 &&
			 again == l);
	}
	mvm_error_free(err);
}

static void ipv4(const char *s)
{
	uint32_t a;
	mvm_error *err = NULL;
	if (ipv4_parse(s, &a, &err) == 0) {
		char buf[IPV4_STR_MAX];
		ipv4_format(a, buf);
		FZ_CHECK(strcmp(buf, s) == 0); /* strict: one spelling per address */
		ipv4_not_unicast_reason(a);
	}
	mvm_error_free(err);
}

static void guest_path(const char *s)
{
	mvm_error *err = NULL;
	char *n = guest_path_normalize(s, "fuzz", &err);
	if (n != NULL) {
		FZ_CHECK(n[0] == '/');
		char *again = guest_path_normalize(n, "fuzz", NULL);
		FZ_CHECK(again != NULL && strcmp(again, n) == 0);
		FZ_CHECK(guest_path_contains("/", n) && guest_path_contains(n, n));
		free(again);
		free(n);
	}
	mvm_error_free(err);
}

static void decimal(const char *s)
{
	uint64_t v;
	if (parse_decimal(s, strlen(s), UINT64_MAX, &v)) {
		FZ_CHECK(s[0] != '\0' && strspn(s, "0123456789") == strlen(s));
		FZ_CHECK(v == strtoull(s, NULL, 10));
	}
}

/* The ownership xattr of the virtual share mode: whatever we accept we
 * print, and read back to the same value. */
static void override_stat(const char *s)
{
	struct override_stat o, again;
	if (override_stat_parse(s, strlen(s), &o) == 0) {
		FZ_CHECK((o.mode & ~(mode_t)(S_IFMT | 07777)) == 0);
		FZ_CHECK(o.uid != UINT32_MAX && o.gid != UINT32_MAX);
		char buf[OVERRIDE_STAT_MAX];
		size_t n = override_stat_format(&o, buf);
		FZ_CHECK(n == strlen(buf) && n < OVERRIDE_STAT_MAX);
		FZ_CHECK(override_stat_parse(buf, n, &again) == 0);
		FZ_CHECK(again.uid == o.uid && again.gid == o.gid && again.mode == o.mode &&
			 again.has_type == o.has_type && again.rdev == o.rdev);
	}
}

/* -u USER against an image's /etc/passwd and /etc/group: the string is
 * "SPEC\nPASSWD\x01GROUP", any part may be missing. An id that resolves
 * is never (uid_t)-1, which the kernel reads as "no change". */
static void guest_user(const char *s)
{
	const char *nl = strchr(s, '\n');
	char *spec = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
	char *passwd = nl ? strdup(nl + 1) : NULL;
	char *group = passwd ? strchr(passwd, '\x01') : NULL;
	if (group)
		*group++ = '\0';
	uint32_t uid = 0, gid = 0;
	mvm_error *err = NULL;
	if (guest_user_resolve(spec, passwd, group, &uid, &gid, &err) == 0)
		FZ_CHECK(uid != UINT32_MAX && gid != UINT32_MAX && spec[0] != '\0');
	else
		FZ_CHECK(err != NULL);
	mvm_error_free(err);
	free(spec);
	free(passwd);
}

/* A short name against a registries.conf: "NAME\nFILE". Whatever the
 * file says, every candidate is a full name that parses, and a qualified
 * name stands for itself alone. */
static void registries(const char *s)
{
	const char *nl = strchr(s, '\n');
	char *name = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
	char **list = NULL;
	size_t n = 0;
	mvm_error *err = NULL;
	if (image_ref_candidates_from(name, nl ? nl + 1 : NULL, "fuzz.conf", &list, &n, &err) == 0) {
		FZ_CHECK(n >= 1 && err == NULL);
		struct image_ref self;
		char full[REF_MAX];
		FZ_CHECK(image_ref_parse(name, &self, &err) == 0);
		image_ref_format(&self, full);
		FZ_CHECK(!image_ref_is_qualified(name) || (n == 1 && strcmp(list[0], full) == 0));
		for (size_t i = 0; i < n; i++) {
			struct image_ref r;
			mvm_error *perr = NULL;
			FZ_CHECK(image_ref_parse(list[i], &r, &perr) == 0);
			FZ_CHECK(image_ref_is_qualified(list[i]));
		}
	} else {
		FZ_CHECK(err != NULL && n == 0 && list == NULL);
	}
	image_ref_candidates_free(list, n);
	mvm_error_free(err);
	free(name);
}

/* A detached VM's "stats" reply (sandbox/detach.c): what parses prints
 * back to a line that parses to the same counters. */
static void detach_stats(const char *s)
{
	mvm_vm_stats st, again;
	mvm_error *err = NULL;
	if (detach_parse_stats(s, &st, &err) == 0) {
		char line[2048];
		FZ_CHECK(err == NULL);
		FZ_CHECK(detach_format_stats(&st, line, sizeof(line)) > 0);
		FZ_CHECK(detach_parse_stats(line, &again, NULL) == 0);
		FZ_CHECK(memcmp(&st, &again, sizeof(st)) == 0);
	} else {
		FZ_CHECK(err != NULL);
	}
	mvm_error_free(err);
}

/* An OCI bundle's config.json (oci/spec.c): success means no problem was
 * recorded and the root is known; failure names at least one. */
static void oci_config(const char *s)
{
	mvm_builder *b = mvm_builder_new();
	FZ_CHECK(b != NULL);
	struct oci_spec spec;
	mvm_error *err = NULL;
	if (oci_spec_parse(s, strlen(s), "/bundle", b, &spec, &err) == 0) {
		FZ_CHECK(err == NULL && spec.root != NULL);
		oci_spec_clear(&spec);
	} else {
		FZ_CHECK(err != NULL && spec.root == NULL && spec.annotations == NULL);
	}
	mvm_error_free(err);
	mvm_builder_free(b);
}

/* What a hostile guest writes on hvc2: every report taken is a real
 * port, and printed back it is a line the input holds. */
static const char *learn_input;
static void learned(void *ctx, bool add, bool udp, uint16_t port)
{
	FZ_CHECK(port > 0);
	char line[16];
	ports_format(line, add, udp, port);
	FZ_CHECK(strstr(learn_input, line) != NULL);
	++*(size_t *)ctx;
}

static void port_learn(const char *s)
{
	struct port_learn p = {0};
	size_t n = 0, len = strlen(s);
	learn_input = s;
	port_learn_feed(&p, (const uint8_t *)s, len, learned, &n);
	FZ_CHECK(n <= len / 4);
	/* Split in two anywhere: the same reports. */
	size_t again = 0;
	p = (struct port_learn){0};
	port_learn_feed(&p, (const uint8_t *)s, len / 2, learned, &again);
	port_learn_feed(&p, (const uint8_t *)s + len / 2, len - len / 2, learned, &again);
	FZ_CHECK(again == n);
}

/* The guest's /proc/net text, which mvm-init reads (its kernel is the
 * guest's too): never port 0, and udp never at or above its limit. */
static void proc_net(const char *s)
{
	static uint8_t bm[PORTS_BITMAP_BYTES];
	memset(bm, 0, sizeof(bm));
	ports_parse_proc(s, false, 32768, bm);
	FZ_CHECK((bm[0] & 1) == 0);
	memset(bm, 0, sizeof(bm));
	ports_parse_proc(s, true, 1024, bm);
	FZ_CHECK((bm[0] & 1) == 0);
	for (unsigned i = 1024 / 8; i < PORTS_BITMAP_BYTES; i++)
		FZ_CHECK(bm[i] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static void (*const parsers[])(const char *) = {
	    path_pair, port_pair, env_pair, rlimit,	  log_level,
	    ipv4,      guest_path, decimal,  override_stat, guest_user,
	    registries, detach_stats, oci_config, port_learn, proc_net,
	};
	void (*parse)(const char *) = parsers[data[0] % (sizeof(parsers) / sizeof(parsers[0]))];
	/* Exactly the string's bytes and its NUL, so that ASan sees any read
	 * past the end. Inner NULs just end the string early. */
	char *s = malloc(size);
	FZ_CHECK(s != NULL);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	parse(s);
	free(s);
	return 0;
}
