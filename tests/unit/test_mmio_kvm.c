/* SPDX-License-Identifier: Apache-2.0 */
/* The KVM path of virtio-mmio: irqfd and ioeventfd registration on a real VM
 * fd (no vCPU runs). Skipped where /dev/kvm cannot create a VM with an
 * in-kernel irqchip. Re-registering after a reset proves deregistration
 * worked: KVM refuses a duplicate ioeventfd with EEXIST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_guest.h"
#include "util/error.h"
#include "virtio/rng.h"
#include "vmm/event_loop.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void *loop_main(void *arg)
{
	event_loop_run(arg, NULL);
	return NULL;
}

static void kvm_registration_and_reset(void **state)
{
	(void)state;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		skip();
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		if (vm >= 0)
			close(vm);
		close(kvm);
		skip();
	}
	struct fake_guest g;
	fg_init(&g);
	struct event_loop *loop = event_loop_new(NULL);
	pthread_t t;
	pthread_create(&t, NULL, loop_main, loop);
	struct virtio_host host = {.mem = &g.mem, .vm_fd = vm, .loop = loop};
	mvm_error *err = NULL;
	struct virtio_mmio *m =
	    virtio_mmio_new(&virtio_rng_ops, virtio_rng_new(NULL), &host, 0xd0000000, 5, &err);
	if (m == NULL)
		fail_msg("%s", mvm_error_get_message(err));
	struct fake_vq vq;
	for (int round = 0; round < 2; round++) {
		memset(fg_ptr(&g, 0x200000), 0, 0x40000);
		assert_int_equal(mmio_bring_up(m, FG_ALL_RING_FEATURES, &vq, 1, 8), 0xf);
		fvq_desc(&g, &vq, 0, 0x400000, 16, VIRTQ_DESC_F_WRITE, 0);
		fvq_publish(&g, &vq, 0);
		uint64_t irqs = virtio_mmio_irq_count(m);
		mmio_wr(m, VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* as if no ioeventfd matched */
		assert_int_equal(fvq_used_idx(&g, &vq), 1);
		assert_int_equal(virtio_mmio_irq_count(m), irqs + 1);
		mmio_wr(m, VIRTIO_MMIO_STATUS, 0);
	}
	virtio_mmio_free(m);
	/* The irqfd was deassigned: the same gsi/fd pair can be set up again. */
	m = virtio_mmio_new(&virtio_rng_ops, virtio_rng_new(NULL), &host, 0xd0000000, 5, &err);
	assert_non_null(m);
	virtio_mmio_free(m);
	event_loop_stop(loop);
	pthread_join(t, NULL);
	event_loop_free(loop);
	fg_fini(&g);
	close(vm);
	close(kvm);
}

static void kvm_mode_needs_event_loop(void **state)
{
	(void)state;
	struct virtio_host host = {.vm_fd = 0, .loop = NULL};
	mvm_error *err = NULL;
	assert_null(
	    virtio_mmio_new(&virtio_rng_ops, virtio_rng_new(NULL), &host, 0xd0000000, 5, &err));
	assert_non_null(err);
	mvm_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kvm_registration_and_reset),
	    cmocka_unit_test(kvm_mode_needs_event_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
