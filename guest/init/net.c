/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/net.h"

#include "guest/init/msg.h"
#include "guest/init/resolv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOOPBACK_ADDR 0x7f000001u /* 127.0.0.1 */
#define LOOPBACK_PREFIX 8u

uint32_t init_net_netmask(uint32_t prefix_len)
{
	if (prefix_len == 0)
		return 0;
	if (prefix_len > 32)
		prefix_len = 32;
	return htonl(0xffffffffu << (32 - prefix_len));
}

static void set_sin(struct sockaddr *sa, uint32_t addr_be)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = addr_be};
	memcpy(sa, &sin, sizeof(sin));
}

static const char *ntoa(uint32_t addr_be, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = {.s_addr = addr_be};
	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static void ifreq_for(struct ifreq *ifr, const char *ifname)
{
	memset(ifr, 0, sizeof(*ifr));
	strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
}

/* SIOCSIFADDR first, then the netmask (setting the address resets the
 * mask to the classful default), then IFF_UP. */
static int iface_up(int sock, const char *ifname, uint32_t addr_be, uint32_t prefix_len)
{
	char a[INET_ADDRSTRLEN];
	struct ifreq ifr;
	ifreq_for(&ifr, ifname);
	set_sin(&ifr.ifr_addr, addr_be);
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) {
		init_err("%s: set address %s: %s", ifname, ntoa(addr_be, a), strerror(errno));
		return -1;
	}
	ifreq_for(&ifr, ifname);
	set_sin(&ifr.ifr_netmask, init_net_netmask(prefix_len));
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0) {
		init_err("%s: set netmask /%u: %s", ifname, prefix_len, strerror(errno));
		return -1;
	}
	ifreq_for(&ifr, ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		init_err("%s: get flags: %s", ifname, strerror(errno));
		return -1;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		init_err("%s: bring up: %s", ifname, strerror(errno));
		return -1;
	}
	init_debug("%s: %s/%u up", ifname, ntoa(addr_be, a), prefix_len);
	return 0;
}

static int default_route(int sock, const char *ifname, uint32_t gateway_be)
{
	char a[INET_ADDRSTRLEN];
	char dev[IFNAMSIZ];
	strncpy(dev, ifname, sizeof(dev) - 1);
	dev[sizeof(dev) - 1] = '\0';
	struct rtentry rt;
	memset(&rt, 0, sizeof(rt));
	set_sin(&rt.rt_dst, 0);
	set_sin(&rt.rt_genmask, 0);
	set_sin(&rt.rt_gateway, gateway_be);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = dev;
	if (ioctl(sock, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
		init_err("%s: default route via %s: %s", ifname, ntoa(gateway_be, a),
			 strerror(errno));
		return -1;
	}
	init_debug("%s: default route via %s", ifname, ntoa(gateway_be, a));
	return 0;
}

static int setup_resolv(const char *path, uint32_t dns_be)
{
	char a[INET_ADDRSTRLEN];
	switch (init_resolv_update(path, dns_be)) {
	case INIT_RESOLV_WROTE:
		init_debug("%s: nameserver %s", path, ntoa(dns_be, a));
		return 0;
	case INIT_RESOLV_KEPT_USER:
		init_debug("%s: the root's own file, left as is", path);
		return 0;
	case INIT_RESOLV_READ_ONLY:
		init_debug("%s: root not writable (%s), not written", path, strerror(errno));
		return 0;
	case INIT_RESOLV_FAILED:
		break;
	}
	init_err("write %s: %s", path, strerror(errno));
	return -1;
}

static int setup_eth(int sock, const struct init_net *net, const char *ifname,
		     const char *resolv_path)
{
	if (if_nametoindex(ifname) == 0) {
		init_debug("%s: no such interface (%s), no network device: only lo is up", ifname,
			   strerror(errno));
		return 0;
	}
	if (iface_up(sock, ifname, net->addr, net->prefix_len) < 0 ||
	    default_route(sock, ifname, net->gateway) < 0)
		return -1;
	return setup_resolv(resolv_path, net->dns);
}

int init_net_setup(const struct init_net *net)
{
	return init_net_setup_at(net, INIT_NET_IFACE, INIT_RESOLV_PATH);
}

int init_net_setup_at(const struct init_net *net, const char *ifname, const char *resolv_path)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		init_err("network: socket: %s", strerror(errno));
		return -1;
	}
	int rc = iface_up(sock, "lo", htonl(LOOPBACK_ADDR), LOOPBACK_PREFIX);
	if (rc == 0 && net)
		rc = setup_eth(sock, net, ifname, resolv_path);
	else if (rc == 0)
		init_debug("network: no settings in the config, only lo is up");
	close(sock);
	return rc;
}
