/* SPDX-License-Identifier: Apache-2.0 */
/* The guest's IPv4 settings, derived from struct mvm_config by one rule
 * that both the config blob (MVM_CFG_NET, read by mvm-init) and the host's
 * user-mode network backend use, so the two sides always agree. */
#ifndef MVM_VMM_GUEST_NET_H
#define MVM_VMM_GUEST_NET_H

#include "config/config.h"

#include <stdint.h>

/* All addresses in host byte order (the blob writer converts). */
struct guest_net {
	uint32_t addr;	     /* the guest's own address */
	uint32_t prefix_len; /* always 24 */
	uint32_t network;    /* addr & netmask */
	uint32_t gateway;    /* the host as seen from the guest */
	uint32_t dns;	     /* the backend's DNS forwarder */
};

#define GUEST_NET_DEFAULT_ADDR 0x0a00020fu /* 10.0.2.15 */
#define GUEST_NET_PREFIX_LEN 24u

/* The rule (docs/init.md, "Network"):
 *   no assigned IP:        10.0.2.15/24, gateway 10.0.2.2, dns 10.0.2.3
 *   assigned A.B.C.D:      A.B.C.D/24, gateway A.B.C.2, dns A.B.C.3,
 *                          except gateway A.B.C.1 when D == 2 and
 *                          dns A.B.C.4 when D == 3,
 * so the guest, gateway and dns addresses are always three distinct
 * addresses of the same /24. */
void guest_net_addresses(const struct mvm_config *cfg, struct guest_net *out);
/* The same rule for an address alone (0: the default), for the host's
 * network backend: guest and host must agree on every address. */
void guest_net_for_ip(uint32_t assigned_ip, struct guest_net *out);

#endif
