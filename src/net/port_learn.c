/* SPDX-License-Identifier: Apache-2.0 */
#include "net/port_learn.h"

#include "guest/protocol.h"

/* "+T8080": sign, protocol, 1..65535 in decimal without leading zeros. */
static bool parse(const char *s, size_t n, bool *add, bool *udp, uint16_t *port)
{
	if (n < 3 || (s[0] != '+' && s[0] != '-') || (s[1] != 'T' && s[1] != 'U') || s[2] == '0')
		return false;
	uint32_t v = 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535) /* n <= 7 digits' worth: no overflow above */
		return false;
	*add = s[0] == '+';
	*udp = s[1] == 'U';
	*port = (uint16_t)v;
	return true;
}

void port_learn_feed(struct port_learn *p, const uint8_t *buf, size_t len, port_learn_fn fn,
		     void *ctx)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		if (!p->in_line) {
			if (c == MVM_CTRL_PORT)
				*p = (struct port_learn){.in_line = true};
			continue;
		}
		if (c == '\n') {
			bool add, udp;
			uint16_t port;
			if (!p->skipping && parse(p->line, p->len, &add, &udp, &port))
				fn(ctx, add, udp, port);
			p->in_line = false;
		} else if (p->skipping || p->len == sizeof(p->line)) {
			p->skipping = true;
		} else {
			p->line[p->len++] = (char)c;
		}
	}
}
