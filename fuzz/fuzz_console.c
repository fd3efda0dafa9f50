/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console under a hostile driver (fuzz_driver.h): transmit chains of
 * any shape go to /dev/null, receive chains of any shape take bytes from a
 * plain-file in_fd (a memfd holding part of the input) and from injected
 * control bytes, with input held and released as the VMM does for hvc0
 * and hvc2. */
#include "fuzz_driver.h"
#include "virtio/console.h"
#include "vmm/event_loop.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static void on_eof(void *ctx, uint64_t delivered)
{
	uint64_t *calls = ctx;
	(*calls)++;
}

static void console_op(struct fzd *d, struct fz *f)
{
	struct virtio_dev *dev = virtio_mmio_dev(d->m);
	switch (fz_u8(f) % 4) {
	case 0: {
		/* Now and then more than CONSOLE_INJECT_MAX at once. */
		uint8_t n = fz_u8(f);
		static uint8_t big[2 * CONSOLE_INJECT_MAX];
		size_t len = n & 0x80 ? (size_t)fz_u16(f) % sizeof(big) : n;
		size_t got;
		const uint8_t *p = fz_take(f, len < 256 ? len : 256, &got);
		memcpy(big, p, got);
		mvm_error *err = NULL;
		virtio_console_inject(dev, big, len, &err);
		mvm_error_free(err);
		break;
	}
	case 1: {
		mvm_error *err = NULL;
		virtio_console_release_input(dev, &err);
		mvm_error_free(err);
		break;
	}
	case 2: {
		mvm_error *err = NULL;
		virtio_console_send_stdin_eof(dev, fz_u64(f), &err);
		mvm_error_free(err);
		break;
	}
	case 3:
		virtio_console_delivered(dev);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fzd d;
	static struct event_loop *loop;
	static int null_fd = -1, in_fd = -1;
	static uint64_t eof_calls;
	if (loop == NULL) {
		/* Never run: the memfd cannot be polled, so the console reads it
		 * directly, as it does a plain file given as stdin. */
		loop = event_loop_new(NULL);
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		in_fd = memfd_create("fuzz-console-in", MFD_CLOEXEC);
		FZ_CHECK(loop != NULL && null_fd >= 0 && in_fd >= 0);
	}
	struct fz f = {data, size};
	fzd_init(&d, 2);
	d.host.loop = loop;
	d.device_op = console_op;

	uint8_t how = fz_u8(&f);
	size_t in_len;
	const uint8_t *in = fz_take(&f, fz_u8(&f), &in_len);
	FZ_CHECK(ftruncate(in_fd, 0) == 0 && lseek(in_fd, 0, SEEK_SET) == 0);
	FZ_CHECK(write(in_fd, in, in_len) == (ssize_t)in_len && lseek(in_fd, 0, SEEK_SET) == 0);
	struct virtio_console_params p = {.in_fd = how & 1 ? in_fd : -1,
					  .out_fd = how & 2 ? null_fd : -1,
					  .on_input_eof = on_eof,
					  .eof_ctx = &eof_calls,
					  .hold_input = (how & 4) != 0};
	struct virtio_console *c = virtio_console_new(&p, NULL);
	FZ_CHECK(c != NULL);
	d.m = virtio_mmio_new(&virtio_console_ops, c, &d.host, 0xd0000000, 5, NULL);
	FZ_CHECK(d.m != NULL);
	fzd_run(&d, &f);
	return 0;
}
