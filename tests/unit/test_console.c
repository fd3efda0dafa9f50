/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console: bytes both ways through pipes, flow control, EOF,
 * injected control bytes, and hostile host fds (full, closed, plain file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../guest/protocol.h"
#include "fake_guest.h"
#include "util/error.h"
#include "virtio/console.h"
#include "vmm/event_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QS 16
#define RXBUF 0x400000ull
#define TXBUF 0x440000ull
#define RXQ 0
#define TXQ 1

struct fixture {
	struct fake_guest g;
	struct event_loop *loop;
	pthread_t loop_thread;
	struct virtio_host host;
	struct virtio_mmio *m;
	struct fake_vq vq[2];
	int in_r, in_w, out_r, out_w;
	int eof_calls;
	uint64_t eof_delivered;
	uint16_t rx_next; /* next rx descriptor */
};

static void *loop_main(void *arg)
{
	event_loop_run(arg, NULL);
	return NULL;
}

static void on_eof(void *ctx, uint64_t delivered)
{
	struct fixture *f = ctx;
	__atomic_store_n(&f->eof_delivered, delivered, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&f->eof_calls, 1, __ATOMIC_SEQ_CST);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fg_init(&f->g);
	f->loop = event_loop_new(NULL);
	assert_non_null(f->loop);
	pthread_create(&f->loop_thread, NULL, loop_main, f->loop);
	f->host = (struct virtio_host){.mem = &f->g.mem, .vm_fd = -1, .loop = f->loop};
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	f->in_r = p[0];
	f->in_w = p[1];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	f->out_r = p[0];
	f->out_w = p[1];
	*state = f;
	return 0;
}

static void start_console_held(struct fixture *f, int in_fd, int out_fd, bool hold)
{
	struct virtio_console_params p = {.in_fd = in_fd,
					  .out_fd = out_fd,
					  .on_input_eof = on_eof,
					  .eof_ctx = f,
					  .hold_input = hold};
	struct virtio_console *c = virtio_console_new(&p, NULL);
	assert_non_null(c);
	f->m = virtio_mmio_new(&virtio_console_ops, c, &f->host, 0xd0000000, 5, NULL);
	assert_non_null(f->m);
	assert_int_equal(virtio_console_start_output(virtio_mmio_dev(f->m), NULL), 0);
}

static void start_console(struct fixture *f, int in_fd, int out_fd)
{
	start_console_held(f, in_fd, out_fd, false);
}

static void bring_up(struct fixture *f)
{
	uint32_t st = mmio_bring_up(f->m, FG_ALL_RING_FEATURES, f->vq, 2, QS);
	assert_int_equal(st, 0xf);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	virtio_mmio_free(f->m);
	event_loop_stop(f->loop);
	pthread_join(f->loop_thread, NULL);
	event_loop_free(f->loop);
	int fds[] = {f->in_r, f->in_w, f->out_r, f->out_w};
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fg_fini(&f->g);
	free(f);
	return 0;
}

/* Gives the device one rx buffer of len bytes; returns its descriptor. */
static uint16_t add_rx(struct fixture *f, uint32_t len, bool kick)
{
	uint16_t d = f->rx_next++;
	fvq_desc(&f->g, &f->vq[RXQ], d, RXBUF + 0x1000ull * d, len, VIRTQ_DESC_F_WRITE, 0);
	fvq_publish(&f->g, &f->vq[RXQ], d);
	if (kick)
		mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	return d;
}

static bool wait_used(struct fixture *f, int q, uint16_t n)
{
	for (int i = 0; i < 3000; i++) {
		if ((uint16_t)(fvq_used_idx(&f->g, &f->vq[q]) - n) < 0x8000)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void guest_output_reaches_out_fd(void **state)
{
	struct fixture *f = *state;
	start_console(f, -1, f->out_w);
	bring_up(f);
	memcpy(fg_ptr(&f->g, TXBUF), "hello, ", 7);
	memcpy(fg_ptr(&f->g, TXBUF + 0x100), "host\n", 5);
	fvq_desc(&f->g, &f->vq[TXQ], 0, TXBUF, 7, VIRTQ_DESC_F_NEXT, 1);
	fvq_desc(&f->g, &f->vq[TXQ], 1, TXBUF + 0x100, 5, 0, 0);
	fvq_publish(&f->g, &f->vq[TXQ], 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	char buf[32] = {0};
	assert_int_equal(read(f->out_r, buf, sizeof(buf)), 12);
	assert_string_equal(buf, "hello, host\n");
	assert_true(wait_used(f, TXQ, 1));
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[TXQ], 0).len, 0);
	assert_true(virtio_mmio_irq_count(f->m) >= 1);
}

static void host_input_reaches_guest(void **state)
{
	struct fixture *f = *state;
	start_console(f, f->in_r, -1);
	bring_up(f);
	uint16_t d = add_rx(f, 64, true);
	assert_int_equal(write(f->in_w, "abc", 3), 3);
	assert_true(wait_used(f, RXQ, 1));
	struct virtq_used_elem u = fvq_used_elem(&f->g, &f->vq[RXQ], 0);
	assert_int_equal(u.id, d);
	assert_int_equal(u.len, 3);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d), "abc", 3);
	assert_int_equal(virtio_console_delivered(virtio_mmio_dev(f->m)), 3);
}

static void input_waits_for_guest_buffers(void **state)
{
	struct fixture *f = *state;
	start_console(f, f->in_r, -1);
	bring_up(f);
	/* No rx buffer: the device must neither read nor lose the bytes. */
	assert_int_equal(write(f->in_w, "wait", 4), 4);
	sleep_ms(50);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	assert_int_equal(virtio_console_delivered(virtio_mmio_dev(f->m)), 0);
	/* With EVENT_IDX the device asked for a kick on the next buffer. */
	assert_int_equal(fvq_avail_event(&f->g, &f->vq[RXQ]), 0);
	uint16_t d = add_rx(f, 2, true); /* small: the rest stays in the pipe */
	assert_true(wait_used(f, RXQ, 1));
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d), "wa", 2);
	d = add_rx(f, 64, true);
	assert_true(wait_used(f, RXQ, 2));
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 1).len, 2);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000ull * d), "it", 2);
}

static void input_eof_is_reported_once(void **state)
{
	struct fixture *f = *state;
	start_console(f, f->in_r, -1);
	bring_up(f);
	add_rx(f, 64, true);
	add_rx(f, 64, true);
	assert_int_equal(write(f->in_w, "12345", 5), 5);
	assert_true(wait_used(f, RXQ, 1));
	close(f->in_w);
	f->in_w = -1;
	for (int i = 0; i < 3000 && !__atomic_load_n(&f->eof_calls, __ATOMIC_SEQ_CST); i++)
		sleep_ms(1);
	sleep_ms(20);
	assert_int_equal(f->eof_calls, 1);
	assert_int_equal(f->eof_delivered, 5);
	/* The unused rx buffer was given back, not consumed. */
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 1);
}

static void plain_file_input(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/mvm-console-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "file data!", 10), 10);
	lseek(fd, 0, SEEK_SET);
	start_console(f, fd, -1); /* epoll refuses regular files */
	bring_up(f);
	add_rx(f, 4, false);
	add_rx(f, 4, false);
	add_rx(f, 4, false);
	add_rx(f, 4, true);
	assert_true(wait_used(f, RXQ, 3));
	assert_memory_equal(fg_ptr(&f->g, RXBUF), "file", 4);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000), " dat", 4);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x2000), "a!", 2);
	assert_int_equal(f->eof_calls, 1);
	assert_int_equal(f->eof_delivered, 10);
	virtio_mmio_free(f->m);
	f->m = NULL;
	close(fd);
}

static void inject_control_bytes(void **state)
{
	struct fixture *f = *state;
	start_console(f, -1, -1);
	struct virtio_dev *d = virtio_mmio_dev(f->m);
	/* Before the driver is up: held back. */
	assert_int_equal(virtio_console_inject(d, "I", 1, NULL), 0);
	bring_up(f);
	assert_int_equal(virtio_console_send_stdin_eof(d, 12, NULL), 0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	add_rx(f, 64, true);
	assert_true(wait_used(f, RXQ, 1));
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 0).len, 5);
	assert_memory_equal(fg_ptr(&f->g, RXBUF), "IE12\n", 5);
	/* Too much waiting for the guest is refused, not grown without bound. */
	static char big[CONSOLE_INJECT_MAX + 1];
	mvm_error *err = NULL;
	assert_int_equal(virtio_console_inject(d, big, sizeof(big), &err), -1);
	assert_non_null(err);
	mvm_error_free(err);
	assert_int_equal(virtio_console_inject(d, big, CONSOLE_INJECT_MAX, NULL), 0);
	err = NULL;
	assert_int_equal(virtio_console_inject(d, "x", 1, &err), -1);
	mvm_error_free(err);
}

/* Until the guest says it listens, neither in_fd bytes nor injected ones
 * reach its buffers; then both do, in order. */
static void held_input_waits_for_release(void **state)
{
	struct fixture *f = *state;
	start_console_held(f, f->in_r, -1, true);
	struct virtio_dev *d = virtio_mmio_dev(f->m);
	bring_up(f);
	add_rx(f, 64, true);
	assert_int_equal(write(f->in_w, "early", 5), 5);
	assert_int_equal(virtio_console_inject(d, "T", 1, NULL), 0);
	sleep_ms(50);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	assert_int_equal(virtio_console_delivered(d), 0);
	assert_int_equal(virtio_console_release_input(d, NULL), 0);
	add_rx(f, 64, true);
	assert_true(wait_used(f, RXQ, 2));
	assert_memory_equal(fg_ptr(&f->g, RXBUF), "T", 1);
	assert_int_equal(fvq_used_elem(&f->g, &f->vq[RXQ], 1).len, 5);
	assert_memory_equal(fg_ptr(&f->g, RXBUF + 0x1000), "early", 5);
	/* A second release changes nothing. */
	assert_int_equal(virtio_console_release_input(d, NULL), 0);
	assert_int_equal(virtio_console_delivered(d), 5);
}

/* An idle terminal as stdin (a blocking fd with nothing to read, like a
 * pipe nobody writes): the release must not read it blindly, which would
 * hold the event loop, and with it every device, until the user typed.
 * The release runs on the loop thread in a VM; here it runs on ours, so
 * a blind read would hang the test (the alarm fails it instead). */
static void release_does_not_wait_for_idle_input(void **state)
{
	struct fixture *f = *state;
	start_console_held(f, f->in_r, -1, true);
	struct virtio_dev *d = virtio_mmio_dev(f->m);
	bring_up(f);
	add_rx(f, 64, true);
	alarm(10);
	assert_int_equal(virtio_console_release_input(d, NULL), 0);
	alarm(0);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[RXQ]), 0);
	/* Input that comes later still arrives, through the poll. */
	assert_int_equal(write(f->in_w, "late", 4), 4);
	assert_true(wait_used(f, RXQ, 1));
	assert_memory_equal(fg_ptr(&f->g, RXBUF), "late", 4);
}

static void closed_reader_does_not_kill_process(void **state)
{
	struct fixture *f = *state;
	start_console(f, -1, f->out_w);
	bring_up(f);
	close(f->out_r);
	f->out_r = -1;
	memcpy(fg_ptr(&f->g, TXBUF), "lost", 4);
	fvq_desc(&f->g, &f->vq[TXQ], 0, TXBUF, 4, 0, 0);
	fvq_publish(&f->g, &f->vq[TXQ], 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ); /* EPIPE, no SIGPIPE death */
	assert_true(wait_used(f, TXQ, 1));
}

struct drain {
	int fd;
	size_t got;
	uint8_t buf[200000];
};

static void *slow_reader(void *arg)
{
	struct drain *d = arg;
	for (;;) {
		sleep_ms(2);
		ssize_t n = read(d->fd, d->buf + d->got, 1000);
		if (n <= 0)
			break;
		d->got += (size_t)n;
	}
	return NULL;
}

static void full_nonblocking_out_fd_gets_everything(void **state)
{
	struct fixture *f = *state;
	fcntl(f->out_w, F_SETPIPE_SZ, 4096);
	fcntl(f->out_w, F_SETFL, O_NONBLOCK);
	start_console(f, -1, f->out_w);
	bring_up(f);
	/* 8 descriptors x 16 KiB = 128 KiB through a 4 KiB pipe. */
	uint8_t *src = fg_ptr(&f->g, TXBUF);
	for (size_t i = 0; i < 8 * 16384; i++)
		src[i] = (uint8_t)(i * 7 + i / 251);
	for (uint16_t i = 0; i < 8; i++)
		fvq_desc(&f->g, &f->vq[TXQ], i, TXBUF + 16384ull * i, 16384,
			 i < 7 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	fvq_publish(&f->g, &f->vq[TXQ], 0);
	struct drain *dr = calloc(1, sizeof(*dr));
	dr->fd = f->out_r;
	pthread_t t;
	pthread_create(&t, NULL, slow_reader, dr);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	/* Used only once all of it is written: then the device may go. */
	assert_true(wait_used(f, TXQ, 1));
	close(f->out_w);
	f->out_w = -1;
	virtio_mmio_free(f->m); /* nothing holds the write end any more */
	f->m = NULL;
	pthread_join(t, NULL);
	assert_int_equal(dr->got, 8 * 16384);
	assert_memory_equal(dr->buf, src, 8 * 16384);
	free(dr);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Publishes one transmit chain of n 16 KiB descriptors of a pattern. */
static uint8_t *publish_big_tx(struct fixture *f, uint16_t n)
{
	uint8_t *src = fg_ptr(&f->g, TXBUF);
	for (size_t i = 0; i < 16384u * n; i++)
		src[i] = (uint8_t)(i * 13 + i / 509);
	for (uint16_t i = 0; i < n; i++)
		fvq_desc(&f->g, &f->vq[TXQ], i, TXBUF + 16384ull * i, 16384,
			 i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	fvq_publish(&f->g, &f->vq[TXQ], 0);
	return src;
}

/* Kicks 8 x 16 KiB of output at a reader that does not read: the kick
 * must return at once and the chain stay unused until it is written. */
static uint8_t *kick_unread_output(struct fixture *f)
{
	uint8_t *src = publish_big_tx(f, 8);
	double t0 = now_ms();
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_true(now_ms() - t0 < 500);
	sleep_ms(50);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[TXQ]), 0); /* not written yet */
	return src;
}

/* Reads that output now: all of it, in order, and then the chain is used. */
static void read_output_whole(struct fixture *f, const uint8_t *src)
{
	struct drain *dr = calloc(1, sizeof(*dr));
	size_t want = 8 * 16384;
	struct pollfd p = {.fd = f->out_r, .events = POLLIN};
	while (dr->got < want && poll(&p, 1, 5000) == 1) {
		ssize_t n = read(f->out_r, dr->buf + dr->got, want - dr->got);
		assert_true(n > 0);
		dr->got += (size_t)n;
	}
	assert_int_equal(dr->got, want);
	assert_memory_equal(dr->buf, src, want);
	assert_true(wait_used(f, TXQ, 1));
	free(dr);
}

/* A reader that stops reading (a blocking pipe, full) must slow only the
 * guest's output: the kick returns at once, the same device's input still
 * flows, and the output arrives whole once the reader reads again. */
static void stalled_reader_never_blocks_the_kick(void **state)
{
	struct fixture *f = *state;
	fcntl(f->out_w, F_SETPIPE_SZ, 4096);
	start_console(f, f->in_r, f->out_w);
	bring_up(f);
	uint8_t *src = kick_unread_output(f);
	/* Input on the same device meanwhile. */
	add_rx(f, 64, true);
	assert_int_equal(write(f->in_w, "in", 2), 2);
	assert_true(wait_used(f, RXQ, 1));
	read_output_whole(f, src);
}

/* The same with a non-blocking pipe that nobody reads, which is what
 * 7dfb5e5 gave hvc2: there the kick (the event loop) waited 10 s for
 * POLLOUT at every full pipe, and every device of the VM with it. */
static void stalled_nonblocking_reader_never_blocks_the_kick(void **state)
{
	struct fixture *f = *state;
	fcntl(f->out_w, F_SETPIPE_SZ, 4096);
	fcntl(f->out_w, F_SETFL, fcntl(f->out_w, F_GETFL) | O_NONBLOCK);
	start_console(f, -1, f->out_w);
	bring_up(f);
	uint8_t *src = kick_unread_output(f);
	read_output_whole(f, src);
}

/* The same through a blocking socket whose peer does not read: a socket
 * cannot be reopened, so each send asks not to block. */
static void stalled_socket_reader_never_blocks_teardown(void **state)
{
	struct fixture *f = *state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	start_console(f, -1, sv[0]);
	bring_up(f);
	publish_big_tx(f, 16);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	sleep_ms(50);
	assert_int_equal(fvq_used_idx(&f->g, &f->vq[TXQ]), 0);
	double t0 = now_ms();
	virtio_mmio_free(f->m);
	f->m = NULL;
	assert_true(now_ms() - t0 < 2000);
	close(sv[0]);
	close(sv[1]);
}

/* Once the VM has ended, the device holds nothing of out_fd: the reader
 * sees end of file when the caller closes its end, before the VM is freed
 * (the writer's own non-blocking description would otherwise keep the
 * pipe open). */
static void closed_output_lets_the_reader_see_eof(void **state)
{
	struct fixture *f = *state;
	start_console(f, -1, f->out_w);
	bring_up(f);
	memcpy(fg_ptr(&f->g, TXBUF), "bye", 3);
	fvq_desc(&f->g, &f->vq[TXQ], 0, TXBUF, 3, 0, 0);
	fvq_publish(&f->g, &f->vq[TXQ], 0);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_true(wait_used(f, TXQ, 1));
	virtio_console_close_output(virtio_mmio_dev(f->m));
	close(f->out_w);
	f->out_w = -1;
	char buf[8];
	assert_int_equal(read(f->out_r, buf, sizeof(buf)), 3);
	struct pollfd p = {.fd = f->out_r, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(read(f->out_r, buf, sizeof(buf)), 0);
}

/* Reset and teardown give up a write that waits for its reader. */
static void reset_abandons_a_waiting_write(void **state)
{
	struct fixture *f = *state;
	fcntl(f->out_w, F_SETPIPE_SZ, 4096);
	start_console(f, -1, f->out_w);
	bring_up(f);
	publish_big_tx(f, 8);
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	sleep_ms(50);
	double t0 = now_ms();
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0);
	virtio_mmio_free(f->m);
	f->m = NULL;
	assert_true(now_ms() - t0 < 2000);
}

struct sink {
	size_t got;
	uint8_t buf[300000];
	int calls;
	size_t largest;
};

static void sink_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *k = ctx;
	assert_true(k->got + len <= sizeof(k->buf));
	memcpy(k->buf + k->got, buf, len);
	k->got += len;
	k->calls++;
	if (len > k->largest)
		k->largest = len;
}

/* The control console's output goes to a callback on the loop thread,
 * never to an fd the same loop must read (7dfb5e5: a guest flooding hvc2
 * filled that pipe and the loop waited 10 s at a time for itself). */
static void output_callback_gets_every_byte(void **state)
{
	struct fixture *f = *state;
	struct sink *k = calloc(1, sizeof(*k));
	struct virtio_console_params p = {
	    .in_fd = -1, .out_fd = -1, .on_output = sink_output, .output_ctx = k};
	struct virtio_console *c = virtio_console_new(&p, NULL);
	assert_non_null(c);
	f->m = virtio_mmio_new(&virtio_console_ops, c, &f->host, 0xd0000000, 5, NULL);
	assert_non_null(f->m);
	bring_up(f);
	uint8_t *src = publish_big_tx(f, 16);
	double t0 = now_ms();
	mmio_wr(f->m, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_true(now_ms() - t0 < 2000);
	assert_true(wait_used(f, TXQ, 1));
	assert_int_equal(k->got, 16 * 16384);
	assert_memory_equal(k->buf, src, 16 * 16384);
	assert_true(k->largest <= 512);
	free(k);
}

static void reset_stops_input(void **state)
{
	struct fixture *f = *state;
	start_console(f, f->in_r, -1);
	bring_up(f);
	mmio_wr(f->m, VIRTIO_MMIO_STATUS, 0);
	add_rx(f, 64, false);
	assert_int_equal(write(f->in_w, "zz", 2), 2);
	sleep_ms(50);
	assert_int_equal(virtio_console_delivered(virtio_mmio_dev(f->m)), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(guest_output_reaches_out_fd),
	    T(host_input_reaches_guest),
	    T(input_waits_for_guest_buffers),
	    T(input_eof_is_reported_once),
	    T(plain_file_input),
	    T(inject_control_bytes),
	    T(held_input_waits_for_release),
	    T(release_does_not_wait_for_idle_input),
	    T(closed_reader_does_not_kill_process),
	    T(full_nonblocking_out_fd_gets_everything),
	    T(reset_stops_input),
	    T(stalled_reader_never_blocks_the_kick),
	    T(stalled_nonblocking_reader_never_blocks_the_kick),
	    T(reset_abandons_a_waiting_write),
	    T(stalled_socket_reader_never_blocks_teardown),
	    T(closed_output_lets_the_reader_see_eof),
	    T(output_callback_gets_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
