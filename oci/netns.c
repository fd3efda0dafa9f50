/* SPDX-License-Identifier: Apache-2.0 */
#include "oci/netns.h"

#include "util/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* An ordinary user may not make a network namespace, but may make a user
 * namespace that owns one, as rootless runc and crun do. The ids stay
 * what they were (mapped to themselves), so files the VMM creates keep
 * their owner and nothing believes it is root. */
static int unshare_as_user(mvm_error **err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return mvm_err(err, MVM_ERR_UNSUPPORTED, errno,
			       "a new network namespace: neither unshare(CLONE_NEWNET) nor a user "
			       "namespace to own one is allowed");
	char map[64];
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return mvm_err(err, MVM_ERR_IO, errno, "a new network namespace: uid_map");
	if (write_file("/proc/self/setgroups", "deny\n") < 0 && errno != ENOENT)
		return mvm_err(err, MVM_ERR_IO, errno, "a new network namespace: setgroups");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return mvm_err(err, MVM_ERR_IO, errno, "a new network namespace: gid_map");
	return 0;
}

int oci_enter_netns(const struct oci_spec *spec, mvm_error **err)
{
	if (spec->netns) {
		int fd = open(spec->netns, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return mvm_err(err, MVM_ERR_INVALID, errno,
				       "config.json: network namespace `%s`", spec->netns);
		int rc = setns(fd, CLONE_NEWNET);
		int e = errno;
		close(fd);
		if (rc < 0)
			return mvm_err(err, e == EINVAL ? MVM_ERR_INVALID : MVM_ERR_UNSUPPORTED, e,
				       "cannot join the network namespace `%s`%s", spec->netns,
				       e == EINVAL ? " (not a network namespace)" : "");
		return 0;
	}
	if (!spec->new_netns)
		return 0;
	if (unshare(CLONE_NEWNET) == 0)
		return 0;
	if (errno != EPERM)
		return mvm_err(err, MVM_ERR_UNSUPPORTED, errno, "a new network namespace");
	return unshare_as_user(err);
}

static bool overlaps(uint32_t net, uint32_t mask, const struct ifaddrs *ifs)
{
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    i->ifa_netmask == NULL)
			continue;
		uint32_t a = ntohl(((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		uint32_t m = ntohl(((const struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		uint32_t both = mask & m; /* the shorter prefix of the two */
		if ((a & both) == (net & both))
			return true;
	}
	return false;
}

int oci_guest_ip(uint32_t *ip, mvm_error **err)
{
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) < 0)
		return mvm_err(err, MVM_ERR_IO, errno, "the network namespace's addresses");
	int rc = -1;
	/* 10.0.2.0/24 first (libslirp's, mvm's default), then 10.0.3.0/24 and
	 * up: slirp4netns gives a namespace 10.0.2.100/24 itself. */
	for (uint32_t third = 2; third < 255 && rc < 0; third++) {
		uint32_t net = (10u << 24) | (third << 8);
		if (!overlaps(net, 0xffffff00u, ifs)) {
			*ip = net | 15;
			rc = 0;
		}
	}
	freeifaddrs(ifs);
	if (rc < 0)
		mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
			"the network namespace's addresses cover every 10.0.N.0/24 the guest's "
			"network could use");
	return rc;
}
