/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console (virtio 1.1 §5.3), one port, no MULTIPORT: one device per
 * stream (hvc0 stdin/stdout, hvc1 stderr, hvc2 control; guest/protocol.h).
 *
 *   receiveq (0): host -> guest. Bytes come from in_fd (polled on the event
 *                 loop only while the guest has rx buffers) and from
 *                 virtio_console_inject().
 *   transmitq (1): guest -> host. Written fully to out_fd.
 *
 * Stdin EOF: a console has no way to say "end of file", so when in_fd
 * reaches EOF the device stops polling it and calls on_input_eof with the
 * number of bytes it delivered. The VMM answers by sending
 * MVM_CTRL_STDIN_EOF on the control console (virtio_console_send_stdin_eof);
 * mvm-init then closes the program's stdin pipe once it has forwarded that
 * many bytes from hvc0 (see guest/protocol.h).
 *
 * Output: a console with on_output hands every byte to it on the event
 * loop thread (the control console: nothing can block there). Else a
 * writer thread of the device's own writes to out_fd, waiting for its
 * reader as long as it takes (back-pressure on the guest, never loss);
 * the event loop never waits for out_fd. A buffer is used only once it is
 * written. Reset and teardown stop a waiting write: what the guest had not
 * yet seen used is dropped then. EPIPE (reader gone) drops output without
 * raising SIGPIPE in the process.
 */
#ifndef MVM_VIRTIO_CONSOLE_H
#define MVM_VIRTIO_CONSOLE_H

#include "virtio/virtio_dev.h"

#include <stddef.h>
#include <stdint.h>

/* Bytes virtio_console_inject() may hold while the guest has no rx buffer. */
#define CONSOLE_INJECT_MAX 4096

struct virtio_console;

struct virtio_console_params {
	int in_fd;  /* host fd whose bytes the guest reads, or -1; not owned */
	int out_fd; /* host fd the guest's output goes to, or -1 (dropped); not owned */
	/* Instead of out_fd: called on the event loop thread with the guest's
	 * output, copied out of guest memory, in pieces of at most 512 bytes.
	 * Must not block. May be NULL. */
	void (*on_output)(void *ctx, const uint8_t *buf, size_t len);
	void *output_ctx;
	/* Called once, on the event loop thread, when in_fd hit EOF (or a read
	 * error) after `delivered` bytes reached the guest. May be NULL. */
	void (*on_input_eof)(void *ctx, uint64_t delivered);
	void *eof_ctx;
	/* Deliver nothing (in_fd bytes or injected ones) until
	 * virtio_console_release_input(). A single-port console has no
	 * handshake: Linux's virtio_console discards input that arrives between
	 * the driver filling its receive queue and attaching the hvc tty, so
	 * input must wait until the guest says it is listening. */
	bool hold_input;
	/* The output thread's seccomp lists, or NULL for none. */
	const struct sandbox *sandbox;
};

extern const struct virtio_dev_ops virtio_console_ops;
/* Starts the thread that writes output to a blocking out_fd (a pipe the
 * reader drains slowly). Call once, after the device exists and before
 * the guest runs; without it, output goes out inline only. */
int virtio_console_start_output(struct virtio_dev *d, mvm_error **err);

struct virtio_console *virtio_console_new(const struct virtio_console_params *p, mvm_error **err);

/* Queues len bytes for the guest (control commands). Any thread. Fails if
 * more than CONSOLE_INJECT_MAX bytes would be waiting. */
int virtio_console_inject(struct virtio_dev *d, const void *buf, size_t len, mvm_error **err);
/* Injects "E<delivered>\n" (MVM_CTRL_STDIN_EOF) into the control console d. */
int virtio_console_send_stdin_eof(struct virtio_dev *d, uint64_t delivered, mvm_error **err);

/* Ends hold_input: starts reading in_fd and flushes injected bytes. Call
 * on the event loop thread. */
int virtio_console_release_input(struct virtio_dev *d, mvm_error **err);

/* The VM has ended: stops output for good and closes the device's own
 * description of out_fd, so that a reader of out_fd sees end of file as
 * soon as the caller closes its end, not only when the VM is freed. Call
 * once no vCPU or loop thread can kick the device any more. */
void virtio_console_close_output(struct virtio_dev *d);

/* Bytes of in_fd delivered to the guest so far. */
uint64_t virtio_console_delivered(struct virtio_dev *d);

#endif
