/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/console.h"

#include "guest/protocol.h"
#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"
#include "util/thread.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

	/* Transmit side; tx_lock is held while a chain is being written. */
	pthread_mutex_t tx_lock;
	bool tx_active;
	struct virtq_elem tx_elem;
	int out_fd;	/* where output goes: own_out_fd or p.out_fd */
	int own_out_fd; /* our non-blocking description of p.out_fd, or -1 */
	bool out_is_socket;
	int abort_fd; /* eventfd: a waiting write gives up (reset, teardown) */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	bool kicked, writer_stop;
	atomic_bool tx_abort; /* set with abort_fd: drop, do not pop more */
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

/* Output never runs on the event loop thread, which every device of the VM
 * shares: a reader that stops reading (a full pipe, a stopped terminal)
 * must slow only the guest's own writes. Each console with an out_fd has a
 * writer thread. It writes through a non-blocking open file description
 * of its own where it can make one (a pipe or terminal reopened through
 * /proc/self/fd, so that the application's description keeps its flags)
 * and waits in poll() for the fd or for `abort_fd`, so that reset and
 * teardown never wait on a reader. A buffer is marked used only once it
 * has been written: the guest's hvc driver waits for that, so its
 * tcdrain() before reporting the exit status means "all written". */

/* Writes all of iov to fd, waiting for room as long as it takes, unless
 * abort_fd becomes readable. Returns false if output was dropped. */
static bool write_all(struct virtio_dev *d, struct virtio_console *c, struct iovec *iov,
		      unsigned cnt)
{
	int fd = c->out_fd;
	/* EPIPE must not kill the process: block SIGPIPE on this thread and
	 * swallow the one our write raises (library threads start with it
	 * blocked already; this also covers a caller's thread in tests). */
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
		ssize_t n;
		if (c->out_is_socket) {
			/* A socket cannot be reopened: ask for non-blocking per call. */
			struct msghdr m = {.msg_iov = iov + i, .msg_iovlen = (size_t)batch};
			n = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		} else {
			n = writev(fd, iov + i, batch);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd[2] = {{.fd = fd, .events = POLLOUT},
							{.fd = c->abort_fd, .events = POLLIN}};
				int pr = poll(pfd, 2, -1);
				if (pr < 0 && errno == EINTR)
					continue;
				if (pr > 0 && !(pfd[1].revents & POLLIN))
					continue;
				log_debug(log_of(d), "console: output to fd %d abandoned at reset",
					  fd);
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

/* Hands a chain's bytes to on_output: copied out of guest memory once, in
 * pieces, so that the callback sees bytes no other vCPU can change. */
static void sink_chain(struct virtio_console *c, struct virtq_elem *e)
{
	uint8_t buf[512];
	for (unsigned i = 0; i < e->n_read; i++) {
		const uint8_t *p = e->iov[i].iov_base;
		size_t left = e->iov[i].iov_len;
		while (left > 0) {
			size_t n = left < sizeof(buf) ? left : sizeof(buf);
			memcpy(buf, p, n);
			c->p.on_output(c->p.output_ctx, buf, n);
			p += n;
			left -= n;
		}
	}
}

static void tx_work(struct virtio_dev *d)
{
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->tx_lock);
	while (c->tx_active && !atomic_load(&c->tx_abort) &&
	       virtio_dev_pop(d, TX_Q, &c->tx_elem) == 1) {
		struct virtq_elem *e = &c->tx_elem;
		if (c->p.on_output)
			sink_chain(c, e);
		else if (c->out_fd >= 0)
			write_all(d, c, virtq_elem_read_iov(e), e->n_read);
		/* transmit buffers are device-readable: nothing written back */
		virtio_dev_push(d, TX_Q, e, 0);
		/* Per chain: a writer that waited for its reader should let the
		 * guest reuse each buffer as soon as it is out. */
		virtio_dev_signal_used(d, TX_Q);
	}
	pthread_mutex_unlock(&c->tx_lock);
}

static void *writer_main(void *arg)
{
	struct virtio_dev *d = arg;
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_setname_np(pthread_self(), "mvm-console");
	pthread_mutex_lock(&c->wake_lock);
	for (;;) {
		while (!c->kicked && !c->writer_stop)
			pthread_cond_wait(&c->wake, &c->wake_lock);
		if (c->writer_stop)
			break;
		c->kicked = false;
		pthread_mutex_unlock(&c->wake_lock);
		tx_work(d);
		pthread_mutex_lock(&c->wake_lock);
	}
	pthread_mutex_unlock(&c->wake_lock);
	return NULL;
}

static void kick_writer(struct virtio_console *c)
{
	pthread_mutex_lock(&c->wake_lock);
	c->kicked = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->wake_lock);
}

/* A description of out_fd of our own, non-blocking, where the fd is a pipe,
 * FIFO or terminal; else out_fd itself (a regular file or /dev/null never
 * blocks for long, and reopening a file would give us another offset). */
static int private_out_fd(int out_fd)
{
	struct stat st;
	if (fstat(out_fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return -1;
	int fl = fcntl(out_fd, F_GETFL);
	if (fl < 0)
		return -1;
	if (fl & O_NONBLOCK)
		return -1; /* already non-blocking: nothing to gain */
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out_fd);
	int fd = open(path, (fl & (O_ACCMODE | O_APPEND)) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* The reopened object must be the same one (not a file that replaced
	 * it under that name: /proc/self/fd links are to the object). */
	struct stat st2;
	if (fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino ||
	    st2.st_rdev != st.st_rdev) {
		close(fd);
		return -1;
	}
	return fd;
}

static int start_writer(struct virtio_dev *d, struct virtio_console *c, mvm_error **err)
{
	if (c->writer_started || c->p.out_fd < 0 || c->p.on_output)
		return 0;
	c->own_out_fd = private_out_fd(c->p.out_fd);
	c->out_fd = c->own_out_fd >= 0 ? c->own_out_fd : c->p.out_fd;
	struct stat st;
	c->out_is_socket = fstat(c->out_fd, &st) == 0 && S_ISSOCK(st.st_mode);
	int rc = mvm_thread_create(&c->writer, writer_main, d);
	if (rc != 0)
		return mvm_err(err, MVM_ERR_IO, rc, "console: starting the output thread");
	c->writer_started = true;
	return 0;
}

/* Stops transmit work and waits for a write in flight, which gives up if
 * it is waiting for its reader. */
static void stop_tx(struct virtio_console *c)
{
	uint64_t one = 1;
	atomic_store(&c->tx_abort, true);
	(void)!write(c->abort_fd, &one, sizeof(one));
	pthread_mutex_lock(&c->tx_lock);
	c->tx_active = false;
	pthread_mutex_unlock(&c->tx_lock);
	uint64_t v;
	(void)!read(c->abort_fd, &v, sizeof(v));
	atomic_store(&c->tx_abort, false);
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
	struct virtio_console *c = virtio_dev_priv(d);
	if (q == RX_Q)
		rx_work(d, true);
	else if (q == TX_Q && c->writer_started)
		kick_writer(c);
	else if (q == TX_Q)
		tx_work(d); /* a sink or no output: never blocks */
}

static int console_activate(struct virtio_dev *d, mvm_error **err)
{
	struct virtio_console *c = virtio_dev_priv(d);
	if (start_writer(d, c, err) < 0)
		return -1;
	pthread_mutex_lock(&c->tx_lock);
	c->tx_active = true;
	pthread_mutex_unlock(&c->tx_lock);
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
	stop_tx(c);
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
	if (c->writer_started) {
		stop_tx(c);
		pthread_mutex_lock(&c->wake_lock);
		c->writer_stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->wake_lock);
		pthread_join(c->writer, NULL);
	}
	if (c->own_out_fd >= 0)
		close(c->own_out_fd);
	if (c->abort_fd >= 0)
		close(c->abort_fd);
	pthread_mutex_destroy(&c->rx_lock);
	pthread_mutex_destroy(&c->tx_lock);
	pthread_mutex_destroy(&c->wake_lock);
	pthread_cond_destroy(&c->wake);
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
	c->out_fd = p->out_fd;
	c->own_out_fd = -1;
	c->abort_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->abort_fd < 0) {
		mvm_err(err, MVM_ERR_IO, errno, "virtio-console: eventfd");
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->rx_lock, NULL);
	pthread_mutex_init(&c->tx_lock, NULL);
	pthread_mutex_init(&c->wake_lock, NULL);
	pthread_cond_init(&c->wake, NULL);
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
