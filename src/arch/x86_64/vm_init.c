/* SPDX-License-Identifier: Apache-2.0 */
#include "arch/arch.h"
#include "arch/x86_64/layout.h"
#include "util/error.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

int arch_vm_init(int vm_fd, mvm_error **err)
{
	/* Intel VMX needs these pages even with unrestricted guests; AMD
	 * ignores them. They sit in the MMIO hole, never in RAM. */
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0)
		return mvm_err_sys(err, "KVM_SET_TSS_ADDR");
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	if (ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return mvm_err_sys(err, "KVM_SET_IDENTITY_MAP_ADDR");
	/* In-kernel PIC, IOAPIC and LAPICs: interrupts from irqfds never
	 * leave the kernel, which saves VM exits on every device interrupt. */
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return mvm_err_sys(err, "KVM_CREATE_IRQCHIP");
	/* The kernel calibrates against the PIT when kvm-clock is absent and
	 * uses it as the early tick; the dummy speaker port avoids exits. */
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return mvm_err_sys(err, "KVM_CREATE_PIT2");
	return 0;
}
