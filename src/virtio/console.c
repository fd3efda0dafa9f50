/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/console.h"

#include "guest/protocol.h"
#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define RX_Q 0
#define TX_Q 1

/* §5.3.4: cols, rows, max_nr_ports, emerg_wr. Meaningful only with
 * features we do not offer (SIZE, MULTIPORT, EMERG_WRITE): reads as 0. */
#define CONSOLE_CONFIG_SIZE 12

struct virtio_console {
	struct virtio_console_params p;

	/* Receive side: in_fd state, injected bytes, the rx element. */
	pthread_mutex_t rx_lock;
	bool active;
	bool in_registered; /* in_fd is on the event loop */
	bool in_polling;    /* ... with EPOLLIN enabled */
	bool in_plain_file; /* epoll refuses it (regular file, /dev/null): read on demand */
	bool in_eof;
	/* Input waits for virtio_console_release_input(): see console.h. */
	bool held;
	uint64_t delivered;
	size_t inject_len;
	uint8_t inject[CONSOLE_INJECT_MAX];
	struct virtq_elem rx_elem;

	pthread_mutex_t tx_lock;
	struct virtq_elem tx_elem;
};

static struct event_loop *loop_of(struct virtio_dev *d)
{
	return virtio_dev_host(d)->loop;
}

static const struct mvm_logger *log_of(struct virtio_dev *d)
{
	return virtio_dev_host(d)->log;
}

/* ---- receive ------------------------------------------------------------ */

static bool flush_inject_locked(struct virtio_dev *d, struct virtio_console *c)
{
	bool pushed = false;
	while (c->inject_len > 0 && virtio_dev_pop(d, RX_Q, &c->rx_elem) == 1) {
		size_t n = virtq_elem_fill(&c->rx_elem, c->inject, c->inject_len);
		virtio_dev_push(d, RX_Q, &c->rx_elem, (uint32_t)n);
		memmove(c->inject, c->inject + n, c->inject_len - n);
		c->inject_len -= n;
		pushed = true;
	}
	return pushed;
}

static void pause_polling_locked(struct virtio_dev *d, struct virtio_console *c)
{
	if (c->in_registered && c->in_polling) {
		/* Level-triggered epoll would spin while the guest has no
		 * buffer; the guest's next rx kick resumes polling. */
		if (event_loop_mod(loop_of(d), c->p.in_fd, 0, NULL) == 0)
			c->in_polling = false;
	}
}

enum pump_result { PUMP_IDLE, PUMP_PUSHED, PUMP_EOF };

/* Moves in_fd bytes into rx buffers: one read for a pollable fd (a second
 * could block), until the guest runs out of buffers for a plain file. */
static enum pump_result pump_input_locked(struct virtio_dev *d, struct virtio_console *c)
{
	enum pump_result res = PUMP_IDLE;
	while (c->active && !c->in_eof && c->p.in_fd >= 0) {
		if (virtio_dev_pop(d, RX_Q, &c->rx_elem) != 1) {
			pause_polling_locked(d, c);
			return res;
		}
		struct virtq_elem *e = &c->rx_elem;
		int cnt = e->n_write < IOV_MAX ? (int)e->n_write : IOV_MAX;
		ssize_t n = readv(c->p.in_fd, virtq_elem_write_iov(e), cnt);
		if (n > 0) {
			virtio_dev_push(d, RX_Q, e, (uint32_t)n);
			c->delivered += (uint64_t)n;
			res = PUMP_PUSHED;
			if (!c->in_plain_file)
				return res;
			continue;
		}
		virtq_unpop(virtio_dev_queue(d, RX_Q), e);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return res;
		if (n < 0)
			log_warn(log_of(d), "console: read from fd %d: %s; treating as EOF",
				 c->p.in_fd, strerror(errno));
		c->in_eof = true;
		if (c->in_registered) {
			event_loop_del(loop_of(d), c->p.in_fd); /* loop thread: no wait */
			c->in_registered = c->in_polling = false;
		}
		return PUMP_EOF;
	}
	return res;
}

/* Runs the rx work; signals and reports EOF outside the lock. */
static void rx_work(struct virtio_dev *d, bool resume_polling)
{
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->rx_lock);
	if (!c->active || c->held) {
		pthread_mutex_unlock(&c->rx_lock);
		return;
	}
	bool pushed = flush_inject_locked(d, c);
	if (resume_polling && c->in_registered && !c->in_polling && !c->in_eof) {
		if (event_loop_mod(loop_of(d), c->p.in_fd, EPOLLIN, NULL) == 0)
			c->in_polling = true;
	}
	enum pump_result r = PUMP_IDLE;
	if (c->p.in_fd >= 0 && (c->in_plain_file || !resume_polling))
		r = pump_input_locked(d, c);
	uint64_t delivered = c->delivered;
	pthread_mutex_unlock(&c->rx_lock);

	if (pushed || r != PUMP_IDLE)
		virtio_dev_signal_used(d, RX_Q);
	if (r == PUMP_EOF && c->p.on_input_eof)
		c->p.on_input_eof(c->p.eof_ctx, delivered);
}

static void input_ready(void *opaque, uint32_t events)
{
	rx_work(opaque, false);
}

/* ---- transmit ----------------------------------------------------------- */

/* Writes all of iov to fd. Returns false if output was dropped. */
static bool write_all(struct virtio_dev *d, int fd, struct iovec *iov, unsigned cnt)
{
	/* EPIPE must not kill the process: block SIGPIPE on this thread and
	 * swallow the one our write raises. */
	sigset_t pipe_set, old_mask, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);
	bool ok = true, got_epipe = false;

	unsigned i = 0;
	while (i < cnt) {
		int batch = cnt - i < IOV_MAX ? (int)(cnt - i) : IOV_MAX;
		ssize_t n = writev(fd, iov + i, batch);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = {.fd = fd, .events = POLLOUT};
				int pr = poll(&pfd, 1, CONSOLE_WRITE_TIMEOUT_MS);
				if (pr > 0 || (pr < 0 && errno == EINTR))
					continue;
				log_warn(log_of(d),
					 "console: fd %d not writable for %d ms; output "
					 "dropped",
					 fd, CONSOLE_WRITE_TIMEOUT_MS);
			} else {
				got_epipe = errno == EPIPE;
				log_debug(log_of(d), "console: write to fd %d: %s; output dropped",
					  fd, strerror(errno));
			}
			ok = false;
			break;
		}
		size_t left = (size_t)n;
		while (i < cnt && left >= iov[i].iov_len)
			left -= iov[i++].iov_len;
		if (left > 0) {
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + left;
			iov[i].iov_len -= left;
		}
	}

	if (got_epipe && !was_pending) {
		const struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return ok;
}

static void tx_work(struct virtio_dev *d)
{
	struct virtio_console *c = virtio_dev_priv(d);
	bool pushed = false;
	pthread_mutex_lock(&c->tx_lock);
	while (virtio_dev_pop(d, TX_Q, &c->tx_elem) == 1) {
		struct virtq_elem *e = &c->tx_elem;
		if (c->p.out_fd >= 0)
			write_all(d, c->p.out_fd, virtq_elem_read_iov(e), e->n_read);
		/* transmit buffers are device-readable: nothing written back */
		virtio_dev_push(d, TX_Q, e, 0);
		pushed = true;
	}
	pthread_mutex_unlock(&c->tx_lock);
	if (pushed)
		virtio_dev_signal_used(d, TX_Q);
}

/* ---- ops ---------------------------------------------------------------- */

/* Puts in_fd on the event loop (once). */
static int watch_input_locked(struct virtio_dev *d, struct virtio_console *c, mvm_error **err)
{
	if (c->p.in_fd < 0 || c->in_eof || c->in_registered || c->in_plain_file)
		return 0;
	mvm_error *e = NULL;
	int rc = 0;
	if (event_loop_add(loop_of(d), c->p.in_fd, EPOLLIN, input_ready, d, &e) == 0) {
		c->in_registered = c->in_polling = true;
	} else if (mvm_error_get_errno(e) == EPERM) {
		c->in_plain_file = true; /* always readable: no polling */
	} else {
		mvm_err_merge(err, &e);
		rc = mvm_err_wrap(err, "console: watching input fd %d", c->p.in_fd);
	}
	mvm_error_free(e);
	return rc;
}

static void console_notify(struct virtio_dev *d, uint16_t q)
{
	if (q == RX_Q)
		rx_work(d, true);
	else if (q == TX_Q)
		tx_work(d);
}

static int console_activate(struct virtio_dev *d, mvm_error **err)
{
	struct virtio_console *c = virtio_dev_priv(d);
	int rc = 0;
	pthread_mutex_lock(&c->rx_lock);
	c->active = true;
	if (!c->held && watch_input_locked(d, c, err) < 0) {
		c->active = false;
		rc = -1;
	}
	pthread_mutex_unlock(&c->rx_lock);
	return rc;
}

static void console_reset(struct virtio_dev *d)
{
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->rx_lock);
	c->active = false;
	bool del = c->in_registered;
	c->in_registered = c->in_polling = false;
	pthread_mutex_unlock(&c->rx_lock);
	if (del)
		event_loop_del(loop_of(d), c->p.in_fd); /* waits for input_ready */
	/* Wait for a transmit in flight. */
	pthread_mutex_lock(&c->tx_lock);
	pthread_mutex_unlock(&c->tx_lock);
}

static void console_read_config(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	memset(buf, 0, len);
}

static void console_free(void *priv)
{
	struct virtio_console *c = priv;
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->rx_lock);
	pthread_mutex_destroy(&c->tx_lock);
	free(c);
}

const struct virtio_dev_ops virtio_console_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = 0,
    .num_queues = 2,
    .queue_max_size = 256,
    .config_size = CONSOLE_CONFIG_SIZE,
    .read_config = console_read_config,
    .activate = console_activate,
    .notify = console_notify,
    .reset = console_reset,
    .free = console_free,
};

struct virtio_console *virtio_console_new(const struct virtio_console_params *p, mvm_error **err)
{
	struct virtio_console *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "virtio-console");
		return NULL;
	}
	c->p = *p;
	c->held = p->hold_input;
	pthread_mutex_init(&c->rx_lock, NULL);
	pthread_mutex_init(&c->tx_lock, NULL);
	return c;
}

int virtio_console_inject(struct virtio_dev *d, const void *buf, size_t len, mvm_error **err)
{
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->rx_lock);
	if (len > sizeof(c->inject) - c->inject_len) {
		size_t waiting = c->inject_len;
		pthread_mutex_unlock(&c->rx_lock);
		return mvm_err(err, MVM_ERR_STATE, 0,
			       "console: %zu bytes wait for the guest; %zu more exceed %u", waiting,
			       len, CONSOLE_INJECT_MAX);
	}
	memcpy(c->inject + c->inject_len, buf, len);
	c->inject_len += len;
	bool pushed = c->active && !c->held && flush_inject_locked(d, c);
	pthread_mutex_unlock(&c->rx_lock);
	if (pushed)
		virtio_dev_signal_used(d, RX_Q);
	return 0;
}

int virtio_console_release_input(struct virtio_dev *d, mvm_error **err)
{
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->rx_lock);
	bool was_held = c->held;
	c->held = false;
	int rc = was_held && c->active ? watch_input_locked(d, c, err) : 0;
	pthread_mutex_unlock(&c->rx_lock);
	if (was_held)
		rx_work(d, false);
	return rc;
}

int virtio_console_send_stdin_eof(struct virtio_dev *d, uint64_t delivered, mvm_error **err)
{
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "%c%" PRIu64 "\n", MVM_CTRL_STDIN_EOF, delivered);
	return virtio_console_inject(d, msg, (size_t)n, err);
}

uint64_t virtio_console_delivered(struct virtio_dev *d)
{
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->rx_lock);
	uint64_t v = c->delivered;
	pthread_mutex_unlock(&c->rx_lock);
	return v;
}
