/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/console.h"

#include "guest/protocol.h"
#include "util/error.h"
#include "virtio/virtio_spec.h"
#include "virtio/virtq.h"
#include "jail/sandbox.h"

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
	bool write_inline;   /* the loop thread may try a write itself */
	bool tx_pending;     /* tx_elem is popped and partly written */
	unsigned tx_iov_pos; /* its first iovec not yet written */
	int abort_fd;	     /* eventfd: a waiting write gives up (reset, teardown) */
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

/* Output must never make the event loop wait: every device of the VM shares
 * it. The loop thread writes what goes out at once (a non-blocking write
 * through a description of our own: a pipe, FIFO or terminal reopened
 * through /proc/self/fd with O_NONBLOCK, so that the application's
 * description keeps its flags; MSG_DONTWAIT for a socket; a regular file
 * never waits long). When out_fd is full, it hands the rest to the
 * console's writer thread, which waits in poll() for the reader as long as
 * it takes, or for `abort_fd` (reset, teardown). Meanwhile the loop only
 * kicks the writer. A buffer is marked used only once written: the guest's
 * hvc driver waits for that, so output has back-pressure, never loss, and
 * the guest's tcdrain() before it reports its exit status means "all
 * written". */

enum write_result { WRITE_DONE, WRITE_BLOCKED, WRITE_DROPPED };

/* Writes c->tx_elem's readable iovecs from c->tx_iov_pos on, advancing
 * both in place so that a blocked write can resume. With may_wait, waits
 * for room (or abort_fd); without, returns WRITE_BLOCKED instead. */
static enum write_result write_elem(struct virtio_dev *d, struct virtio_console *c, bool may_wait)
{
	struct virtq_elem *e = &c->tx_elem;
	struct iovec *iov = virtq_elem_read_iov(e);
	unsigned cnt = e->n_read;
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
	bool got_epipe = false;
	enum write_result res = WRITE_DONE;

	unsigned i = c->tx_iov_pos;
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
			if (errno == EAGAIN && !may_wait) {
				res = WRITE_BLOCKED;
				break;
			}
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
			res = WRITE_DROPPED;
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
	c->tx_iov_pos = i;

	if (got_epipe && !was_pending) {
		const struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return res;
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

/* Moves chains out until the queue is empty, or (without may_wait) until
 * out_fd is full: then the chain in progress stays in c->tx_elem and true
 * is returned. Runs under tx_lock. */
static bool tx_drain_locked(struct virtio_dev *d, struct virtio_console *c, bool may_wait)
{
	bool pushed = false, blocked = false;
	while (c->tx_active && !atomic_load(&c->tx_abort)) {
		if (!c->tx_pending) {
			if (virtio_dev_pop(d, TX_Q, &c->tx_elem) != 1)
				break;
			c->tx_pending = true;
			c->tx_iov_pos = 0;
		}
		struct virtq_elem *e = &c->tx_elem;
		if (c->p.on_output) {
			sink_chain(c, e);
		} else if (c->out_fd >= 0 && write_elem(d, c, may_wait) == WRITE_BLOCKED) {
			blocked = true;
			break;
		}
		c->tx_pending = false;
		/* transmit buffers are device-readable: nothing written back */
		virtio_dev_push(d, TX_Q, e, 0);
		pushed = true;
		if (may_wait) {
			/* The writer may wait long for its reader next: let the
			 * guest have each buffer back as soon as it is out. */
			virtio_dev_signal_used(d, TX_Q);
			pushed = false;
		}
	}
	if (!c->tx_active || atomic_load(&c->tx_abort))
		c->tx_pending = false; /* reset: the queue forgot it */
	if (pushed)
		virtio_dev_signal_used(d, TX_Q);
	return blocked;
}

static void kick_writer(struct virtio_console *c)
{
	pthread_mutex_lock(&c->wake_lock);
	c->kicked = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->wake_lock);
}

/* A guest kick, on the event loop thread: never waits for out_fd. */
static void tx_kick(struct virtio_dev *d, struct virtio_console *c)
{
	if (!c->writer_started) {
		/* A sink or no output: nothing can block. */
		pthread_mutex_lock(&c->tx_lock);
		tx_drain_locked(d, c, false);
		pthread_mutex_unlock(&c->tx_lock);
		return;
	}
	/* The writer holds tx_lock while it waits for the reader: then it
	 * owns the queue, and this kick is its to handle. */
	if (!c->write_inline || pthread_mutex_trylock(&c->tx_lock) != 0) {
		kick_writer(c);
		return;
	}
	bool blocked = tx_drain_locked(d, c, false);
	pthread_mutex_unlock(&c->tx_lock);
	if (blocked)
		kick_writer(c);
}

static void *writer_main(void *arg)
{
	struct virtio_dev *d = arg;
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->wake_lock);
	for (;;) {
		while (!c->kicked && !c->writer_stop)
			pthread_cond_wait(&c->wake, &c->wake_lock);
		if (c->writer_stop)
			break;
		c->kicked = false;
		pthread_mutex_unlock(&c->wake_lock);
		pthread_mutex_lock(&c->tx_lock);
		tx_drain_locked(d, c, true);
		pthread_mutex_unlock(&c->tx_lock);
		pthread_mutex_lock(&c->wake_lock);
	}
	pthread_mutex_unlock(&c->wake_lock);
	return NULL;
}

/* A description of out_fd of our own, non-blocking, where the fd is a pipe,
 * FIFO or character device (a terminal); -1 where it is not, or where it
 * cannot be reopened. */
static int private_out_fd(int out_fd)
{
	struct stat st;
	if (fstat(out_fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return -1;
	int fl = fcntl(out_fd, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK))
		return -1; /* already non-blocking: nothing to gain */
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out_fd);
	int fd = open(path, (fl & (O_ACCMODE | O_APPEND)) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* The reopened object must be the same one: /proc/self/fd links lead
	 * to the object, but check rather than trust. */
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
	int fl = fcntl(c->out_fd, F_GETFL);
	bool got_st = fstat(c->out_fd, &st) == 0;
	c->out_is_socket = got_st && S_ISSOCK(st.st_mode);
	/* Writes the loop thread may try itself: those that cannot block
	 * (a blocking pipe we could not reopen goes to the writer only). */
	c->write_inline = c->own_out_fd >= 0 || c->out_is_socket ||
			  (fl >= 0 && (fl & O_NONBLOCK)) || (got_st && S_ISREG(st.st_mode));
	if (sandbox_thread_create(c->p.sandbox, SANDBOX_CONSOLE, "mvm-console", &c->writer,
				  writer_main, d, err) < 0)
		return mvm_err_wrap(err, "console");
	c->writer_started = true;
	return 0;
}

int virtio_console_start_output(struct virtio_dev *d, mvm_error **err)
{
	return start_writer(d, virtio_dev_priv(d), err);
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
	c->tx_pending = false;
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
	else if (q == TX_Q)
		tx_kick(d, c);
}

static int console_activate(struct virtio_dev *d, mvm_error **err)
{
	struct virtio_console *c = virtio_dev_priv(d);
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

/* Stops the writer thread for good and lets go of our description of
 * out_fd. */
static void stop_writer(struct virtio_console *c)
{
	if (c->writer_started) {
		stop_tx(c);
		pthread_mutex_lock(&c->wake_lock);
		c->writer_stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->wake_lock);
		pthread_join(c->writer, NULL);
		c->writer_started = false;
	}
	if (c->own_out_fd >= 0)
		close(c->own_out_fd);
	c->own_out_fd = -1;
	c->out_fd = -1;
}

static void console_free(void *priv)
{
	struct virtio_console *c = priv;
	if (c == NULL)
		return;
	stop_writer(c);
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
	/* Injected bytes go out now; in_fd is read when the poll says so (a
	 * blind read of an idle terminal would hold the event loop until the
	 * user typed), or at once when it is a plain file. */
	if (was_held)
		rx_work(d, true);
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

void virtio_console_close_output(struct virtio_dev *d)
{
	struct virtio_console *c = virtio_dev_priv(d);
	pthread_mutex_lock(&c->tx_lock);
	c->tx_active = false;
	pthread_mutex_unlock(&c->tx_lock);
	stop_writer(c);
}
