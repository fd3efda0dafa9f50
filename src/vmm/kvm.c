/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/kvm.h"
#include "arch/arch.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MVM_KVM_DEVICE
#define MVM_KVM_DEVICE "/dev/kvm"
#endif

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
	{KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
	{KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
	{KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	{KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
	{KVM_CAP_PIT2, "KVM_CAP_PIT2"},
	{KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	{KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
};

int kvm_open(struct kvm *k, mvm_error **err)
{
	k->dev_fd = k->vm_fd = -1;
	cleanup_close int dev = open(MVM_KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0 && errno == ENOENT)
		return mvm_err(err, MVM_ERR_KVM, errno,
			       "KVM is not available: %s does not exist (no kvm module loaded, or "
			       "no hardware virtualization; scripts/with-kvm runs mvm in an "
			       "emulated machine that has it)",
			       MVM_KVM_DEVICE);
	if (dev < 0 && (errno == EACCES || errno == EPERM))
		return mvm_err(err, MVM_ERR_KVM, errno,
			       "KVM is not usable: no permission to open %s (add the user to its "
			       "group, usually kvm)",
			       MVM_KVM_DEVICE);
	if (dev < 0)
		return mvm_err(err, MVM_ERR_KVM, errno, "open %s for KVM", MVM_KVM_DEVICE);
	int version = ioctl(dev, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return mvm_err(err, MVM_ERR_KVM, 0, "%s has API version %d, mvm needs %d",
			       MVM_KVM_DEVICE, version, KVM_API_VERSION);
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++)
		if (ioctl(dev, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			return mvm_err(err, MVM_ERR_KVM, 0, "%s lacks %s", MVM_KVM_DEVICE,
				       required_caps[i].name);
	int run_size = ioctl(dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return mvm_err(err, MVM_ERR_KVM, errno, "KVM_GET_VCPU_MMAP_SIZE");
	cleanup_close int vm = ioctl(dev, KVM_CREATE_VM, 0);
	if (vm < 0)
		return mvm_err(err, MVM_ERR_KVM, errno, "KVM_CREATE_VM");
	if (arch_vm_init(vm, err) < 0)
		return mvm_err_wrap(err, "set up the VM");
	k->run_size = run_size;
	k->dev_fd = steal_fd(&dev);
	k->vm_fd = steal_fd(&vm);
	return 0;
}

void kvm_close(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->dev_fd >= 0)
		close(k->dev_fd);
	k->vm_fd = k->dev_fd = -1;
}

#define HUGE_PAGE (2ull << 20)

/* Reserves size bytes of anonymous guest memory at a 2 MiB boundary. KVM
 * maps 2 MiB of guest memory with one nested page table entry only where
 * the host address is 2 MiB aligned too, whatever backs it: a transparent
 * huge page of RAM, or a huge page of a file mapped into a DAX window.
 * MAP_NORESERVE: what the guest never touches costs nothing. */
static void *map_aligned(uint64_t size)
{
	uint64_t len = size + HUGE_PAGE;
	uint8_t *raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	uintptr_t start = ((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	size_t head = start - (uintptr_t)raw;
	if (head)
		munmap(raw, head);
	if (len - head > size)
		munmap((uint8_t *)start + size, len - head - size);
	/* Guest memory must never appear in a host core dump. */
	madvise((void *)start, size, MADV_DONTDUMP);
	return (void *)start;
}

/* Guest RAM in transparent huge pages where the host gives them: the first
 * touch of guest memory costs one nested page fault (a VM exit) per 2 MiB
 * instead of per 4 KiB, thousands fewer exits per boot. The guest touches
 * RAM lazily, so a 2 GiB VM that uses 50 MiB costs about 50 MiB. */
static void *map_guest_ram(uint64_t size)
{
	void *start = map_aligned(size);
	if (start == NULL)
		return NULL;
	madvise(start, size, MADV_HUGEPAGE);
	return start;
}

int kvm_map_memory(struct kvm *k, struct guest_mem *m, mvm_error **err)
{
	for (unsigned i = 0; i < m->n_regions; i++) {
		struct guest_mem_region *r = &m->regions[i];
		void *p = map_guest_ram(r->size);
		if (p == NULL)
			return mvm_err_sys(err, "map %llu MiB of guest RAM",
					   (unsigned long long)(r->size >> 20));
		r->host = p;
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)p,
		};
		if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return mvm_err_sys(err, "KVM_SET_USER_MEMORY_REGION slot %u", i);
	}
	return 0;
}

void kvm_unmap_memory(struct guest_mem *m)
{
	for (unsigned i = 0; i < m->n_regions; i++) {
		if (m->regions[i].host)
			munmap(m->regions[i].host, m->regions[i].size);
		m->regions[i].host = NULL;
	}
}

int kvm_map_window(struct kvm *k, uint32_t slot, uint64_t gpa, uint64_t size, uint8_t **host,
		   mvm_error **err)
{
	/* Readable and writable everywhere, so that whatever the guest
	 * touches is backed: a hole would fail KVM_RUN. Aligned, so that a
	 * file mapped there in huge pages reaches the guest in huge pages
	 * (measured: a 64 MiB read of a file on a huge-page tmpfs took 161
	 * nested page faults through an aligned window, 16,522 through one
	 * 1 MiB off). */
	void *p = map_aligned(size);
	if (p == NULL)
		return mvm_err_sys(err, "reserve a DAX window of %llu MiB",
				   (unsigned long long)(size >> 20));
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uint64_t)(uintptr_t)p,
	};
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		int e = errno;
		munmap(p, size);
		errno = e;
		return mvm_err_sys(err, "KVM_SET_USER_MEMORY_REGION slot %u (DAX window at 0x%llx)",
				   slot, (unsigned long long)gpa);
	}
	*host = p;
	return 0;
}

int kvm_create_vcpu(struct kvm *k, unsigned index, int *fd, struct kvm_run **run,
		    mvm_error **err)
{
	cleanup_close int vcpu = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu < 0)
		return mvm_err(err, MVM_ERR_KVM, errno, "KVM_CREATE_VCPU %u", index);
	void *p = mmap(NULL, (size_t)k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (p == MAP_FAILED)
		return mvm_err_sys(err, "map kvm_run of vCPU %u", index);
	*run = p;
	*fd = steal_fd(&vcpu);
	return 0;
}
