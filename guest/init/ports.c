/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/ports.h"

#include "guest/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* ::1, and ::ffff:127.x.y.z's prefix, as /proc prints them (four native
 * 32-bit words in hex). */
#define V6_LOOPBACK "00000000000000000000000001000000"
#define V6_MAPPED_PREFIX "0000000000000000FFFF0000"

static bool v4_loopback(const char *hex8)
{
	/* The address's bytes read as a little-endian word: its first byte
	 * is the word's lowest. */
	unsigned long v = strtoul(hex8, NULL, 16);
	return (v & 0xff) == 127;
}

static bool outside_reachable(const char *addr)
{
	size_t n = strlen(addr);
	if (n == 8)
		return !v4_loopback(addr);
	if (n != 32 || strcasecmp(addr, V6_LOOPBACK) == 0)
		return false;
	if (strncasecmp(addr, V6_MAPPED_PREFIX, 24) == 0)
		return !v4_loopback(addr + 24);
	return true;
}

void ports_parse_proc(const char *text, bool udp, uint16_t udp_limit, uint8_t *bitmap)
{
	const char *line = strchr(text, '\n'); /* past the header */
	while (line && *++line) {
		char local[33], remote[33];
		unsigned lport, rport, st;
		if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x", local, &lport,
			   remote, &rport, &st) == 5 &&
		    lport > 0 && lport <= 65535 && outside_reachable(local)) {
			bool take =
			    udp ? st == 0x07 && rport == 0 && lport < udp_limit : st == 0x0A;
			if (take)
				bitmap[lport / 8] |= (uint8_t)(1u << (lport % 8));
		}
		line = strchr(line, '\n');
	}
}

size_t ports_format(char *buf, bool add, bool udp, uint16_t port)
{
	return (size_t)snprintf(buf, 16, "%c%c%c%u\n", MVM_CTRL_PORT, add ? '+' : '-',
				udp ? 'U' : 'T', port);
}

struct port_watch {
	int timer, ctrl;
	uint16_t udp_limit;
	size_t n_reported;
	uint8_t now[2][PORTS_BITMAP_BYTES];
	uint8_t reported[2][PORTS_BITMAP_BYTES];
	char *text;
	size_t cap;
};

/* The whole of a /proc file (they are generated as read, so no size up
 * front); NULL when it cannot be read. */
static const char *slurp(struct port_watch *w, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t len = 0;
	for (;;) {
		if (w->cap - len < 4096) {
			size_t cap = w->cap ? w->cap * 2 : 65536;
			char *t = cap <= (16u << 20) ? realloc(w->text, cap) : NULL;
			if (t == NULL)
				break; /* the ports seen so far will do */
			w->text = t;
			w->cap = cap;
		}
		ssize_t r = read(fd, w->text + len, w->cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (w->text == NULL)
		return NULL;
	w->text[len] = '\0';
	return w->text;
}

static uint16_t ephemeral_start(void)
{
	int fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_RDONLY | O_CLOEXEC);
	char buf[32] = "";
	if (fd >= 0) {
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		buf[r > 0 ? r : 0] = '\0';
		close(fd);
	}
	unsigned long v = strtoul(buf, NULL, 10);
	return v > 0 && v <= 65535 ? (uint16_t)v : 32768;
}

static bool report(struct port_watch *w, bool add, int udp, unsigned port)
{
	char line[16];
	size_t n = ports_format(line, add, udp, (uint16_t)port);
	if (write(w->ctrl, line, n) != (ssize_t)n)
		return false; /* the console is full: the next scan tries again */
	w->reported[udp][port / 8] ^= (uint8_t)(1u << (port % 8));
	w->n_reported += add ? 1 : (size_t)-1;
	return true;
}

static void scan(struct port_watch *w)
{
	static const char *const files[2][2] = {{"/proc/net/tcp", "/proc/net/tcp6"},
						{"/proc/net/udp", "/proc/net/udp6"}};
	memset(w->now, 0, sizeof(w->now));
	for (int udp = 0; udp < 2; udp++)
		for (int v6 = 0; v6 < 2; v6++) {
			const char *t = slurp(w, files[udp][v6]);
			if (t)
				ports_parse_proc(t, udp, w->udp_limit, w->now[udp]);
		}
	/* Closed ports first: they make room under the host's limit. */
	for (int pass = 0; pass < 2; pass++)
		for (int udp = 0; udp < 2; udp++)
			for (unsigned i = 0; i < PORTS_BITMAP_BYTES; i++) {
				uint8_t diff = w->now[udp][i] ^ w->reported[udp][i];
				if (diff == 0)
					continue;
				for (unsigned bit = 0; bit < 8; bit++) {
					bool add = w->now[udp][i] & (1u << bit);
					if (!(diff & (1u << bit)) || add != (pass == 1))
						continue;
					if (add && w->n_reported >= MVM_MAX_LEARNED_PORTS)
						return;
					if (!report(w, add, udp, i * 8 + bit))
						return;
				}
			}
}

struct port_watch *port_watch_new(int ctrl_fd)
{
	struct port_watch *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->ctrl = ctrl_fd;
	w->udp_limit = ephemeral_start();
	w->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec every = {.it_interval = {0, PORTS_SCAN_MS * 1000000L},
				   .it_value = {0, PORTS_SCAN_MS * 1000000L}};
	if (w->timer < 0 || timerfd_settime(w->timer, 0, &every, NULL) < 0) {
		int e = errno;
		port_watch_free(w);
		errno = e;
		return NULL;
	}
	scan(w);
	return w;
}

int port_watch_fd(const struct port_watch *w)
{
	return w ? w->timer : -1;
}

void port_watch_tick(struct port_watch *w)
{
	uint64_t n;
	if (read(w->timer, &n, sizeof(n)) == (ssize_t)sizeof(n))
		scan(w);
}

void port_watch_free(struct port_watch *w)
{
	if (w == NULL)
		return;
	if (w->timer >= 0)
		close(w->timer);
	free(w->text);
	free(w);
}
