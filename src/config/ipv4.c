/* SPDX-License-Identifier: Apache-2.0 */
#include "config/ipv4.h"

#include "config/number.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

int ipv4_parse(const char *s, uint32_t *out, mvm_error **err)
{
	if (s == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "invalid IPv4 address: NULL");
	uint32_t addr = 0;
	const char *p = s;
	for (int i = 0; i < 4; i++) {
		size_t n = strspn(p, "0123456789");
		uint64_t octet;
		bool leading_zero = n > 1 && p[0] == '0';
		if (leading_zero || !parse_decimal(p, n, 255, &octet))
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "invalid IPv4 address `%s`: expected A.B.C.D with numbers "
				       "0..255 without leading zeros",
				       s);
		addr = addr << 8 | (uint32_t)octet;
		p += n;
		if (*p != (i < 3 ? '.' : '\0'))
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "invalid IPv4 address `%s`: expected A.B.C.D", s);
		p++;
	}
	*out = addr;
	return 0;
}

void ipv4_format(uint32_t addr, char buf[IPV4_STR_MAX])
{
	snprintf(buf, IPV4_STR_MAX, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
}

const char *ipv4_not_unicast_reason(uint32_t addr)
{
	/* RFC 1122 3.2.1.3 and RFC 5771: these ranges never name one host. */
	if (addr == 0)
		return "the unspecified address";
	if (addr == 0xffffffffu)
		return "the broadcast address";
	if ((addr >> 24) == 0)
		return "in 0.0.0.0/8 (this network)";
	if ((addr >> 24) == 127)
		return "a loopback address";
	if ((addr >> 28) == 0xe)
		return "a multicast address";
	if ((addr >> 28) == 0xf)
		return "a reserved address (240.0.0.0/4)";
	return NULL;
}
