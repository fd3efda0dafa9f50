/* SPDX-License-Identifier: Apache-2.0 */
/* The KVM capability probe (a KVM-selftests-style guest payload): execute
 * int3 in long mode with an IDT whose vector 3 handler writes 0x42 to an
 * I/O port. A KVM that can run Linux reports that write; the PVM-based KVM
 * of our CI hosts fails with an internal error instead (FACTS.md). */
#include "arch/arch.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/tables.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#define PROBE_IDT 0x1000ull
#define PROBE_CODE 0x3000ull
#define PROBE_HANDLER 0x3100ull
#define PROBE_STACK 0x8000ull
#define PROBE_PORT 0x10
#define PROBE_OK 0x42
#define PROBE_FELL_THROUGH 0x01
#define PROBE_MAX_EXITS 16

static int load_payload(const struct guest_mem *m, mvm_error **err)
{
	/* int3; then, if the CPU fell through, report 1 */
	static const uint8_t main_code[] = {0xcc, 0xb0, PROBE_FELL_THROUGH, 0xe6, PROBE_PORT,
					    0xeb, 0xfe};
	/* mov al, 0x42; out 0x10, al; jmp $ */
	static const uint8_t handler[] = {0xb0, PROBE_OK, 0xe6, PROBE_PORT, 0xeb, 0xfe};
	uint8_t *code = gpa_slice(m, PROBE_CODE, sizeof(main_code));
	uint8_t *hcode = gpa_slice(m, PROBE_HANDLER, sizeof(handler));
	uint8_t *idt = gpa_slice(m, PROBE_IDT, 16 * 4);
	if (!code || !hcode || !idt)
		return mvm_err(err, MVM_ERR_INVALID, 0, "KVM probe payload does not fit in RAM");
	if (tables_write(m, err) < 0)
		return -1;
	memcpy(code, main_code, sizeof(main_code));
	memcpy(hcode, handler, sizeof(handler));
	memset(idt, 0, 16 * 4);
	/* 64-bit interrupt gate for vector 3 (SDM vol. 3, 6.14.1). */
	uint8_t *gate = idt + 16 * 3;
	uint64_t off = PROBE_HANDLER;
	gate[0] = off & 0xff;
	gate[1] = (off >> 8) & 0xff;
	gate[2] = GDT_CODE * 8;
	gate[5] = 0x8e; /* present, DPL 0, interrupt gate */
	gate[6] = (off >> 16) & 0xff;
	gate[7] = (off >> 24) & 0xff;
	return 0;
}

int arch_probe_vcpu(int vcpu_fd, struct kvm_run *run, const struct guest_mem *m,
		    mvm_error **err)
{
	if (load_payload(m, err) < 0)
		return -1;
	if (arch_vcpu_boot_regs(vcpu_fd, PROBE_CODE, err) < 0)
		return mvm_err_wrap(err, "KVM probe");
	struct kvm_sregs sregs;
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return mvm_err_sys(err, "KVM probe: KVM_GET_SREGS");
	sregs.idt.base = PROBE_IDT;
	sregs.idt.limit = 16 * 4 - 1;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return mvm_err_sys(err, "KVM probe: KVM_SET_SREGS");
	struct kvm_regs regs;
	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return mvm_err_sys(err, "KVM probe: KVM_GET_REGS");
	regs.rsp = PROBE_STACK;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return mvm_err_sys(err, "KVM probe: KVM_SET_REGS");

	for (int i = 0; i < PROBE_MAX_EXITS; i++) {
		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return mvm_err(err, MVM_ERR_KVM, errno, "KVM probe: KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			if (run->io.port != PROBE_PORT || run->io.direction != KVM_EXIT_IO_OUT)
				continue;
			uint8_t v = *((uint8_t *)run + run->io.data_offset);
			if (v == PROBE_OK)
				return 0;
			return mvm_err(err, MVM_ERR_KVM, 0,
				       "this KVM cannot run Linux guests: it did not deliver a "
				       "breakpoint exception to a test guest (it needs hardware "
				       "virtualization, VT-x or AMD-V, or nested virtualization)");
		}
		case KVM_EXIT_INTERNAL_ERROR:
			return mvm_err(err, MVM_ERR_KVM, 0,
				       "this KVM cannot run Linux guests: a test guest's breakpoint "
				       "exception failed with KVM internal error %u (a PVM-style or "
				       "otherwise limited KVM; mvm needs hardware virtualization, "
				       "VT-x or AMD-V, or nested virtualization)",
				       run->internal.suberror);
		default:
			return mvm_err(err, MVM_ERR_KVM, 0,
				       "this KVM cannot run Linux guests: a test guest stopped with "
				       "unexpected exit reason %u",
				       run->exit_reason);
		}
	}
	return mvm_err(err, MVM_ERR_KVM, 0,
		       "this KVM cannot run Linux guests: a test guest did not finish");
}
