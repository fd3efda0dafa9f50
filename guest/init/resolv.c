/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/resolv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum init_resolv_decision init_resolv_decide(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? INIT_RESOLV_WRITE : INIT_RESOLV_KEEP_USER;
	/* A symlink (systemd-resolved style) or anything but a file is the
	 * user's set-up. */
	if (!S_ISREG(st.st_mode))
		return INIT_RESOLV_KEEP_USER;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return INIT_RESOLV_KEEP_USER;
	const size_t marker_len = sizeof(INIT_RESOLV_MARKER) - 1;
	char first[sizeof(INIT_RESOLV_MARKER)];
	size_t got = 0;
	while (got < marker_len + 1) {
		ssize_t n = read(fd, first + got, marker_len + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	/* The whole first line must be the marker: "...mvm-init\n". */
	if (got == marker_len + 1 && memcmp(first, INIT_RESOLV_MARKER, marker_len) == 0 &&
	    first[marker_len] == '\n')
		return INIT_RESOLV_WRITE;
	return INIT_RESOLV_KEEP_USER;
}

static enum init_resolv_result failed(void)
{
	return (errno == EROFS || errno == EACCES || errno == EPERM) ? INIT_RESOLV_READ_ONLY
								     : INIT_RESOLV_FAILED;
}

enum init_resolv_result init_resolv_update(const char *path, uint32_t dns_be)
{
	if (init_resolv_decide(path) != INIT_RESOLV_WRITE)
		return INIT_RESOLV_KEPT_USER;
	char addr[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = dns_be};
	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	char text[128], tmp[4096];
	int text_len =
	    snprintf(text, sizeof(text), "%s\nnameserver %s\n", INIT_RESOLV_MARKER, addr);
	/* A name of this boot's own: guests of several VMs can share one root
	 * and boot at once, and with a fixed name one's rename takes away the
	 * file another has just written (its rename then fails, ENOENT). */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long nonce =
	    (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
	unsigned long long rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) == (ssize_t)sizeof(rnd))
		nonce ^= rnd;
	int tmp_len = snprintf(tmp, sizeof(tmp), "%s.mvm-init.%llx.tmp", path, nonce);
	if (tmp_len < 0 || (size_t)tmp_len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return INIT_RESOLV_FAILED;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return failed();
	ssize_t n = write(fd, text, (size_t)text_len);
	int saved = errno;
	if (close(fd) < 0 && n == text_len) {
		n = -1;
		saved = errno;
	}
	if (n != text_len || rename(tmp, path) < 0) {
		if (n == text_len)
			saved = errno;
		else if (n >= 0)
			saved = EIO;
		unlink(tmp);
		errno = saved;
		return failed();
	}
	return INIT_RESOLV_WROTE;
}
