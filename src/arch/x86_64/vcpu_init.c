/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU state for Linux's 64-bit entry point: long mode with paging on,
 * flat segments from our GDT, RSI pointing at the zero page. Secondary
 * vCPUs get the same CPUID and MSRs; the kernel starts them through the
 * local APIC (INIT/SIPI), so their registers are left at reset values. */
#include "arch/arch.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "util/error.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC 0x10
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff

#define CR0_PE 0x1ull
#define CR0_ET 0x10ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static int setup_msrs(int vcpu_fd, unsigned index, mvm_error **err)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} msrs[] = {
		{MSR_IA32_SYSENTER_CS, 0}, {MSR_IA32_SYSENTER_ESP, 0}, {MSR_IA32_SYSENTER_EIP, 0},
		{MSR_STAR, 0},		   {MSR_LSTAR, 0},	       {MSR_CSTAR, 0},
		{MSR_SYSCALL_MASK, 0},	   {MSR_KERNEL_GS_BASE, 0},    {MSR_IA32_TSC, 0},
		/* Fast strings, as real firmware enables them. */
		{MSR_IA32_MISC_ENABLE, 1},
		/* MTRRs enabled, default type write-back: without it the guest
		 * maps all RAM uncached (FACTS.md; Firecracker and kvmtool agree). */
		{MSR_MTRR_DEF_TYPE, 0x806},
	};
	const unsigned n = sizeof(msrs) / sizeof(msrs[0]);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[sizeof(msrs) / sizeof(msrs[0])];
	} buf;
	memset(&buf, 0, sizeof(buf));
	buf.hdr.nmsrs = n;
	for (unsigned i = 0; i < n; i++) {
		buf.e[i].index = msrs[i].index;
		buf.e[i].data = msrs[i].data;
	}
	int r = ioctl(vcpu_fd, KVM_SET_MSRS, &buf);
	if (r < 0)
		return mvm_err_sys(err, "KVM_SET_MSRS on vCPU %u", index);
	if ((unsigned)r != n)
		return mvm_err(err, MVM_ERR_KVM, 0, "KVM refused MSR 0x%x on vCPU %u",
			       buf.e[r].index, index);
	return 0;
}

static int setup_lapic(int vcpu_fd, unsigned index, mvm_error **err)
{
	struct kvm_lapic_state lapic;
	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return mvm_err_sys(err, "KVM_GET_LAPIC on vCPU %u", index);
	uint32_t *lvt0 = (uint32_t *)(lapic.regs + APIC_LVT0);
	uint32_t *lvt1 = (uint32_t *)(lapic.regs + APIC_LVT1);
	*lvt0 = (*lvt0 & ~0x700u) | (APIC_MODE_EXTINT << 8);
	*lvt1 = (*lvt1 & ~0x700u) | (APIC_MODE_NMI << 8);
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
		return mvm_err_sys(err, "KVM_SET_LAPIC on vCPU %u", index);
	return 0;
}

int arch_vcpu_boot_regs(int vcpu_fd, uint64_t entry, mvm_error **err)
{
	struct kvm_sregs sregs;
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return mvm_err_sys(err, "KVM_GET_SREGS");
	sregs.cs = gdt_segment(GDT_CODE);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = gdt_segment(GDT_DATA);
	sregs.tr = gdt_segment(GDT_TSS);
	sregs.gdt.base = LAYOUT_GDT;
	sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs.idt.base = LAYOUT_IDT;
	sregs.idt.limit = 7;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs.cr3 = LAYOUT_PML4;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return mvm_err_sys(err, "KVM_SET_SREGS");

	struct kvm_regs regs = {
		.rflags = 0x2, /* bit 1 is reserved and always set */
		.rip = entry,
		.rsp = LAYOUT_BOOT_STACK,
		.rbp = LAYOUT_BOOT_STACK,
		.rsi = LAYOUT_ZERO_PAGE,
	};
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return mvm_err_sys(err, "KVM_SET_REGS");

	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return mvm_err_sys(err, "KVM_SET_FPU");
	return 0;
}

int arch_vcpu_init(int kvm_fd, int vcpu_fd, unsigned index, unsigned num_vcpus, uint64_t entry,
		   mvm_error **err)
{
	if (cpuid_setup(kvm_fd, vcpu_fd, index, num_vcpus, err) < 0 ||
	    setup_msrs(vcpu_fd, index, err) < 0 || setup_lapic(vcpu_fd, index, err) < 0)
		return -1;
	if (index == 0 && arch_vcpu_boot_regs(vcpu_fd, entry, err) < 0)
		return mvm_err_wrap(err, "boot vCPU");
	return 0;
}
