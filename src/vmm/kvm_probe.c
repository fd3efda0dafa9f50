/* SPDX-License-Identifier: Apache-2.0 */
#include "arch/arch.h"
#include "util/error.h"
#include "vmm/kvm.h"

#include <sys/mman.h>
#include <unistd.h>

/* Enough for the probe payload and its page tables. */
#define PROBE_RAM (2ull << 20)

int mvm_kvm_probe(mvm_error **err)
{
	struct kvm k;
	if (kvm_open(&k, err) < 0)
		return -1;
	struct guest_mem m = {.n_regions = 1, .total = PROBE_RAM};
	m.regions[0] = (struct guest_mem_region){.gpa = 0, .size = PROBE_RAM};
	int vcpu_fd = -1;
	struct kvm_run *run = NULL;
	int r = -1;
	if (kvm_map_memory(&k, &m, err) < 0 || kvm_create_vcpu(&k, 0, &vcpu_fd, &run, err) < 0)
		goto out;
	if (arch_vcpu_init(k.dev_fd, vcpu_fd, 0, 1, 0, err) < 0)
		goto out;
	r = arch_probe_vcpu(vcpu_fd, run, &m, err);
out:
	if (run)
		munmap(run, (size_t)k.run_size);
	if (vcpu_fd >= 0)
		close(vcpu_fd);
	kvm_unmap_memory(&m);
	kvm_close(&k);
	return r;
}
