/* SPDX-License-Identifier: Apache-2.0 */
/* /dev/kvm, one VM, its memory slots and vCPU fds. */
#ifndef MVM_VMM_KVM_H
#define MVM_VMM_KVM_H

#include "mvm.h"
#include "vmm/guest_mem.h"

#include <linux/kvm.h>

struct kvm {
	int dev_fd;
	int vm_fd;
	int run_size; /* size of each vCPU's struct kvm_run mapping */
};

/* Opens /dev/kvm, checks the API version and every capability mvm relies
 * on, and creates a VM with its arch set-up (irqchip, PIT). */
int kvm_open(struct kvm *k, mvm_error **err);
void kvm_close(struct kvm *k);

/* Maps anonymous host memory for every region of m and registers it. */
int kvm_map_memory(struct kvm *k, struct guest_mem *m, mvm_error **err);
void kvm_unmap_memory(struct guest_mem *m);

/* A DAX window of size bytes at gpa, in memory slot `slot`: anonymous host
 * memory, never part of the guest_mem that gpa_slice() reaches, into which
 * a virtio-fs server maps files (fuse_server_opts.dax_window). The caller
 * munmap()s *host once no vCPU runs. */
int kvm_map_window(struct kvm *k, uint32_t slot, uint64_t gpa, uint64_t size, uint8_t **host,
		   mvm_error **err);

/* Creates vCPU `index` and maps its kvm_run. */
int kvm_create_vcpu(struct kvm *k, unsigned index, int *fd, struct kvm_run **run,
		    mvm_error **err);

#endif
