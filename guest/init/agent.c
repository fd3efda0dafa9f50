/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/agent.h"

#include "guest/init/config_reader.h"
#include "guest/init/env.h"
#include "guest/init/msg.h"
#include "guest/init/run.h"
#include "guest/init/tty.h"
#include "guest/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* musl has no <linux/vm_sockets.h>; the address is a stable ABI. */
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

/* Output read per frame, and the buffer to the client: two frames. */
#define CHUNK 32768u
#define OBUF_SIZE (2 * (MVM_AGENT_HDR_SIZE + CHUNK))

enum { OUT = 0, ERR = 1 };

struct session {
	int conn;			/* -1 once the client is gone */
	pid_t pid;			/* > 0 while the program runs or is unreaped */
	bool started, exited, finished; /* finished: the last frame is queued */
	int status;
	bool tty;
	int in_fd;     /* its stdin pipe or the pty master; -1 once closed */
	int out_fd[2]; /* stdout, stderr pipes (out_fd[OUT] the master with a tty) */
	bool stdin_eof;
	/* A frame being read from the client. */
	uint8_t hdr[MVM_AGENT_HDR_SIZE];
	uint32_t hdr_got, len, got;
	uint16_t type;
	uint8_t *payload; /* MVM_AGENT_FRAME_MAX bytes */
	/* A STDIN payload not yet taken by the program: payload[in_off..len). */
	bool stdin_pending;
	uint32_t in_off;
	/* Frames to the client. */
	uint8_t *obuf;
	size_t olen;
};

struct agent {
	int listen_fd;
	sigset_t child_mask;
	struct session *s[AGENT_MAX_SESSIONS];
	/* Which session and role each pollfd of the last agent_pollfds() is. */
	struct {
		int session; /* -1: the listener */
		int role;    /* 0 conn, 1 stdin, 2 stdout, 3 stderr */
	} map[AGENT_MAX_POLLFDS];
};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_hdr(uint8_t *h, uint16_t type, uint32_t len)
{
	put_le32(h, len);
	h[4] = (uint8_t)type;
	h[5] = (uint8_t)(type >> 8);
	h[6] = h[7] = 0;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- frames to the client ----------------------------------------------- */

static size_t obuf_room(const struct session *s)
{
	return OBUF_SIZE - s->olen;
}

/* Queues a frame; the caller checked the room (small frames always fit
 * once the buffer was drained below a chunk). */
static void queue_frame(struct session *s, uint16_t type, const void *p, uint32_t len)
{
	if (s->conn < 0 || obuf_room(s) < MVM_AGENT_HDR_SIZE + len)
		return;
	uint8_t *h = s->obuf + s->olen;
	put_hdr(h, type, len);
	if (len)
		memcpy(h + MVM_AGENT_HDR_SIZE, p, len);
	s->olen += MVM_AGENT_HDR_SIZE + len;
}

static void queue_status(struct session *s, uint16_t type, int status, const char *msg)
{
	uint8_t p[4 + 256];
	size_t n = msg ? strnlen(msg, 256) : 0;
	put_le32(p, (uint32_t)status);
	memcpy(p + 4, msg ? msg : "", n);
	queue_frame(s, type, p, (uint32_t)(4 + n));
	s->finished = true;
}

/* Writes what the client can take. */
static void flush_out(struct session *s)
{
	while (s->conn >= 0 && s->olen > 0) {
		ssize_t n = send(s->conn, s->obuf, s->olen, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(&s->conn); /* the client is gone */
			s->olen = 0;
			return;
		}
		memmove(s->obuf, s->obuf + n, s->olen - (size_t)n);
		s->olen -= (size_t)n;
	}
}

/* ---- starting the program ------------------------------------------------- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void fail_start(struct session *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_start(struct session *s, int status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	init_debug("agent: %s", msg);
	queue_status(s, MVM_AGENT_ERROR, status, msg);
}

/* The program's ends of its stdio, and ours (non-blocking). */
static int make_stdio(struct session *s, const struct init_config *cfg, struct init_stdio *io)
{
	if (cfg->has_tty) {
		int m, sl;
		if (init_tty_open(cfg->tty_rows, cfg->tty_cols, &m, &sl) < 0)
			return -1;
		s->tty = true;
		s->in_fd = s->out_fd[OUT] = m;
		*io = (struct init_stdio){.in = sl, .out = sl, .err = sl};
		return 0;
	}
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    set_nonblock(in[1]) < 0 || set_nonblock(out[0]) < 0 || set_nonblock(err[0]) < 0) {
		int e = errno;
		for (int i = 0; i < 2; i++) {
			close_fd(&in[i]);
			close_fd(&out[i]);
			close_fd(&err[i]);
		}
		errno = e;
		return -1;
	}
	s->in_fd = in[1];
	s->out_fd[OUT] = out[0];
	s->out_fd[ERR] = err[0];
	*io = (struct init_stdio){.in = in[0], .out = out[1], .err = err[1]};
	return 0;
}

static void start_program(struct agent *a, struct session *s)
{
	if (s->len < 4) {
		fail_start(s, MVM_EXIT_SETUP_FAILED, "agent: EXEC frame of %u bytes", s->len);
		return;
	}
	uint32_t version = get_le32(s->payload);
	if (version != MVM_AGENT_VERSION) {
		fail_start(s, MVM_EXIT_SETUP_FAILED,
			   "agent: protocol version %u, this agent speaks %u", version,
			   MVM_AGENT_VERSION);
		return;
	}
	struct init_config cfg;
	char why[200];
	if (init_config_parse(s->payload + 4, s->len - 4, &cfg, why, sizeof(why)) < 0) {
		fail_start(s, MVM_EXIT_SETUP_FAILED, "agent: %s", why);
		return;
	}
	if (cfg.n_mounts || cfg.has_net || cfg.n_layers || cfg.hostname || cfg.n_sysctls ||
	    cfg.n_files) {
		fail_start(s, MVM_EXIT_SETUP_FAILED,
			   "agent: mounts, network, layers, host name, sysctls and files belong to "
			   "the VM, not to a program");
		init_config_free(&cfg);
		return;
	}
	char **envp = init_env_build(cfg.env, cfg.n_env);
	struct init_stdio io;
	if (envp == NULL || make_stdio(s, &cfg, &io) < 0) {
		fail_start(s, MVM_EXIT_SETUP_FAILED, "agent: program stdio: %s", strerror(errno));
		free(envp);
		init_config_free(&cfg);
		return;
	}
	int status;
	pid_t pid = init_run_spawn(&cfg, envp, &io, &a->child_mask, &status, why, sizeof(why));
	/* The program holds its ends now (or failed). */
	close(io.in);
	if (io.out != io.in)
		close(io.out);
	if (io.err != io.in && io.err != io.out)
		close(io.err);
	free(envp);
	init_config_free(&cfg);
	if (pid < 0) {
		fail_start(s, status, "%s", why);
		return;
	}
	s->pid = pid;
	s->started = true;
	uint8_t p[4];
	put_le32(p, (uint32_t)pid);
	queue_frame(s, MVM_AGENT_STARTED, p, 4);
	init_debug("agent: started pid %d", (int)pid);
}

/* ---- frames from the client ------------------------------------------------ */

static void signal_program(struct session *s, int sig)
{
	if (s->pid <= 0 || s->exited)
		return;
	if (kill(-s->pid, sig) < 0 && errno == ESRCH)
		kill(s->pid, sig);
}

/* The client broke the protocol or left: it gets nothing more, and a
 * program it started is hung up on, as a terminal that closes. */
static void drop_client(struct session *s, const char *why)
{
	if (why)
		init_debug("agent: session ends: %s", why);
	close_fd(&s->conn);
	s->olen = 0;
	s->stdin_pending = false;
	signal_program(s, SIGHUP);
}

static void handle_frame(struct agent *a, struct session *s)
{
	if (!s->started) {
		if (s->finished)
			return; /* refused: the ERROR frame goes out, the rest is moot */
		if (s->type != MVM_AGENT_EXEC) {
			drop_client(s, "the first frame is not EXEC");
			return;
		}
		start_program(a, s);
		return;
	}
	switch (s->type) {
	case MVM_AGENT_STDIN:
		if (s->stdin_eof) {
			drop_client(s, "stdin after its end");
		} else if (s->in_fd >= 0 && s->len > 0) {
			s->stdin_pending = true;
			s->in_off = 0;
		}
		break;
	case MVM_AGENT_STDIN_EOF:
		s->stdin_eof = true;
		/* A pty has no end of file: closing the master hangs up. */
		if (!s->tty)
			close_fd(&s->in_fd);
		break;
	case MVM_AGENT_SIGNAL:
		if (s->len != 4 || get_le32(s->payload) == 0 || get_le32(s->payload) >= NSIG)
			drop_client(s, "bad SIGNAL frame");
		else
			signal_program(s, (int)get_le32(s->payload));
		break;
	case MVM_AGENT_RESIZE:
		if (s->len != 4)
			drop_client(s, "bad RESIZE frame");
		else if (s->tty)
			init_tty_resize(s->in_fd, (unsigned)(s->payload[0] | s->payload[1] << 8),
					(unsigned)(s->payload[2] | s->payload[3] << 8));
		break;
	default:
		drop_client(s, "unknown frame type");
	}
}

/* Reads from the client until a frame is complete or it would block. */
static void read_client(struct agent *a, struct session *s)
{
	while (s->conn >= 0 && !s->stdin_pending) {
		ssize_t n;
		if (s->hdr_got < MVM_AGENT_HDR_SIZE) {
			n = recv(s->conn, s->hdr + s->hdr_got, MVM_AGENT_HDR_SIZE - s->hdr_got,
				 MSG_DONTWAIT);
		} else if (s->got < s->len) {
			n = recv(s->conn, s->payload + s->got, s->len - s->got, MSG_DONTWAIT);
		} else {
			n = 0; /* not reached: a complete frame is handled at once */
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			drop_client(s, n == 0 ? "the client closed" : strerror(errno));
			return;
		}
		if (s->hdr_got < MVM_AGENT_HDR_SIZE) {
			s->hdr_got += (uint32_t)n;
			if (s->hdr_got < MVM_AGENT_HDR_SIZE)
				continue;
			s->len = get_le32(s->hdr);
			s->type = (uint16_t)(s->hdr[4] | s->hdr[5] << 8);
			s->got = 0;
			if (s->len > MVM_AGENT_FRAME_MAX || s->hdr[6] || s->hdr[7]) {
				drop_client(s, "frame too long, or flags set");
				return;
			}
		} else {
			s->got += (uint32_t)n;
		}
		if (s->got == s->len) {
			s->hdr_got = 0;
			handle_frame(a, s);
		}
	}
}

/* Passes a pending STDIN payload on as far as the program takes it. */
static void write_stdin(struct session *s)
{
	while (s->stdin_pending) {
		if (s->in_fd < 0) {
			s->stdin_pending = false; /* the program closed its stdin: dropped */
			return;
		}
		ssize_t n = write(s->in_fd, s->payload + s->in_off, s->len - s->in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			if (!s->tty)
				close_fd(&s->in_fd); /* EPIPE: SIGPIPE stays blocked in init */
			s->stdin_pending = false;
			return;
		}
		s->in_off += (uint32_t)n;
		if (s->in_off == s->len)
			s->stdin_pending = false;
	}
}

/* ---- the program's output ----------------------------------------------------- */

/* A tty's master is stdin and stdout at once: closed once, both gone. */
static void close_output(struct session *s, int which)
{
	if (s->tty && which == OUT)
		s->in_fd = -1;
	close_fd(&s->out_fd[which]);
}

/* One read of stream `which` into a frame. false: nothing more for now
 * (EAGAIN), or the stream ended (its fd is closed then). */
static bool read_output(struct session *s, int which)
{
	int *fd = &s->out_fd[which];
	if (*fd < 0 || obuf_room(s) < MVM_AGENT_HDR_SIZE + CHUNK)
		return false;
	uint8_t *p = s->obuf + s->olen + MVM_AGENT_HDR_SIZE;
	ssize_t n;
	do
		n = read(*fd, p, CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN) {
		/* After the program's end, what is there is all that counts:
		 * a process it left behind may hold the pipe for ever. */
		if (s->exited)
			close_output(s, which);
		return false;
	}
	if (n <= 0) {
		close_output(s, which); /* EOF; EIO on a pty master once no slave is open */
		return false;
	}
	if (s->conn < 0)
		return true; /* the client is gone: drained and dropped */
	put_hdr(p - MVM_AGENT_HDR_SIZE, which == OUT ? MVM_AGENT_STDOUT : MVM_AGENT_STDERR,
		(uint32_t)n);
	s->olen += MVM_AGENT_HDR_SIZE + (size_t)n;
	return true;
}

/* ---- sessions ---------------------------------------------------------------- */

static void free_session(struct session *s)
{
	if (s->pid > 0 && !s->exited)
		signal_program(s, SIGKILL);
	close_fd(&s->conn);
	if (s->tty)
		s->out_fd[OUT] = -1; /* the same fd as in_fd */
	close_fd(&s->in_fd);
	close_fd(&s->out_fd[OUT]);
	close_fd(&s->out_fd[ERR]);
	free(s->payload);
	free(s->obuf);
	free(s);
}

/* Everything that follows from the session's state, after any event. */
static void progress(struct agent *a, int i)
{
	struct session *s = a->s[i];
	write_stdin(s);
	if (s->exited) {
		/* Drain what the program left, as far as the buffer allows. */
		for (int w = OUT; w <= ERR; w++)
			while (read_output(s, w))
				;
	}
	if (s->exited && s->out_fd[OUT] < 0 && s->out_fd[ERR] < 0 && !s->finished &&
	    obuf_room(s) >= MVM_AGENT_HDR_SIZE + 4) {
		uint8_t p[4];
		put_le32(p, (uint32_t)s->status);
		queue_frame(s, MVM_AGENT_EXIT, p, 4);
		s->finished = true;
	}
	flush_out(s);
	/* Done once the last frame is out (or nobody reads it) and no
	 * program is left to reap. */
	bool reaped = s->pid <= 0 || s->exited;
	if (reaped && ((s->finished && s->olen == 0) || s->conn < 0)) {
		free_session(s);
		a->s[i] = NULL;
	}
}

static int adopt(struct agent *a, int conn)
{
	int slot = -1;
	for (int i = 0; i < AGENT_MAX_SESSIONS && slot < 0; i++)
		if (a->s[i] == NULL)
			slot = i;
	struct session *s = slot >= 0 ? calloc(1, sizeof(*s)) : NULL;
	if (s == NULL || (s->payload = malloc(MVM_AGENT_FRAME_MAX)) == NULL ||
	    (s->obuf = malloc(OBUF_SIZE)) == NULL || set_nonblock(conn) < 0) {
		if (s) {
			free(s->payload);
			free(s);
		}
		close(conn); /* full: the client sees the connection end */
		return -1;
	}
	s->conn = conn;
	s->in_fd = s->out_fd[OUT] = s->out_fd[ERR] = -1;
	a->s[slot] = s;
	return 0;
}

static void accept_clients(struct agent *a)
{
	for (;;) {
		int c = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c < 0)
			return;
		if (adopt(a, c) < 0)
			init_debug("agent: %d sessions already, a client was turned away",
				   AGENT_MAX_SESSIONS);
	}
}

size_t agent_pollfds(struct agent *a, struct pollfd *p, size_t max)
{
	size_t n = 0;
	if (max == 0)
		return 0;
	p[n] = (struct pollfd){.fd = a->listen_fd, .events = POLLIN};
	a->map[n].session = -1;
	n++;
	for (int i = 0; i < AGENT_MAX_SESSIONS; i++) {
		struct session *s = a->s[i];
		if (s == NULL)
			continue;
		struct pollfd want[4] = {{-1, 0, 0}, {-1, 0, 0}, {-1, 0, 0}, {-1, 0, 0}};
		if (s->conn >= 0) {
			short ev =
			    (short)((s->stdin_pending ? 0 : POLLIN) | (s->olen ? POLLOUT : 0));
			want[0] = (struct pollfd){.fd = ev ? s->conn : -1, .events = ev};
		}
		if (s->stdin_pending && s->in_fd >= 0)
			want[1] = (struct pollfd){.fd = s->in_fd, .events = POLLOUT};
		bool room = obuf_room(s) >= MVM_AGENT_HDR_SIZE + CHUNK;
		for (int w = OUT; w <= ERR; w++)
			if (room && s->out_fd[w] >= 0)
				want[2 + w] = (struct pollfd){.fd = s->out_fd[w], .events = POLLIN};
		/* A tty's master is both stdin and stdout: one entry. */
		if (s->tty && want[1].fd >= 0 && want[2].fd >= 0) {
			want[2].events |= POLLOUT;
			want[1].fd = -1;
		}
		for (int r = 0; r < 4 && n < max; r++) {
			if (want[r].fd < 0)
				continue;
			p[n] = want[r];
			a->map[n].session = i;
			a->map[n].role = r;
			n++;
		}
	}
	return n;
}

void agent_serve(struct agent *a, const struct pollfd *p, size_t n)
{
	bool touched[AGENT_MAX_SESSIONS] = {false};
	for (size_t k = 0; k < n && k < AGENT_MAX_POLLFDS; k++) {
		if (!p[k].revents)
			continue;
		int i = a->map[k].session;
		if (i < 0) {
			accept_clients(a);
			continue;
		}
		struct session *s = a->s[i];
		if (s == NULL)
			continue;
		touched[i] = true;
		switch (a->map[k].role) {
		case 0:
			read_client(a, s);
			break;
		case 1:
			write_stdin(s);
			break;
		default: {
			int w = a->map[k].role - 2;
			if (p[k].revents & POLLOUT)
				write_stdin(s);
			if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
				read_output(s, w);
		}
		}
	}
	for (int i = 0; i < AGENT_MAX_SESSIONS; i++)
		if (a->s[i] && (touched[i] || a->s[i]->olen || a->s[i]->exited))
			progress(a, i);
}

bool agent_child_exited(struct agent *a, pid_t pid, int status)
{
	for (int i = 0; a && i < AGENT_MAX_SESSIONS; i++) {
		struct session *s = a->s[i];
		if (s && s->pid == pid && !s->exited) {
			s->exited = true;
			s->status = status;
			progress(a, i);
			return true;
		}
	}
	return false;
}

struct agent *agent_new_on(int listen_fd, const sigset_t *child_mask)
{
	struct agent *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		close(listen_fd);
		errno = ENOMEM;
		return NULL;
	}
	a->listen_fd = listen_fd;
	a->child_mask = *child_mask;
	return a;
}

struct agent *agent_new(uint32_t port, const sigset_t *child_mask)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	struct vm_addr addr = {.family = AF_VSOCK, .port = port, .cid = VM_CID_ANY};
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	return agent_new_on(fd, child_mask);
}

void agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < AGENT_MAX_SESSIONS; i++)
		if (a->s[i])
			free_session(a->s[i]);
	close(a->listen_fd);
	free(a);
}

bool agent_busy(const struct agent *a)
{
	for (size_t i = 0; a && i < AGENT_MAX_SESSIONS; i++) {
		const struct session *s = a->s[i];
		if (s && (s->pid > 0 || (s->started && s->conn >= 0 && (!s->finished || s->olen > 0))))
			return true;
	}
	return false;
}
