/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init's interface set-up (guest/init/net.c) with the real ioctls, in
 * a child process inside a private network namespace. The namespace's
 * only device is lo, which also stands in for eth0 in the last steps. */
#include "test_util.h"

#include "guest/init/net.h"
#include "guest/init/resolv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SKIP_CODE 77

static uint32_t be(const char *dotted)
{
	struct in_addr in;
	inet_pton(AF_INET, dotted, &in);
	return in.s_addr;
}

static int if_get(int sock, const char *ifname, unsigned long req, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
	return ioctl(sock, req, ifr);
}

static uint32_t sin_addr_of(const struct sockaddr *sa)
{
	struct sockaddr_in sin;
	memcpy(&sin, sa, sizeof(sin));
	return sin.sin_addr.s_addr;
}

/* Exit code 0, or the number of the first check that failed. */
static int check_iface(const char *ifname, const char *addr, const char *mask)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	int rc = 0;
	if (sock < 0 || if_get(sock, ifname, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
		rc = 1;
	else if (if_get(sock, ifname, SIOCGIFADDR, &ifr) < 0 ||
		 sin_addr_of(&ifr.ifr_addr) != be(addr))
		rc = 2;
	else if (if_get(sock, ifname, SIOCGIFNETMASK, &ifr) < 0 ||
		 sin_addr_of(&ifr.ifr_netmask) != be(mask))
		rc = 3;
	if (sock >= 0)
		close(sock);
	return rc;
}

/* /proc/net/route of this namespace: "lo 00000000 <gateway hex> ...". */
static int has_default_route(const char *ifname, const char *gateway)
{
	FILE *fp = fopen("/proc/net/route", "r");
	if (!fp)
		return 0;
	char line[256], want[64];
	snprintf(want, sizeof(want), "%s\t00000000\t%08X\t", ifname, be(gateway));
	int found = 0;
	while (fgets(line, sizeof(line), fp))
		found = found || strncmp(line, want, strlen(want)) == 0;
	fclose(fp);
	return found;
}

static int child(const char *dir)
{
	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return SKIP_CODE;
	char resolv[512];
	snprintf(resolv, sizeof(resolv), "%s/resolv.conf", dir);

	/* No settings: lo only. */
	if (init_net_setup_at(NULL, "eth0", resolv) != 0)
		return 10;
	int rc = check_iface("lo", "127.0.0.1", "255.0.0.0");
	if (rc)
		return 10 + rc;

	/* Settings, but no eth0: not an error, nothing written. */
	struct init_net net = {be("10.0.2.15"), 24, be("10.0.2.2"), be("10.0.2.3")};
	if (init_net_setup_at(&net, "eth0", resolv) != 0)
		return 20;
	if (access(resolv, F_OK) == 0 || has_default_route("eth0", "10.0.2.2"))
		return 21;

	/* lo as the interface: address, mask, default route, resolv.conf. */
	if (init_net_setup_at(&net, "lo", resolv) != 0)
		return 30;
	if ((rc = check_iface("lo", "10.0.2.15", "255.255.255.0")))
		return 30 + rc;
	if (!has_default_route("lo", "10.0.2.2"))
		return 34;
	FILE *fp = fopen(resolv, "r");
	char text[128] = "";
	if (!fp || fread(text, 1, sizeof(text) - 1, fp) == 0)
		return 35;
	fclose(fp);
	if (strcmp(text, INIT_RESOLV_MARKER "\nnameserver 10.0.2.3\n") != 0)
		return 36;

	/* A second boot's set-up finds the route in place: still fine. */
	if (init_net_setup_at(&net, "lo", resolv) != 0)
		return 40;

	/* A gateway outside the interface's network cannot be routed to. */
	struct init_net off = {be("10.0.3.15"), 24, be("192.168.77.1"), be("10.0.3.3")};
	if (init_net_setup_at(&off, "lo", resolv) != -1)
		return 50;
	return 0;
}

static void test_setup_in_netns(void **state)
{
	char *dir = make_temp_dir();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(dir));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	remove_tree(dir);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP_CODE)
		skip(); /* no network namespaces for this user: reported, not passed */
	if (WEXITSTATUS(status) != 0)
		fail_msg("check %d failed in the namespace", WEXITSTATUS(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_setup_in_netns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
