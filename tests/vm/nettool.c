/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nettool: the network end points of the VM tests and of `make bench`.
 * Built static, so the same binary runs on the host and inside a guest
 * whose root is busybox (whose nc has no UDP and no way to time or verify
 * a transfer).
 *
 * TCP transfers carry a pseudo-random stream whose checksum both ends
 * compute; the receiving end sends its count and checksum back, so the
 * host side alone decides whether the bytes arrived intact and how long
 * the whole delivery took.
 *
 *   nettool send HOST PORT BYTES      connect, send, report (host side)
 *   nettool recv HOST PORT            connect, receive, report (host side)
 *   nettool serve-recv [IP:]PORT      accept once, receive (guest side)
 *   nettool serve-send [IP:]PORT BYTES  accept once, send (guest side)
 *   nettool udp-echo [IP:]PORT COUNT  answer COUNT datagrams with "echo:" + data
 *   nettool udp-ask HOST PORT MSG SECS  send MSG until an answer comes
 *   nettool udp-flood HOST PORT SIZE  send SIZE-byte datagrams, never stops
 *   nettool uds-probe PATH            stdin to a Unix socket, count the answer
 *
 * Stream end points may also be vsock ones (docs/vsock.md): a guest
 * listens on "vsock:PORT" and connects to HOST "vsock:CID"; the host
 * connects to HOST "uds:PATH" (the VM's vsock socket, with its CONNECT
 * line) and listens on "unix:PATH" (where a guest connection to host port
 * P arrives, PATH being the VM's socket path + "_P").
 *
 * The host side retries for up to NETTOOL_WAIT seconds (default 120) while
 * the guest is still booting: a port map accepts host connections before
 * the guest listens, and closes them without data if nothing does.
 * Exit status: 0 success, 1 failure or mismatch, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64u * 1024u)
#define HELLO 'H'

static uint8_t buf[CHUNK];

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("nettool: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0')
		die("%s '%s' is not a number", what, s);
	return v;
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	uint64_t p = parse_u64(port, "port");
	if (p == 0 || p > 65535)
		die("port %s is outside 1..65535", port);
	a.sin_port = htons((uint16_t)p);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("'%s' is not an IPv4 address", host);
	return a;
}

/* ---- the stream and its checksum ----------------------------------------- */

/* xorshift64*: cheap enough that the generator never limits a transfer. */
struct gen {
	uint64_t s;
};

static void gen_fill(struct gen *g, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		g->s ^= g->s >> 12;
		g->s ^= g->s << 25;
		g->s ^= g->s >> 27;
		uint64_t w = g->s * 0x2545f4914f6cdd1dull;
		memcpy(p + i, &w, n - i < 8 ? n - i : 8);
	}
}

/* FNV-1a over 64-bit words, fed at any byte boundary: TCP delivers the
 * stream in arbitrary pieces. */
struct sum {
	uint64_t h, bytes, word;
	unsigned fill;
};

static void sum_init(struct sum *s)
{
	*s = (struct sum){.h = 0xcbf29ce484222325ull};
}

static void sum_word(struct sum *s, uint64_t w)
{
	s->h = (s->h ^ w) * 0x100000001b3ull;
}

static void sum_add(struct sum *s, const uint8_t *p, size_t n)
{
	s->bytes += n;
	while (n > 0 && s->fill != 0) {
		s->word |= (uint64_t)*p++ << (8 * s->fill);
		n--;
		if (++s->fill == 8) {
			sum_word(s, s->word);
			s->word = 0;
			s->fill = 0;
		}
	}
	/* Whole words load as little-endian, like the partial ones above:
	 * both ends are x86-64. */
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		sum_word(s, w);
	}
	for (; n > 0; n--) {
		s->word |= (uint64_t)*p++ << (8 * s->fill);
		s->fill++;
	}
}

static uint64_t sum_final(const struct sum *s)
{
	struct sum t = *s;
	if (t.fill)
		sum_word(&t, t.word);
	sum_word(&t, t.bytes);
	return t.h;
}

/* ---- sockets --------------------------------------------------------------- */

static void write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", w < 0 ? strerror(errno) : "closed");
		c += w;
		n -= (size_t)w;
	}
}

/* Sends BYTES of the stream; returns its checksum. */
static uint64_t send_stream(int fd, uint64_t bytes)
{
	struct gen g = {.s = 0x9e3779b97f4a7c15ull};
	struct sum s;
	sum_init(&s);
	while (bytes > 0) {
		size_t n = bytes < CHUNK ? (size_t)bytes : CHUNK;
		gen_fill(&g, buf, n);
		sum_add(&s, buf, n);
		write_all(fd, buf, n);
		bytes -= n;
	}
	return sum_final(&s);
}

/* Receives to EOF, starting with `first` already-read bytes in buf. */
static struct sum recv_stream(int fd, size_t first)
{
	struct sum s;
	sum_init(&s);
	sum_add(&s, buf, first);
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read: %s", strerror(errno));
		if (r == 0)
			return s;
		sum_add(&s, buf, (size_t)r);
	}
}

/* The receiver's report line: "got BYTES SUM". */
static void read_report(int fd, uint64_t *bytes, uint64_t *sum)
{
	char line[128];
	size_t n = 0;
	while (n < sizeof(line) - 1) {
		ssize_t r = read(fd, line + n, sizeof(line) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	line[n] = '\0';
	if (sscanf(line, "got %" SCNu64 " %" SCNx64, bytes, sum) != 2)
		die("the peer sent no report (got '%.60s')", line);
}

static void send_report(int fd, const struct sum *s)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "got %" PRIu64 " %016" PRIx64 "\n", s->bytes,
			 sum_final(s));
	write_all(fd, line, (size_t)n);
}

/* "PORT" (every address, for guests) or "IP:PORT" (a host loopback test
 * binds 127.0.0.1 only). */
static struct sockaddr_in bind_addr_of(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	if (colon == NULL)
		return addr_of("0.0.0.0", spec);
	char ip[INET_ADDRSTRLEN];
	size_t n = (size_t)(colon - spec);
	if (n >= sizeof(ip))
		die("'%s' is not IP:PORT", spec);
	memcpy(ip, spec, n);
	ip[n] = '\0';
	return addr_of(ip, colon + 1);
}

/* musl has no <linux/vm_sockets.h>: the address is a stable ABI. */
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
struct vm_addr {
	sa_family_t family;
	unsigned short reserved1;
	unsigned int port;
	unsigned int cid;
	unsigned char zero[4];
};
#define VM_CID_ANY 0xffffffffu

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static struct sockaddr_un unix_addr(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		die("socket path '%s' is too long", path);
	strcpy(a.sun_path, path);
	return a;
}

/* "vsock:PORT" and "unix:PATH" listeners. */
static int listen_other(const char *spec)
{
	int l;
	if (has_prefix(spec, "vsock:")) {
		struct vm_addr a = {.family = AF_VSOCK,
				    .port = (unsigned)parse_u64(spec + 6, "vsock port"),
				    .cid = VM_CID_ANY};
		l = socket(AF_VSOCK, SOCK_STREAM, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("vsock port %s: %s", spec + 6, strerror(errno));
	} else {
		struct sockaddr_un a = unix_addr(spec + 5);
		l = socket(AF_UNIX, SOCK_STREAM, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("unix socket %s: %s", spec + 5, strerror(errno));
	}
	if (listen(l, 1) < 0)
		die("listen on %s: %s", spec, strerror(errno));
	printf("listening on %s\n", spec);
	fflush(stdout);
	return l;
}

static int listen_on(const char *port)
{
	if (has_prefix(port, "vsock:") || has_prefix(port, "unix:"))
		return listen_other(port);
	struct sockaddr_in a = bind_addr_of(port);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (l < 0)
		die("socket: %s", strerror(errno));
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
		die("listen on port %s: %s", port, strerror(errno));
	printf("listening on %s\n", port);
	fflush(stdout);
	return l;
}

static int accept_one(int l)
{
	int c;
	while ((c = accept(l, NULL, NULL)) < 0 && errno == EINTR)
		;
	if (c < 0)
		die("accept: %s", strerror(errno));
	return c;
}

static int listen_once(const char *port)
{
	int l = listen_on(port);
	int c = accept_one(l);
	close(l);
	return c;
}

static double wait_limit(void)
{
	const char *w = getenv("NETTOOL_WAIT");
	return w ? (double)parse_u64(w, "NETTOOL_WAIT") : 120.0;
}

/* Connects and reads the first bytes; a connection that ends before any
 * data (the guest is not listening yet) is retried until the wait limit.
 * An open one is never given up early: a port map may still be retrying
 * its SYN to a booting guest, and a guest that then accepts would get a
 * connection nobody reads.
 * Returns the socket with *got bytes of the stream already in buf. */
/* Through the VM's vsock socket: "CONNECT PORT\n", then "OK N\n" once a
 * guest program accepted. False: refused (nobody listens yet). */
static bool uds_connect(int fd, const char *path, const char *port)
{
	struct sockaddr_un a = unix_addr(path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return false;
	char line[64];
	int n = snprintf(line, sizeof(line), "CONNECT %s\n", port);
	write_all(fd, line, (size_t)n);
	size_t len = 0;
	while (len < sizeof(line) - 1) {
		ssize_t r = read(fd, line + len, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		if (line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	if (strncmp(line, "OK ", 3) != 0)
		die("vsock socket %s answered '%s'", path, line);
	return true;
}

static bool connect_to(int fd, const char *host, const char *port, const struct sockaddr_in *a)
{
	if (has_prefix(host, "uds:"))
		return uds_connect(fd, host + 4, port);
	if (has_prefix(host, "vsock:")) {
		struct vm_addr v = {.family = AF_VSOCK,
				    .port = (unsigned)parse_u64(port, "vsock port"),
				    .cid = (unsigned)parse_u64(host + 6, "vsock CID")};
		return connect(fd, (struct sockaddr *)&v, sizeof(v)) == 0;
	}
	return connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0;
}

static int connect_with_data(const char *host, const char *port, size_t *got)
{
	bool inet = !has_prefix(host, "uds:") && !has_prefix(host, "vsock:");
	struct sockaddr_in a = inet ? addr_of(host, port) : (struct sockaddr_in){0};
	int family = has_prefix(host, "uds:") ? AF_UNIX : inet ? AF_INET : AF_VSOCK;
	double deadline = now_s() + wait_limit();
	for (;;) {
		int fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (connect_to(fd, host, port, &a)) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			double left = deadline - now_s();
			if (poll(&p, 1, left > 0 ? (int)(left * 1000) + 1 : 0) == 1) {
				ssize_t r = read(fd, buf, CHUNK);
				if (r > 0) {
					*got = (size_t)r;
					return fd;
				}
			}
		}
		close(fd);
		if (now_s() > deadline)
			die("%s:%s sent nothing within %.0f s", host, port, wait_limit());
		usleep(200 * 1000);
	}
}

static void report_rate(const char *what, uint64_t bytes, double secs)
{
	printf("%s %" PRIu64 " bytes in %.3f s: %.1f MiB/s\n", what, bytes, secs,
	       secs > 0 ? (double)bytes / (1024.0 * 1024.0) / secs : 0.0);
}

static int cmp_report(uint64_t bytes, uint64_t sum, uint64_t pbytes, uint64_t psum)
{
	if (bytes == pbytes && sum == psum) {
		printf("checksum %016" PRIx64 " matches\n", sum);
		return 0;
	}
	printf("MISMATCH: sent %" PRIu64 " bytes sum %016" PRIx64 ", received %" PRIu64
	       " bytes sum %016" PRIx64 "\n",
	       bytes, sum, pbytes, psum);
	return 1;
}

/* ---- commands -------------------------------------------------------------- */

static int cmd_send(char **av)
{
	uint64_t bytes = parse_u64(av[2], "byte count");
	size_t got;
	int fd = connect_with_data(av[0], av[1], &got); /* the receiver's hello */
	if (got != 1 || buf[0] != HELLO)
		die("%s:%s is not a nettool receiver", av[0], av[1]);
	double t0 = now_s();
	uint64_t sum = send_stream(fd, bytes);
	shutdown(fd, SHUT_WR);
	uint64_t pbytes, psum;
	read_report(fd, &pbytes, &psum);
	double t1 = now_s();
	close(fd);
	report_rate("sent", bytes, t1 - t0);
	return cmp_report(bytes, sum, pbytes, psum);
}

static int cmd_recv(char **av)
{
	size_t got;
	int fd = connect_with_data(av[0], av[1], &got);
	double t0 = now_s();
	struct sum s = recv_stream(fd, got);
	double t1 = now_s();
	/* The sender compares this with what it sent and prints the verdict. */
	send_report(fd, &s);
	close(fd);
	report_rate("received", s.bytes, t1 - t0);
	printf("got %" PRIu64 " %016" PRIx64 "\n", s.bytes, sum_final(&s));
	return 0;
}

static int cmd_serve_recv(char **av)
{
	int l = listen_on(av[0]), fd;
	/* A connection whose host end is already gone (a port map may deliver
	 * a stale one) fails the hello: wait for the next. */
	char hello = HELLO;
	while (fd = accept_one(l), write(fd, &hello, 1) != 1)
		close(fd);
	close(l);
	struct sum s = recv_stream(fd, 0);
	send_report(fd, &s);
	close(fd);
	printf("got %" PRIu64 " %016" PRIx64 "\n", s.bytes, sum_final(&s));
	return 0;
}

static int cmd_serve_send(char **av)
{
	uint64_t bytes = parse_u64(av[1], "byte count");
	int fd = listen_once(av[0]);
	uint64_t sum = send_stream(fd, bytes);
	shutdown(fd, SHUT_WR);
	uint64_t pbytes, psum;
	read_report(fd, &pbytes, &psum);
	close(fd);
	return cmp_report(bytes, sum, pbytes, psum);
}

static int cmd_udp_echo(char **av)
{
	struct sockaddr_in a = bind_addr_of(av[0]);
	uint64_t count = parse_u64(av[1], "count");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("udp port %s: %s", av[0], strerror(errno));
	printf("listening on %s/udp\n", av[0]);
	fflush(stdout);
	char out[1600];
	for (uint64_t i = 0; i < count; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r =
		    recvfrom(fd, out + 5, sizeof(out) - 5, 0, (struct sockaddr *)&from, &fl);
		if (r < 0 && errno == EINTR) {
			i--;
			continue;
		}
		if (r < 0)
			die("recvfrom: %s", strerror(errno));
		memcpy(out, "echo:", 5);
		if (sendto(fd, out, (size_t)r + 5, 0, (struct sockaddr *)&from, fl) < 0)
			die("sendto: %s", strerror(errno));
	}
	return 0;
}

static int cmd_udp_ask(char **av)
{
	struct sockaddr_in a = addr_of(av[0], av[1]);
	double deadline = now_s() + (double)parse_u64(av[3], "seconds");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	size_t len = strlen(av[2]);
	char in[1600];
	do {
		/* ECONNREFUSED from an earlier datagram just means: not yet. */
		sendto(fd, av[2], len, 0, (struct sockaddr *)&a, sizeof(a));
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 500) == 1) {
			ssize_t r = recv(fd, in, sizeof(in) - 1, 0);
			if (r >= 0) {
				in[r] = '\0';
				printf("%s\n", in);
				return 0;
			}
		}
	} while (now_s() < deadline);
	fprintf(stderr, "nettool: no answer from %s:%s/udp within %s s\n", av[0], av[1], av[3]);
	return 1;
}

/* A guest that floods its network device (tests/vm/flood_vms.c): as fast
 * as the guest can, with nobody obliged to read. */
static int cmd_udp_flood(char **av)
{
	struct sockaddr_in a = addr_of(av[0], av[1]);
	uint64_t size = parse_u64(av[2], "size");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (size == 0 || size > sizeof(buf))
		die("size %" PRIu64 ": expected 1..%u", size, (unsigned)sizeof(buf));
	memset(buf, 'u', size);
	/* Refused (no reader yet) or a full queue: keep flooding. */
	while (sendto(fd, buf, size, 0, (struct sockaddr *)&a, sizeof(a)) >= 0 || errno == EINTR ||
	       errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN)
		;
	die("sendto: %s", strerror(errno));
	return 1;
}

/* A raw client of a VM's vsock socket: sends stdin, then reads until the
 * VMM closes, and says how many bytes came back ("OK ..." included). */
static int cmd_uds_probe(char **av)
{
	struct sockaddr_un a = unix_addr(av[0]);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect %s: %s", av[0], strerror(errno));
	ssize_t n;
	while ((n = read(0, buf, CHUNK)) > 0)
		write_all(fd, buf, (size_t)n);
	uint64_t got = 0;
	while ((n = read(fd, buf, CHUNK)) > 0)
		got += (uint64_t)n;
	close(fd);
	printf("closed after %" PRIu64 " bytes\n", got);
	return 0;
}

/* An OCI client's end of --console-socket (docs/oci.md): takes the pty
 * master the runtime sends, prints what the program writes, and once MARK
 * has gone by sets the terminal to ROWSxCOLS (the client's resize). Ends
 * when the program's side is closed. */
static int cmd_console_recv(char **av)
{
	unsigned rows = 0, cols = 0;
	if (sscanf(av[2], "%ux%u", &rows, &cols) != 2)
		die("size `%s`: ROWSxCOLS", av[2]);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", av[0]);
	unlink(av[0]);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
		die("%s: %s", av[0], strerror(errno));
	int c = accept(l, NULL, NULL);
	char name[256] = "";
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {name, sizeof(name) - 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	if (c < 0 || recvmsg(c, &msg, 0) <= 0)
		die("no message on %s", av[0]);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int master = -1;
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		die("no fd on %s", av[0]);
	memcpy(&master, CMSG_DATA(cm), sizeof(int));
	fprintf(stderr, "console: %s, a tty: %s\n", name, isatty(master) ? "yes" : "no");
	close(c);
	close(l);
	char window[512] = "";
	bool resized = false;
	for (;;) {
		char chunk[4096];
		ssize_t n = read(master, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		fwrite(chunk, 1, (size_t)n, stdout);
		fflush(stdout);
		size_t w = strlen(window),
		       take = (size_t)n < sizeof(window) - 1 ? (size_t)n : sizeof(window) - 1;
		if (w + take >= sizeof(window)) {
			memmove(window, window + w + take - (sizeof(window) - 1),
				sizeof(window) - 1 - take);
			w = sizeof(window) - 1 - take;
		}
		memcpy(window + w, chunk + (size_t)n - take, take);
		window[w + take] = '\0';
		if (!resized && strstr(window, av[1])) {
			struct winsize ws = {.ws_row = (unsigned short)rows,
					     .ws_col = (unsigned short)cols};
			ioctl(master, TIOCSWINSZ, &ws);
			resized = true;
		}
	}
	return 0;
}

static const struct {
	const char *name;
	int argc;
	int (*run)(char **av);
	const char *usage;
} cmds[] = {
    {"send", 3, cmd_send, "send HOST PORT BYTES"},
    {"recv", 2, cmd_recv, "recv HOST PORT"},
    {"serve-recv", 1, cmd_serve_recv, "serve-recv [IP:]PORT"},
    {"serve-send", 2, cmd_serve_send, "serve-send [IP:]PORT BYTES"},
    {"udp-echo", 2, cmd_udp_echo, "udp-echo [IP:]PORT COUNT"},
    {"udp-ask", 4, cmd_udp_ask, "udp-ask HOST PORT MSG SECS"},
    {"udp-flood", 3, cmd_udp_flood, "udp-flood HOST PORT SIZE"},
    {"uds-probe", 1, cmd_uds_probe, "uds-probe PATH"},
    {"console-recv", 3, cmd_console_recv, "console-recv SOCKET MARK ROWSxCOLS"},
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			if (argc - 2 != cmds[i].argc) {
				fprintf(stderr, "usage: nettool %s\n", cmds[i].usage);
				return 2;
			}
			return cmds[i].run(argv + 2);
		}
	fprintf(stderr, "usage: nettool COMMAND ARGS...; commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  nettool %s\n", cmds[i].usage);
	return 2;
}
