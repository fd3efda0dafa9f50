/* SPDX-License-Identifier: Apache-2.0 */
/* docker's -p syntax for port maps: "[IP:]HOST:GUEST[/tcp|/udp]" or
 * "PORT[/tcp|/udp]" (HOST = GUEST = PORT). IP is a dotted IPv4 address,
 * 127.0.0.1 when absent. Parsed in pairs.c with the other pair forms. */
#ifndef MVM_CONFIG_PORT_SPEC_H
#define MVM_CONFIG_PORT_SPEC_H

#include "mvm.h"

#include <stdbool.h>
#include <stdint.h>

#define PORT_SPEC_DEFAULT_BIND 0x7f000001u /* 127.0.0.1 */

struct net_port_spec {
	uint32_t bind_ip; /* host byte order */
	uint16_t host;
	uint16_t guest;
	bool udp;
};

int net_port_spec_parse(const char *s, struct net_port_spec *out, mvm_error **err);

#endif
