/* SPDX-License-Identifier: Apache-2.0 */
/* For unit tests that need root's powers as any user: root of a new user
 * namespace (in a forked child), which maps only the caller's own ids. */
#ifndef MVM_TEST_USERNS_H
#define MVM_TEST_USERNS_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static inline int userns_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* unshare(CLONE_NEWUSER | flags) and map uid and gid 0 to the caller's.
 * Returns 0, or -1 with the reason printed. */
static inline int userns_enter(int flags)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | flags) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWUSER | %#x): %s\n", (unsigned)flags,
			strerror(errno));
		return -1;
	}
	char map[64];
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (userns_write_file("/proc/self/uid_map", map) < 0 ||
	    userns_write_file("/proc/self/setgroups", "deny") < 0) {
		fprintf(stderr, "uid_map: %s\n", strerror(errno));
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (userns_write_file("/proc/self/gid_map", map) < 0) {
		fprintf(stderr, "gid_map: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

#endif
