/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm-smoke: proves that /dev/kvm can run a guest, independent of libmvm.
 *
 * It creates a VM with one page of real-mode code at 0x1000:
 *     mov al, 42 ; out 0x10, al ; hlt
 * and expects exactly KVM_EXIT_IO (out, port 0x10, 1 byte, value 42)
 * followed by KVM_EXIT_HLT. Exit status 0 means KVM really executes guest
 * code; any other outcome prints what happened and exits 1.
 * A diagnostic for scripts/with-kvm and tests/vm, not part of libmvm.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CODE_GPA 0x1000u
#define SMOKE_PORT 0x10u
#define SMOKE_VALUE 42u
/* More exits than the two expected ones means the guest is not doing what
 * the code says (e.g. KVM emulating and failing); stop instead of spinning. */
#define MAX_RUNS 16
/* The guest needs microseconds; a guest that makes no progress for this
 * long is stuck, and saying where beats hanging the test run. */
#define WATCHDOG_SECONDS 10

static volatile sig_atomic_t watchdog_fired;

static void on_alarm(int sig)
{
	(void)sig;
	watchdog_fired = 1;
}

static const uint8_t guest_code[] = {
	0xb0, SMOKE_VALUE, /* mov al, 42 */
	0xe6, SMOKE_PORT,  /* out 0x10, al */
	0xf4,              /* hlt */
};

static int fail(const char *what)
{
	fprintf(stderr, "kvm-smoke: %s: %s\n", what, strerror(errno));
	return 1;
}

static int setup_real_mode(int vcpu)
{
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	/* Real mode with CS base 0, so CS:IP 0:0x1000 is guest physical 0x1000. */
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");

	struct kvm_regs regs;
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2; /* bit 1 is reserved and must be set */
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	return 0;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	default: return "other";
	}
}

static int run_guest(int vcpu, struct kvm_run *run)
{
	int saw_io = 0;
	for (int i = 0; i < MAX_RUNS; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && watchdog_fired) {
				struct kvm_regs regs;
				if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0)
					return fail("KVM_GET_REGS after the watchdog");
				fprintf(stderr,
					"kvm-smoke: guest made no exit for %d s (run %d, rip 0x%llx, rax 0x%llx)\n",
					WATCHDOG_SECONDS, i, (unsigned long long)regs.rip,
					(unsigned long long)regs.rax);
				return 1;
			}
			if (errno == EINTR)
				continue;
			return fail("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
			if (saw_io || run->io.direction != KVM_EXIT_IO_OUT ||
			    run->io.port != SMOKE_PORT || run->io.size != 1 ||
			    run->io.count != 1 || data[0] != SMOKE_VALUE) {
				fprintf(stderr,
					"kvm-smoke: unexpected port I/O: dir %u port 0x%x size %u count %u value %u\n",
					run->io.direction, run->io.port, run->io.size, run->io.count,
					data[0]);
				return 1;
			}
			saw_io = 1;
			break;
		}
		case KVM_EXIT_HLT:
			if (!saw_io) {
				fprintf(stderr, "kvm-smoke: guest halted before its port write\n");
				return 1;
			}
			printf("kvm-smoke: ok: guest wrote %u to port 0x%x, then halted\n",
			       SMOKE_VALUE, SMOKE_PORT);
			return 0;
		default:
			fprintf(stderr, "kvm-smoke: unexpected exit %u (%s)", run->exit_reason,
				exit_name(run->exit_reason));
			if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				fprintf(stderr, ", suberror %u", run->internal.suberror);
			if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
				fprintf(stderr, ", hardware reason 0x%llx",
					(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			fprintf(stderr, "\n");
			return 1;
		}
	}
	fprintf(stderr, "kvm-smoke: guest did not halt after %d runs\n", MAX_RUNS);
	return 1;
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	int version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		fprintf(stderr, "kvm-smoke: KVM API version %d, need %d\n", version, KVM_API_VERSION);
		return 1;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");

	void *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest page");
	memcpy(mem, guest_code, sizeof(guest_code));
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = CODE_GPA,
		.memory_size = 0x1000,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	if (setup_real_mode(vcpu) != 0)
		return 1;
	/* No SA_RESTART: the signal must interrupt KVM_RUN with EINTR. */
	struct sigaction sa = {.sa_handler = on_alarm};
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return fail("sigaction SIGALRM");
	alarm(WATCHDOG_SECONDS);
	int rc = run_guest(vcpu, run);
	alarm(0);
	munmap(run, (size_t)run_size);
	munmap(mem, 0x1000);
	close(vcpu);
	close(vm);
	close(kvm);
	return rc;
}
