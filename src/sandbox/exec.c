/* SPDX-License-Identifier: Apache-2.0 */
/* The host's end of the agent protocol (guest/protocol.h, "Agent";
 * docs/agent.md): one connection through the VM's vsock socket per
 * program. The agent is inside the guest, so everything it sends is
 * checked here as untrusted: frame lengths, types and their order. */
#include "sandbox/exec.h"

#include "config/config.h"
#include "guest/protocol.h"
#include "util/error.h"
#include "vmm/guest_config.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 32768u
#define OBUF_SIZE (2 * (MVM_AGENT_HDR_SIZE + MVM_AGENT_FRAME_MAX))

struct mvm_exec {
	int fd;
	int wake[2]; /* another thread queued a frame */
	pthread_mutex_t lock;
	uint8_t *obuf; /* frames to the agent */
	size_t olen;
	uint8_t *payload; /* a frame from the agent */
};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_hdr(uint8_t *h, uint16_t type, uint32_t len)
{
	put_le32(h, len);
	h[4] = (uint8_t)type;
	h[5] = (uint8_t)(type >> 8);
	h[6] = h[7] = 0;
}

/* Queues a frame (under the lock). */
static int queue_locked(struct mvm_exec *x, uint16_t type, const void *p, uint32_t len,
			mvm_error **err)
{
	if (OBUF_SIZE - x->olen < MVM_AGENT_HDR_SIZE + len)
		return mvm_err(err, MVM_ERR_STATE, EAGAIN,
			       "exec: %zu bytes wait for the agent already", x->olen);
	put_hdr(x->obuf + x->olen, type, len);
	if (len)
		memcpy(x->obuf + x->olen + MVM_AGENT_HDR_SIZE, p, len);
	x->olen += MVM_AGENT_HDR_SIZE + len;
	return 0;
}

static int queue_and_wake(struct mvm_exec *x, uint16_t type, const void *p, uint32_t len,
			  mvm_error **err)
{
	pthread_mutex_lock(&x->lock);
	int rc = queue_locked(x, type, p, len, err);
	pthread_mutex_unlock(&x->lock);
	if (rc == 0) {
		char c = 0;
		ssize_t n = write(x->wake[1], &c, 1);
		(void)n; /* full: a wake-up is pending anyway */
	}
	return rc;
}

/* ---- connecting ------------------------------------------------------------ */

/* One try: connect, "CONNECT <port>\n", wait for "OK ...\n". -1 when the
 * VMM closed without a line (nothing listens yet) or on a socket error;
 * *hard then says whether trying again is pointless. */
static int try_connect(const char *path, int64_t deadline, bool *hard, mvm_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	*hard = false;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*hard = true;
		return mvm_err(err, MVM_ERR_INVALID, 0, "vsock socket `%s`: too long", path);
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*hard = true;
		return mvm_err_sys(err, "vsock socket `%s`: socket", path);
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		*hard = e != ENOENT && e != ECONNREFUSED && e != EAGAIN;
		return mvm_err(err, MVM_ERR_IO, e,
			       "vsock socket `%s`: connect (is the VM running with --vsock?)",
			       path);
	}
	char line[32];
	int n = snprintf(line, sizeof(line), "CONNECT %u\n", MVM_AGENT_PORT);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return mvm_err_sys(err, "vsock socket `%s`: send", path);
	}
	size_t got = 0;
	while (got < sizeof(line) - 1) {
		int64_t now = clock_now_ms();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left = deadline > now ? (int)(deadline - now) : 0;
		/* The VMM answers within its connect timeout (5 s) either way. */
		if (poll(&pfd, 1, left > 10000 ? left : 10000) <= 0)
			break;
		ssize_t r = recv(fd, line + got, 1, 0);
		if (r <= 0)
			break;
		if (line[got++] == '\n')
			break;
	}
	line[got] = '\0';
	if (got < 4 || strncmp(line, "OK ", 3) != 0 || line[got - 1] != '\n') {
		close(fd);
		return mvm_err(err, MVM_ERR_GUEST, 0,
			       "the guest's agent did not answer on vsock port %u (the VM still "
			       "boots, or has stopped)",
			       MVM_AGENT_PORT);
	}
	return fd;
}

static int connect_agent(const char *path, unsigned timeout_ms, mvm_error **err)
{
	int64_t deadline = clock_now_ms() + timeout_ms;
	for (;;) {
		mvm_error *e = NULL;
		bool hard;
		int fd = try_connect(path, deadline, &hard, &e);
		if (fd >= 0)
			return fd;
		if (hard || clock_now_ms() >= deadline) {
			mvm_err_merge(err, &e);
			return -1;
		}
		mvm_error_free(e);
		struct timespec ts = {0, 100 * 1000000};
		nanosleep(&ts, NULL);
	}
}

/* The EXEC frame's payload: the version, then a config blob of the
 * program's records. */
/* mvm-init's INIT_USER_NAME_MAX. */
#define EXEC_USER_MAX 256

static int exec_payload(const mvm_exec_spec *spec, uint8_t **out, size_t *out_len, mvm_error **err)
{
	if (spec->argv == NULL || spec->argc < 1 || spec->argv[0] == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "exec: no program given");
	if (spec->tty && (spec->rows > UINT16_MAX || spec->cols > UINT16_MAX))
		return mvm_err(err, MVM_ERR_INVALID, 0, "exec: terminal size %ux%u", spec->rows,
			       spec->cols);
	struct mvm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.exec_path = (char *)spec->argv[0];
	cfg.args = (char **)(spec->argv + 1);
	cfg.n_args = spec->argc - 1;
	cfg.workdir_path = (char *)spec->workdir;
	if (spec->has_user && spec->user)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "exec: user `%s` and has_user both given; pick one", spec->user);
	if (spec->user && (spec->user[0] == '\0' || strlen(spec->user) > EXEC_USER_MAX))
		return mvm_err(err, MVM_ERR_INVALID, 0, "exec: user `%.300s`: 1 to %d bytes",
			       spec->user, EXEC_USER_MAX);
	cfg.has_ids = spec->has_user;
	cfg.uid = spec->uid;
	cfg.gid = spec->gid;
	cfg.user = (char *)spec->user; /* sent as a name: the guest resolves it */
	cfg.rlimits = (mvm_rlimit *)spec->rlimits;
	cfg.n_rlimits = spec->rlimits ? spec->n_rlimits : 0;
	cfg.tty = spec->tty;
	cfg.tty_rows = (uint16_t)spec->rows;
	cfg.tty_cols = (uint16_t)spec->cols;
	int rc = -1;
	void *blob = NULL;
	size_t blob_len = 0;
	mvm_env_pair *env = calloc(spec->n_env ? spec->n_env : 1, sizeof(*env));
	size_t n_env = 0;
	if (env == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "exec");
		goto out;
	}
	for (; n_env < spec->n_env; n_env++)
		if (mvm_env_pair_parse(spec->env[n_env], &env[n_env], err) < 0)
			goto out;
	cfg.env = env;
	cfg.n_env = n_env;
	if (guest_config_build_program(&cfg, &blob, &blob_len, err) < 0)
		goto out;
	if (blob_len > MVM_AGENT_FRAME_MAX - 4) {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"exec: the program, its arguments and environment take %zu bytes; at most "
			"%u fit a request",
			blob_len, MVM_AGENT_FRAME_MAX - 4);
		goto out;
	}
	*out = malloc(4 + blob_len);
	if (*out == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "exec");
		goto out;
	}
	put_le32(*out, MVM_AGENT_VERSION);
	memcpy(*out + 4, blob, blob_len);
	*out_len = 4 + blob_len;
	rc = 0;
out:
	for (size_t i = 0; i < n_env; i++)
		mvm_env_pair_clear(&env[i]);
	free(env);
	free(blob);
	return rc;
}

void mvm_exec_free(mvm_exec *x)
{
	if (x == NULL)
		return;
	if (x->fd >= 0)
		close(x->fd);
	for (int i = 0; i < 2; i++)
		if (x->wake[i] >= 0)
			close(x->wake[i]);
	pthread_mutex_destroy(&x->lock);
	free(x->obuf);
	free(x->payload);
	free(x);
}

static mvm_exec *exec_new(mvm_error **err)
{
	mvm_exec *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "exec");
		return NULL;
	}
	x->fd = x->wake[0] = x->wake[1] = -1;
	pthread_mutex_init(&x->lock, NULL);
	x->obuf = malloc(OBUF_SIZE);
	x->payload = malloc(MVM_AGENT_FRAME_MAX);
	if (x->obuf == NULL || x->payload == NULL || pipe2(x->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		mvm_err_sys(err, "exec");
		mvm_exec_free(x);
		return NULL;
	}
	return x;
}

mvm_exec *exec_client_adopt(int fd, mvm_error **err)
{
	mvm_exec *x = exec_new(err);
	if (x != NULL && fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		mvm_err_sys(err, "exec: socket");
		mvm_exec_free(x);
		x = NULL;
	}
	if (x == NULL) {
		close(fd);
		return NULL;
	}
	x->fd = fd;
	return x;
}

mvm_exec *mvm_exec_start(const char *vsock_path, const mvm_exec_spec *spec, mvm_error **err)
{
	uint8_t *payload = NULL;
	size_t len = 0;
	if (vsock_path == NULL || spec == NULL) {
		mvm_err(err, MVM_ERR_INVALID, 0, "exec: no vsock socket or no spec");
		return NULL;
	}
	if (exec_payload(spec, &payload, &len, err) < 0)
		return NULL;
	mvm_exec *x = exec_new(err);
	if (x == NULL) {
		free(payload);
		return NULL;
	}
	x->fd = connect_agent(vsock_path, spec->connect_timeout_ms, err);
	if (x->fd < 0)
		goto fail;
	if (fcntl(x->fd, F_SETFL, O_NONBLOCK) < 0) {
		mvm_err_sys(err, "exec: socket");
		goto fail;
	}
	if (queue_locked(x, MVM_AGENT_EXEC, payload, (uint32_t)len, err) < 0)
		goto fail;
	free(payload);
	return x;
fail:
	free(payload);
	mvm_exec_free(x);
	return NULL;
}

int mvm_exec_signal(mvm_exec *x, int sig, mvm_error **err)
{
	if (sig <= 0 || sig >= NSIG)
		return mvm_err(err, MVM_ERR_INVALID, 0, "exec: signal %d", sig);
	uint8_t p[4];
	put_le32(p, (uint32_t)sig);
	return queue_and_wake(x, MVM_AGENT_SIGNAL, p, 4, err);
}

int mvm_exec_resize(mvm_exec *x, unsigned rows, unsigned cols, mvm_error **err)
{
	if (rows == 0 || cols == 0 || rows > UINT16_MAX || cols > UINT16_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0, "exec: terminal size %ux%u", rows, cols);
	uint8_t p[4] = {(uint8_t)rows, (uint8_t)(rows >> 8), (uint8_t)cols, (uint8_t)(cols >> 8)};
	return queue_and_wake(x, MVM_AGENT_RESIZE, p, 4, err);
}

/* ---- the relay --------------------------------------------------------------- */

/* Writes all of p to fd (a blocking write is back-pressure on the agent);
 * false when fd is gone. SIGPIPE is blocked by the caller. */
static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			poll(&pfd, 1, -1);
			continue;
		}
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

struct relay {
	int in_fd, out_fd, err_fd;
	bool in_eof;
	uint8_t hdr[MVM_AGENT_HDR_SIZE];
	uint32_t hdr_got, len, got;
	uint16_t type;
	bool started;
};

/* A complete frame from the agent. 1: go on; 0: the last frame (status
 * set); -1: error (err set). */
static int agent_frame(struct mvm_exec *x, struct relay *r, int *status, mvm_error **err)
{
	switch (r->type) {
	case MVM_AGENT_STARTED:
		if (r->started || r->len != 4)
			break;
		r->started = true;
		return 1;
	case MVM_AGENT_STDOUT:
	case MVM_AGENT_STDERR: {
		if (!r->started)
			break;
		int *fd = r->type == MVM_AGENT_STDOUT ? &r->out_fd : &r->err_fd;
		if (*fd >= 0 && !write_all(*fd, x->payload, r->len))
			*fd = -1; /* the reader left: the rest is dropped */
		return 1;
	}
	case MVM_AGENT_EXIT:
		if (!r->started || r->len != 4 || get_le32(x->payload) > 255)
			break;
		*status = (int)get_le32(x->payload);
		return 0;
	case MVM_AGENT_ERROR: {
		/* Only the statuses of a start that failed (guest/protocol.h). */
		if (r->started || r->len < 4 || get_le32(x->payload) < MVM_EXIT_SETUP_FAILED ||
		    get_le32(x->payload) > MVM_EXIT_NOT_FOUND)
			break;
		*status = (int)get_le32(x->payload);
		char msg[257];
		size_t n = r->len - 4 < 256 ? r->len - 4 : 256;
		memcpy(msg, x->payload + 4, n);
		msg[n] = '\0';
		mvm_err(err, MVM_ERR_GUEST, 0, "%s", msg);
		return -1;
	}
	default:
		break;
	}
	*status = MVM_EXIT_SETUP_FAILED;
	mvm_err(err, MVM_ERR_GUEST, 0,
		"exec: the agent sent frame type 0x%x of %u bytes out of turn", r->type, r->len);
	return -1;
}

/* Reads from the agent until it would block. Same results as agent_frame,
 * 1 also for "nothing complete yet". */
static int read_agent(struct mvm_exec *x, struct relay *r, int *status, mvm_error **err)
{
	for (;;) {
		ssize_t n;
		if (r->hdr_got < MVM_AGENT_HDR_SIZE)
			n = recv(x->fd, r->hdr + r->hdr_got, MVM_AGENT_HDR_SIZE - r->hdr_got, 0);
		else
			n = recv(x->fd, x->payload + r->got, r->len - r->got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0) {
			*status = MVM_EXIT_SETUP_FAILED;
			mvm_err(
			    err, MVM_ERR_GUEST, n < 0 ? errno : 0,
			    "exec: the connection to the guest's agent ended before the program's "
			    "exit (the VM stopped?)");
			return -1;
		}
		if (r->hdr_got < MVM_AGENT_HDR_SIZE) {
			r->hdr_got += (uint32_t)n;
			if (r->hdr_got < MVM_AGENT_HDR_SIZE)
				continue;
			r->len = get_le32(r->hdr);
			r->type = (uint16_t)(r->hdr[4] | r->hdr[5] << 8);
			r->got = 0;
			if (r->len > MVM_AGENT_FRAME_MAX || r->hdr[6] || r->hdr[7]) {
				*status = MVM_EXIT_SETUP_FAILED;
				return mvm_err(err, MVM_ERR_GUEST, 0,
					       "exec: the agent sent a frame of %u bytes", r->len);
			}
		} else {
			r->got += (uint32_t)n;
		}
		if (r->got == r->len) {
			r->hdr_got = 0;
			int rc = agent_frame(x, r, status, err);
			if (rc <= 0)
				return rc;
		}
	}
}

/* Reads the caller's stdin into a STDIN frame, or queues its end. */
static void read_stdin(struct mvm_exec *x, struct relay *r)
{
	pthread_mutex_lock(&x->lock);
	if (OBUF_SIZE - x->olen < MVM_AGENT_HDR_SIZE + CHUNK) {
		pthread_mutex_unlock(&x->lock);
		return;
	}
	uint8_t *p = x->obuf + x->olen + MVM_AGENT_HDR_SIZE;
	ssize_t n = read(r->in_fd, p, CHUNK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		pthread_mutex_unlock(&x->lock);
		return;
	}
	if (n <= 0) {
		r->in_eof = true;
		queue_locked(x, MVM_AGENT_STDIN_EOF, NULL, 0, NULL);
	} else {
		put_hdr(p - MVM_AGENT_HDR_SIZE, MVM_AGENT_STDIN, (uint32_t)n);
		x->olen += MVM_AGENT_HDR_SIZE + (size_t)n;
	}
	pthread_mutex_unlock(&x->lock);
}

/* Sends what is queued as far as the socket takes it. */
static void flush_agent(struct mvm_exec *x)
{
	pthread_mutex_lock(&x->lock);
	while (x->olen > 0) {
		ssize_t n = send(x->fd, x->obuf, x->olen, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* The agent closed: what it sent last (EXIT, ERROR) may
			 * still wait to be read, and tells more than this. */
			x->olen = 0;
			break;
		}
		memmove(x->obuf, x->obuf + n, x->olen - (size_t)n);
		x->olen -= (size_t)n;
	}
	pthread_mutex_unlock(&x->lock);
}

int mvm_exec_wait(mvm_exec *x, int in_fd, int out_fd, int err_fd, int *exit_status, mvm_error **err)
{
	*exit_status = MVM_EXIT_SETUP_FAILED;
	struct relay r = {.in_fd = in_fd, .out_fd = out_fd, .err_fd = err_fd, .in_eof = in_fd < 0};
	if (in_fd < 0)
		queue_and_wake(x, MVM_AGENT_STDIN_EOF, NULL, 0, NULL);
	/* A reader of out_fd that leaves must not kill the caller: SIGPIPE
	 * stays blocked here, and one we raised is taken back. */
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);
	int rc;
	for (;;) {
		pthread_mutex_lock(&x->lock);
		bool out_pending = x->olen > 0;
		bool room = OBUF_SIZE - x->olen >= MVM_AGENT_HDR_SIZE + CHUNK;
		pthread_mutex_unlock(&x->lock);
		struct pollfd pfd[3] = {
		    {.fd = x->fd, .events = (short)(POLLIN | (out_pending ? POLLOUT : 0))},
		    {.fd = x->wake[0], .events = POLLIN},
		    {.fd = !r.in_eof && room ? r.in_fd : -1, .events = POLLIN}};
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = mvm_err_sys(err, "exec: poll");
			break;
		}
		if (pfd[1].revents) {
			char buf[64];
			while (read(x->wake[0], buf, sizeof(buf)) > 0)
				;
		}
		if (pfd[2].revents)
			read_stdin(x, &r);
		flush_agent(x);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = read_agent(x, &r, exit_status, err);
			if (rc <= 0)
				break;
		}
	}
	if (!was_pending) {
		const struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc < 0 ? -1 : 0;
}
