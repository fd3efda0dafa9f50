/* SPDX-License-Identifier: Apache-2.0 */
/* Learned ports (docs/net.md): what mvm-init reads out of the guest's
 * /proc/net (guest/init/ports.c) and how the host reads its reports
 * (src/net/port_learn.c), which a hostile guest writes as it likes. */
#include "test_util.h"

#include "guest/init/ports.h"
#include "net/port_learn.h"

#include <string.h>

static bool has(const uint8_t *bm, unsigned port)
{
	return bm[port / 8] & (1u << (port % 8));
}

static unsigned count(const uint8_t *bm)
{
	unsigned n = 0;
	for (unsigned p = 0; p < 65536; p++)
		n += has(bm, p);
	return n;
}

/* As Linux 6.1 prints them (trailing columns cut). */
static const char tcp4[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
    "   1: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
    "   2: 0F02000A:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
    "   3: 0F02000A:1F90 0202000A:C350 01 00000000:00000000 00:00000000 00000000     0\n"
    "   4: 0100007E:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n";

static const char tcp6[] =
    "  sl  local_address                         remote_address                        st\n"
    "   0: 00000000000000000000000000000000:0CEA 00000000000000000000000000000000:0000 0A\n"
    "   1: 00000000000000000000000001000000:0CEB 00000000000000000000000000000000:0000 0A\n"
    "   2: 0000000000000000FFFF00000100007F:0CEC 00000000000000000000000000000000:0000 0A\n"
    "   3: 0000000000000000FFFF00000F02000A:0CED 00000000000000000000000000000000:0000 0A\n";

static const char udp4[] =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    "   0: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0\n"
    "   1: 00000000:A000 00000000:0000 07 00000000:00000000 00:00000000 00000000     0\n"
    "   2: 0F02000A:0045 0302000A:0035 01 00000000:00000000 00:00000000 00000000     0\n"
    "   3: 0100007F:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0\n";

static void test_proc_tcp(void **state)
{
	(void)state;
	static uint8_t bm[PORTS_BITMAP_BYTES];
	memset(bm, 0, sizeof(bm));
	ports_parse_proc(tcp4, false, 32768, bm);
	/* 0.0.0.0:8080 and 10.0.2.15:443; not 127.0.0.1:22, not a connected
	 * socket, not 126.0.0.1 mistaken for loopback either way. */
	assert_true(has(bm, 8080));
	assert_true(has(bm, 443));
	assert_false(has(bm, 22));
	assert_true(has(bm, 80));
	assert_int_equal(count(bm), 3);

	memset(bm, 0, sizeof(bm));
	ports_parse_proc(tcp6, false, 32768, bm);
	/* [::]:3306 and ::ffff:10.0.2.15; not ::1 or ::ffff:127.0.0.1. */
	assert_true(has(bm, 3306));
	assert_true(has(bm, 3309));
	assert_int_equal(count(bm), 2);
}

static void test_proc_udp(void **state)
{
	(void)state;
	static uint8_t bm[PORTS_BITMAP_BYTES];
	memset(bm, 0, sizeof(bm));
	ports_parse_proc(udp4, true, 32768, bm);
	/* A bound server (53); not a client's ephemeral port (40960), a
	 * connected socket (69) or loopback (68). */
	assert_true(has(bm, 53));
	assert_int_equal(count(bm), 1);
	/* The tcp rule does not apply to udp text, nor the reverse. */
	memset(bm, 0, sizeof(bm));
	ports_parse_proc(udp4, false, 32768, bm);
	assert_int_equal(count(bm), 0);
}

static void test_proc_garbage(void **state)
{
	(void)state;
	static uint8_t bm[PORTS_BITMAP_BYTES];
	memset(bm, 0, sizeof(bm));
	const char *bad[] = {
	    "",
	    "header only",
	    "h\n   0: 00000000:0000 00000000:0000 0A\n",  /* port 0 */
	    "h\n   0: 00000000:10000 00000000:0000 0A\n", /* port > 65535 */
	    "h\n   0: 000000000:0050 00000000:0000 0A\n", /* 9 hex digits */
	    "h\n   0: zz:0050 00000000:0000 0A\n",	  /* not hex */
	    "h\n   0: 00000000:0050\n",			  /* cut short */
	    "h\n   0: 00000000000000000000000000000000000000000:0050 0:0 0A\n",
	    "h\n\n\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ports_parse_proc(bad[i], false, 32768, bm);
	assert_int_equal(count(bm), 0);
}

struct seen {
	int n;
	bool add[8], udp[8];
	uint16_t port[8];
};

static void record(void *ctx, bool add, bool udp, uint16_t port)
{
	struct seen *s = ctx;
	assert_true(s->n < 8);
	s->add[s->n] = add;
	s->udp[s->n] = udp;
	s->port[s->n++] = port;
}

static void feed(struct port_learn *p, const char *text, struct seen *s)
{
	port_learn_feed(p, (const uint8_t *)text, strlen(text), record, s);
}

static void test_learn_good(void **state)
{
	(void)state;
	struct port_learn p = {0};
	struct seen s = {0};
	char line[16];
	/* What mvm-init writes, after its readiness byte, split anywhere. */
	assert_int_equal(ports_format(line, true, false, 8080), 8);
	assert_string_equal(line, "P+T8080\n");
	feed(&p, "R", &s);
	feed(&p, "P+T80", &s);
	feed(&p, "80\nP-U53\nP+T65535\nP+T1\n", &s);
	assert_int_equal(s.n, 4);
	assert_true(s.add[0] && !s.udp[0] && s.port[0] == 8080);
	assert_true(!s.add[1] && s.udp[1] && s.port[1] == 53);
	assert_true(s.port[2] == 65535 && s.port[3] == 1);
	/* Byte by byte too. */
	s = (struct seen){0};
	ports_format(line, false, true, 12345);
	for (size_t i = 0; line[i]; i++)
		port_learn_feed(&p, (const uint8_t *)line + i, 1, record, &s);
	assert_int_equal(s.n, 1);
	assert_true(!s.add[0] && s.udp[0] && s.port[0] == 12345);
}

static void test_learn_hostile(void **state)
{
	(void)state;
	struct port_learn p = {0};
	struct seen s = {0};
	const char *bad[] = {
	    "P+T0\n",
	    "P+T65536\n",
	    "P+T99999999999\n",
	    "P+T080\n",
	    "P*T80\n",
	    "P+X80\n",
	    "P+T\n",
	    "P+T8a\n",
	    "P+T-1\n",
	    "P+T 80\n",
	    "P+T80 \n",
	    "P++T80\n",
	    "P\n",
	    "PP+T80\n",
	    /* A line too long is skipped whole, even where its end looks right. */
	    "P+T1111111111111111111111+T80\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		feed(&p, bad[i], &s);
	assert_int_equal(s.n, 0);
	/* Noise outside a line costs nothing and changes nothing. */
	static uint8_t noise[65536];
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)(i * 7 + 3) == 'P' ? 'x' : (uint8_t)(i * 7 + 3);
	port_learn_feed(&p, noise, sizeof(noise), record, &s);
	assert_int_equal(s.n, 0);
	/* A NUL ends nothing; the parser recovers at the next line. */
	port_learn_feed(&p,
			(const uint8_t *)"P+T8\0"
					 "0\nP+T81\n",
			13, record, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.port[0], 81);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proc_tcp),	  cmocka_unit_test(test_proc_udp),
	    cmocka_unit_test(test_proc_garbage),  cmocka_unit_test(test_learn_good),
	    cmocka_unit_test(test_learn_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
