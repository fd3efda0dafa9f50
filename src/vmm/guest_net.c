/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/guest_net.h"

#define NETMASK_24 0xffffff00u

void guest_net_addresses(const struct mvm_config *cfg, struct guest_net *out)
{
	guest_net_for_ip(cfg->has_assigned_ip ? cfg->assigned_ip : 0, out);
}

void guest_net_for_ip(uint32_t assigned_ip, struct guest_net *out)
{
	uint32_t addr = assigned_ip ? assigned_ip : GUEST_NET_DEFAULT_ADDR;
	uint32_t network = addr & NETMASK_24;
	uint32_t host = addr & ~NETMASK_24;
	/* libslirp's usual .2 and .3 unless the guest holds one of them. */
	out->addr = addr;
	out->prefix_len = GUEST_NET_PREFIX_LEN;
	out->network = network;
	out->gateway = network | (host == 2 ? 1u : 2u);
	out->dns = network | (host == 3 ? 4u : 3u);
}
