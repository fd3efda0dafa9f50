/* SPDX-License-Identifier: Apache-2.0 */
/* docker-style port maps: [IP:]HOST:GUEST[/tcp|/udp]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "config/port_spec.h"

#include <string.h>

static struct net_port_spec ok(const char *s)
{
	struct net_port_spec p;
	memset(&p, 0xaa, sizeof(p));
	mvm_error *err = NULL;
	if (net_port_spec_parse(s, &p, &err) < 0)
		fail_msg("`%s` refused: %s", s, mvm_error_get_message(err));
	return p;
}

static void bad(const char *s, const char *needle)
{
	struct net_port_spec p = {0};
	mvm_error *err = NULL;
	assert_int_equal(net_port_spec_parse(s, &p, &err), -1);
	assert_non_null(err);
	if (strstr(mvm_error_get_message(err), needle) == NULL)
		fail_msg("`%s`: message `%s` lacks `%s`", s ? s : "(null)",
			 mvm_error_get_message(err), needle);
	mvm_error_free(err);
	assert_int_equal(p.host, 0); /* out untouched on failure */
}

static void host_guest_defaults_to_loopback_tcp(void **state)
{
	struct net_port_spec p = ok("8080:80");
	assert_int_equal(p.bind_ip, 0x7f000001u);
	assert_int_equal(p.host, 8080);
	assert_int_equal(p.guest, 80);
	assert_false(p.udp);
	p = ok("3000");
	assert_int_equal(p.host, 3000);
	assert_int_equal(p.guest, 3000);
}

static void bind_address_and_protocol(void **state)
{
	struct net_port_spec p = ok("192.168.1.5:8443:443");
	assert_int_equal(p.bind_ip, 0xc0a80105u);
	assert_int_equal(p.host, 8443);
	assert_int_equal(p.guest, 443);
	assert_false(p.udp);
	p = ok("5353:53/udp");
	assert_true(p.udp);
	assert_int_equal(p.host, 5353);
	assert_int_equal(p.bind_ip, 0x7f000001u);
	p = ok("0.0.0.0:53:53/udp");
	assert_int_equal(p.bind_ip, 0);
	assert_true(p.udp);
	p = ok("80:80/tcp");
	assert_false(p.udp);
	p = ok("7/udp");
	assert_int_equal(p.guest, 7);
	assert_true(p.udp);
}

static void malformed_specs(void **state)
{
	bad(NULL, "expected [IP:]HOST:GUEST");
	bad("", "expected [IP:]HOST:GUEST");
	bad("80:80/sctp", "protocol `sctp` is not tcp or udp");
	bad("80:80/", "protocol `` is not tcp or udp");
	bad("80:80/udp/udp", "protocol `udp/udp`");
	bad("localhost:80:80", "bind address `localhost` is not a dotted IPv4 address");
	bad("1.2.3:80:80", "bind address `1.2.3`");
	bad(":80:80", "bind address ``");
	bad("127.0.0.1:0:80", "host port `0` is not a number in 1..65535");
	bad("127.0.0.1:80:65536", "guest port `65536`");
	bad("127.0.0.1:80:", "guest port is empty");
	bad("1.2.3.4:5:6:7", "guest port `6:7`");
	bad("[::1]:80:80", "bind address `[`");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(host_guest_defaults_to_loopback_tcp),
	    cmocka_unit_test(bind_address_and_protocol),
	    cmocka_unit_test(malformed_specs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
