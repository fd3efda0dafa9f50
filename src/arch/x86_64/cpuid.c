/* SPDX-License-Identifier: Apache-2.0 */
/* The CPUID a vCPU sees: what KVM supports on this host, with the topology
 * of this VM and the hypervisor bit set. KVM_GET_SUPPORTED_CPUID already
 * includes the KVM paravirt leaves (0x40000000/1), which is what makes the
 * guest use kvm-clock instead of calibrating the TSC: a large saving in
 * exits. */
#include "arch/x86_64/cpuid.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENTRIES 256
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)

static void patch_entry(struct kvm_cpuid_entry2 *e, unsigned index, unsigned num_vcpus,
			bool tsc_deadline)
{
	switch (e->function) {
	case 1:
		/* EBX[31:24] initial APIC id, [23:16] logical processor count. */
		e->ebx = (e->ebx & 0x0000ffffu) | (index << 24) | ((num_vcpus & 0xff) << 16);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (!tsc_deadline)
			e->ecx &= ~CPUID_1_ECX_TSC_DEADLINE;
		if (num_vcpus > 1)
			e->edx |= 1u << 28; /* HTT: the count in EBX is valid */
		break;
	case 0xb:
	case 0x1f:
		/* Extended topology: one thread per core, x2APIC id in EDX. */
		e->edx = index;
		if (e->index == 0) {
			e->eax = 0;
			e->ebx = 1;
			e->ecx = (1u << 8) | e->index;
		} else if (e->index == 1) {
			e->eax = 8;
			e->ebx = num_vcpus;
			e->ecx = (2u << 8) | e->index;
		} else {
			e->eax = e->ebx = 0;
			e->ecx = e->index;
		}
		break;
	default:
		break;
	}
}

int cpuid_setup(int kvm_fd, int vcpu_fd, unsigned index, unsigned num_vcpus, mvm_error **err)
{
	cleanup_free struct kvm_cpuid2 *cpuid =
		calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (cpuid == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "CPUID table");
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		return mvm_err_sys(err, "KVM_GET_SUPPORTED_CPUID");
	bool tsc_deadline = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	for (unsigned i = 0; i < cpuid->nent; i++)
		patch_entry(&cpuid->entries[i], index, num_vcpus, tsc_deadline);
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		return mvm_err_sys(err, "KVM_SET_CPUID2 on vCPU %u", index);
	return 0;
}
