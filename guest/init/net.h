/* SPDX-License-Identifier: Apache-2.0 */
/* The guest's network interfaces, set up with plain ioctls (no `ip`, no
 * netlink library): lo always, eth0 from the MVM_CFG_NET record when the
 * VM has a virtio-net device. Messages go through init_err/init_debug. */
#ifndef MVM_INIT_NET_H
#define MVM_INIT_NET_H

#include "guest/init/config_reader.h"

#include <stdint.h>

#define INIT_NET_IFACE "eth0"
#define INIT_RESOLV_PATH "/etc/resolv.conf"

/* The netmask of a prefix length (0..32) in network byte order. */
uint32_t init_net_netmask(uint32_t prefix_len);

/* Brings up lo (127.0.0.1/8), then, when `net` is non-NULL and eth0
 * exists, eth0 with net->addr/prefix_len, the default route through
 * net->gateway and /etc/resolv.conf (guest/init/resolv.h). No eth0 is not
 * an error: the VM has no network device, which init logs at debug.
 * Returns -1 after init_err() when lo or an existing eth0 cannot be set
 * up, or resolv.conf cannot be written for another reason than a
 * read-only root; main() reports status 125. */
int init_net_setup(const struct init_net *net);

/* init_net_setup() with another interface and resolv.conf path, so the
 * unit tests can run the real ioctls in a private network namespace. */
int init_net_setup_at(const struct init_net *net, const char *ifname, const char *resolv_path);

#endif
