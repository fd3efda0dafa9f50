/* SPDX-License-Identifier: Apache-2.0 */
/* The guest address rule (src/vmm/guest_net.c), the NET record through
 * the real writer and reader, and mvm-init's netmask helper. */
#include "test_util.h"

#include "guest/init/config_reader.h"
#include "guest/init/net.h"
#include "guest/protocol.h"
#include "vmm/guest_config.h"
#include "vmm/guest_net.h"

#include <arpa/inet.h>

#define IP(a, b, c, d)                                                                             \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static void assigned(struct mvm_config *cfg, uint32_t ip)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->has_assigned_ip = true;
	cfg->assigned_ip = ip;
}

static void expect_net(const struct guest_net *n, uint32_t addr, uint32_t gw, uint32_t dns)
{
	assert_int_equal(n->addr, addr);
	assert_int_equal(n->prefix_len, 24);
	assert_int_equal(n->network, addr & 0xffffff00u);
	assert_int_equal(n->gateway, gw);
	assert_int_equal(n->dns, dns);
}

static void test_default_addresses(void **state)
{
	struct mvm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.assigned_ip = IP(192, 168, 9, 9); /* ignored without has_assigned_ip */
	struct guest_net n;
	guest_net_addresses(&cfg, &n);
	expect_net(&n, IP(10, 0, 2, 15), IP(10, 0, 2, 2), IP(10, 0, 2, 3));
}

static void test_assigned_addresses(void **state)
{
	struct mvm_config cfg;
	struct guest_net n;
	assigned(&cfg, IP(192, 168, 100, 42));
	guest_net_addresses(&cfg, &n);
	expect_net(&n, IP(192, 168, 100, 42), IP(192, 168, 100, 2), IP(192, 168, 100, 3));

	assigned(&cfg, IP(172, 16, 5, 1)); /* .1 is free to take: no collision */
	guest_net_addresses(&cfg, &n);
	expect_net(&n, IP(172, 16, 5, 1), IP(172, 16, 5, 2), IP(172, 16, 5, 3));

	assigned(&cfg, IP(10, 1, 2, 4)); /* .4 is only used when D == 3 */
	guest_net_addresses(&cfg, &n);
	expect_net(&n, IP(10, 1, 2, 4), IP(10, 1, 2, 2), IP(10, 1, 2, 3));
}

static void test_assigned_collisions(void **state)
{
	struct mvm_config cfg;
	struct guest_net n;
	assigned(&cfg, IP(192, 168, 100, 2)); /* the guest takes the gateway's .2 */
	guest_net_addresses(&cfg, &n);
	expect_net(&n, IP(192, 168, 100, 2), IP(192, 168, 100, 1), IP(192, 168, 100, 3));

	assigned(&cfg, IP(192, 168, 100, 3)); /* the guest takes the dns's .3 */
	guest_net_addresses(&cfg, &n);
	expect_net(&n, IP(192, 168, 100, 3), IP(192, 168, 100, 2), IP(192, 168, 100, 4));

	/* Whatever D is, the three addresses are distinct and in one /24. */
	for (uint32_t d = 0; d < 256; d++) {
		assigned(&cfg, IP(10, 9, 8, d));
		guest_net_addresses(&cfg, &n);
		assert_true(n.addr != n.gateway && n.addr != n.dns && n.gateway != n.dns);
		assert_int_equal(n.gateway & 0xffffff00u, IP(10, 9, 8, 0));
		assert_int_equal(n.dns & 0xffffff00u, IP(10, 9, 8, 0));
	}
}

static void roundtrip_net(const struct mvm_config *cfg, struct init_config *out)
{
	mvm_error *err = NULL;
	void *blob = NULL;
	size_t len = 0;
	assert_int_equal(guest_config_build(cfg, NULL, 0, &blob, &len, &err), 0);
	assert_null(err);
	char why[256] = "";
	int rc = init_config_parse(blob, len, out, why, sizeof(why));
	free(blob);
	if (rc != 0)
		fail_msg("reader rejected writer output: %s", why);
	assert_true(out->has_net);
}

/* The guest sees what guest_net_addresses() computed, in network byte
 * order (the order the ioctls take). */
static void test_blob_roundtrip(void **state)
{
	struct mvm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct init_config out;
	roundtrip_net(&cfg, &out);
	assert_int_equal(out.net.addr, htonl(IP(10, 0, 2, 15)));
	assert_int_equal(out.net.prefix_len, 24);
	assert_int_equal(out.net.gateway, htonl(IP(10, 0, 2, 2)));
	assert_int_equal(out.net.dns, htonl(IP(10, 0, 2, 3)));
	const uint8_t *a = (const uint8_t *)&out.net.addr;
	assert_true(a[0] == 10 && a[1] == 0 && a[2] == 2 && a[3] == 15);
	init_config_free(&out);

	assigned(&cfg, IP(192, 168, 7, 3));
	roundtrip_net(&cfg, &out);
	assert_int_equal(out.net.addr, htonl(IP(192, 168, 7, 3)));
	assert_int_equal(out.net.gateway, htonl(IP(192, 168, 7, 2)));
	assert_int_equal(out.net.dns, htonl(IP(192, 168, 7, 4)));
	init_config_free(&out);
}

/* A hostile blob cannot hand init a prefix that would shift past 32. */
static void test_reader_rejects_bad_prefix(void **state)
{
	uint8_t blob[16 + 8 + 16];
	memset(blob, 0, sizeof(blob));
	memcpy(blob, MVM_CFG_MAGIC, 8);
	blob[8] = MVM_CFG_VERSION;
	blob[12] = sizeof(blob);
	blob[16] = MVM_CFG_NET;
	blob[20] = 16;
	uint8_t net[16] = {10, 0, 2, 15, 33, 0, 0, 0, 10, 0, 2, 2, 10, 0, 2, 3};
	memcpy(blob + 24, net, 16);
	struct init_config out;
	char why[256] = "";
	assert_int_equal(init_config_parse(blob, sizeof(blob), &out, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "prefix length 33"));

	blob[24 + 4] = 32; /* the largest valid prefix */
	assert_int_equal(init_config_parse(blob, sizeof(blob), &out, why, sizeof(why)), 0);
	assert_int_equal(out.net.prefix_len, 32);
	init_config_free(&out);

	blob[20] = 12; /* short payload */
	blob[12] = sizeof(blob) - 4;
	assert_int_equal(init_config_parse(blob, sizeof(blob) - 4, &out, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "16 bytes"));
}

static void test_netmask(void **state)
{
	assert_int_equal(init_net_netmask(0), 0);
	assert_int_equal(init_net_netmask(8), htonl(0xff000000u));
	assert_int_equal(init_net_netmask(24), htonl(0xffffff00u));
	assert_int_equal(init_net_netmask(31), htonl(0xfffffffeu));
	assert_int_equal(init_net_netmask(32), htonl(0xffffffffu));
	assert_int_equal(init_net_netmask(99), htonl(0xffffffffu)); /* clamped, no UB */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_addresses),
	    cmocka_unit_test(test_assigned_addresses),
	    cmocka_unit_test(test_assigned_collisions),
	    cmocka_unit_test(test_blob_roundtrip),
	    cmocka_unit_test(test_reader_rejects_bad_prefix),
	    cmocka_unit_test(test_netmask),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
