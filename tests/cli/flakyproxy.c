/* SPDX-License-Identifier: Apache-2.0 */
/* A network that breaks, for the pull tests: a TCP proxy on 127.0.0.1 in
 * front of a registry that cuts answers short. It reads each HTTP answer's
 * headers and Content-Length (registries send both), and when a body is
 * at least MIN bytes it forwards only FIRST bytes of it (the first time
 * its path is asked for) or LATER bytes (every later time), then closes
 * the connection, at most CUTS times in all. Each request line and Range header goes to LOG.
 *   flakyproxy PORT UPSTREAM_PORT MIN FIRST LATER CUTS LOG
 * One process per connection; the cut count lives in shared memory. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static long long min_len, first_cut, later_cut, max_cuts;
/* In shared memory: cuts in all, then the answers per path (by hash). */
#define PATH_SLOTS 256
static atomic_llong *cuts;
static atomic_llong *per_path;
static char last_path[512]; /* of this connection's last request */
static FILE *log_file;

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Client to upstream: logged, passed on as it is. */
static void log_request(const char *buf, size_t n)
{
	char copy[8192], again[8192];
	size_t k = n < sizeof(copy) - 1 ? n : sizeof(copy) - 1;
	memcpy(copy, buf, k);
	copy[k] = '\0';
	memcpy(again, copy, k + 1);
	for (char *save = NULL, *l = strtok_r(copy, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save))
		if (strncmp(l, "GET ", 4) == 0 || strncasecmp(l, "Range:", 6) == 0)
			fprintf(log_file, "%d %s\n", (int)getpid(), l);
	for (char *save = NULL, *l = strtok_r(again, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save))
		if (strncmp(l, "GET ", 4) == 0)
			snprintf(last_path, sizeof(last_path), "%.*s", (int)strcspn(l + 4, " "), l + 4);
	fflush(log_file);
}

/* Upstream to client, one answer at a time. */
struct answer {
	char head[16384];
	size_t head_len;
	bool in_body;
	long long body_left, forward_left; /* forward_left < 0: no cut */
};

static int relay_answer(struct answer *a, int client, const char *buf, size_t n)
{
	while (n > 0) {
		if (!a->in_body) {
			size_t room = sizeof(a->head) - 1 - a->head_len;
			size_t k = n < room ? n : room;
			memcpy(a->head + a->head_len, buf, k);
			a->head_len += k;
			a->head[a->head_len] = '\0';
			char *end = strstr(a->head, "\r\n\r\n");
			if (end == NULL) {
				if (k == room)
					return -1;
				return write_all(client, buf, k);
			}
			size_t head_bytes = (size_t)(end + 4 - a->head) - (a->head_len - k);
			long long len = 0;
			for (char *l = a->head; l && l < end; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL)
				if (strncasecmp(l, "Content-Length:", 15) == 0)
					len = atoll(l + 15);
			a->in_body = true;
			a->body_left = len;
			a->forward_left = -1;
			long long nth = len >= min_len ? atomic_fetch_add(cuts, 1) : max_cuts;
			if (nth < max_cuts) {
				unsigned h = 2166136261u;
				for (const char *c = last_path; *c; c++)
					h = (h ^ (unsigned char)*c) * 16777619u;
				long long seen = atomic_fetch_add(&per_path[h % PATH_SLOTS], 1);
				a->forward_left = seen == 0 ? first_cut : later_cut;
				fprintf(log_file, "%d cut at %lld of %lld\n", (int)getpid(), a->forward_left, len);
				fflush(log_file);
			}
			if (write_all(client, buf, head_bytes) < 0)
				return -1;
			buf += head_bytes;
			n -= head_bytes;
			a->head_len = 0;
			if (len == 0)
				a->in_body = false;
			continue;
		}
		size_t k = (long long)n < a->body_left ? n : (size_t)a->body_left;
		if (a->forward_left >= 0 && (long long)k > a->forward_left)
			k = (size_t)a->forward_left;
		if (k > 0 && write_all(client, buf, k) < 0)
			return -1;
		if (a->forward_left >= 0) {
			a->forward_left -= (long long)k;
			if (a->forward_left == 0)
				return 1; /* cut here */
		}
		a->body_left -= (long long)k;
		buf += k;
		n -= k;
		if (a->body_left == 0)
			a->in_body = false;
	}
	return 0;
}

static void serve(int client, int upstream_port)
{
	int up = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)upstream_port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (up < 0 || connect(up, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return;
	struct answer a = {0};
	char buf[65536];
	struct pollfd p[2] = {{.fd = client, .events = POLLIN}, {.fd = up, .events = POLLIN}};
	for (;;) {
		if (poll(p, 2, 60000) <= 0)
			return;
		if (p[0].revents) {
			ssize_t n = read(client, buf, sizeof(buf));
			if (n <= 0)
				return;
			log_request(buf, (size_t)n);
			if (write_all(up, buf, (size_t)n) < 0)
				return;
		}
		if (p[1].revents) {
			ssize_t n = read(up, buf, sizeof(buf));
			if (n <= 0 || relay_answer(&a, client, buf, (size_t)n) != 0)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: flakyproxy PORT UPSTREAM_PORT MIN FIRST LATER CUTS LOG\n");
		return 2;
	}
	min_len = atoll(argv[3]);
	first_cut = atoll(argv[4]);
	later_cut = atoll(argv[5]);
	max_cuts = atoll(argv[6]);
	log_file = fopen(argv[7], "a");
	cuts = mmap(NULL, (PATH_SLOTS + 1) * sizeof(*cuts), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (log_file == NULL || cuts == MAP_FAILED)
		return 1;
	per_path = cuts + 1; /* zeroed by mmap */
	signal(SIGCHLD, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 16) < 0) {
		perror("flakyproxy: listen");
		return 1;
	}
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(ls);
			serve(c, atoi(argv[2]));
			_exit(0);
		}
		close(c);
	}
}
