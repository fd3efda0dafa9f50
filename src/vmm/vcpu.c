/* SPDX-License-Identifier: Apache-2.0 */
/* A vCPU thread: KVM_RUN until the VM ends, handing port and MMIO exits
 * to the VMM. With the in-kernel irqchip, HLT and interrupts never come
 * here, so the loop only sees device accesses and the end of the VM. */
#include "arch/arch.h"
#include "util/error.h"
#include "vmm/devices.h"
#include "vmm/vcpu_kick.h"
#include "vmm/vmm.h"
#include "jail/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int vcpu_create(struct vmm *v, struct vcpu *c, unsigned index, uint64_t entry, mvm_error **err)
{
	*c = (struct vcpu){.vmm = v, .index = index, .fd = -1};
	if (kvm_create_vcpu(&v->kvm, index, &c->fd, &c->run, err) < 0)
		return -1;
	return arch_vcpu_init(v->kvm.dev_fd, c->fd, index, v->n_vcpus, entry, err);
}

static bool vm_ending(struct vmm *v)
{
	return __atomic_load_n(&v->ending, __ATOMIC_ACQUIRE);
}

static void fail(struct vcpu *c, mvm_error_code code, const char *what)
{
	mvm_error *e = NULL;
	struct kvm_regs regs;
	unsigned long long rip = 0;
	if (ioctl(c->fd, KVM_GET_REGS, &regs) == 0)
		rip = regs.rip;
	mvm_err(&e, code, 0, "vCPU %u: %s (guest RIP 0x%llx)", c->index, what, rip);
	vmm_end(c->vmm, -1, &e);
}

static bool handle_exit(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;
		c->exits_io++;
		/* String I/O (rep outs) arrives as count items of size bytes. */
		for (uint32_t i = 0; i < run->io.count; i++)
			vmm_port_io(c->vmm, run->io.port, data + (size_t)i * run->io.size,
				    run->io.size, run->io.direction == KVM_EXIT_IO_OUT);
		return true;
	}
	case KVM_EXIT_MMIO:
		c->exits_mmio++;
		vmm_mmio(c->vmm, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			 run->mmio.is_write);
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: the guest rebooted (reboot=t) or crashed
		 * before mvm-init reported a status. */
		fail(c, MVM_ERR_GUEST, "the guest shut down without reporting an exit status "
				       "(kernel panic or reboot; run with --log-level debug to see "
				       "the kernel's messages)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		fail(c, MVM_ERR_GUEST, "the guest powered off without reporting an exit status");
		return false;
	case KVM_EXIT_INTERNAL_ERROR: {
		char msg[128];
		snprintf(msg, sizeof(msg), "KVM internal error, suberror %u", run->internal.suberror);
		fail(c, MVM_ERR_KVM, msg);
		return false;
	}
	case KVM_EXIT_FAIL_ENTRY: {
		char msg[128];
		snprintf(msg, sizeof(msg), "KVM could not enter the guest, reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		fail(c, MVM_ERR_KVM, msg);
		return false;
	}
	case KVM_EXIT_HLT:
		fail(c, MVM_ERR_GUEST, "the guest halted with interrupts off");
		return false;
	default: {
		char msg[64];
		snprintf(msg, sizeof(msg), "unexpected KVM exit reason %u", run->exit_reason);
		fail(c, MVM_ERR_KVM, msg);
		return false;
	}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	vcpu_kick_thread_mask();
	while (!vm_ending(c->vmm)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			/* A page of a DAX window the host cannot back (its file
			 * shrank on the host): mend it and run on. */
			if (errno == EFAULT && devices_dax_repair(c->vmm) > 0)
				continue;
			mvm_error *e = NULL;
			mvm_err(&e, MVM_ERR_KVM, errno, "vCPU %u: KVM_RUN", c->index);
			vmm_end(c->vmm, -1, &e);
			break;
		}
		if (!handle_exit(c))
			break;
	}
	pthread_mutex_lock(&c->vmm->lock);
	c->vmm->vcpus_running--;
	pthread_cond_broadcast(&c->vmm->cond);
	pthread_mutex_unlock(&c->vmm->lock);
	return NULL;
}

int vcpu_start(struct vcpu *c, mvm_error **err)
{
	pthread_mutex_lock(&c->vmm->lock);
	c->vmm->vcpus_running++;
	pthread_mutex_unlock(&c->vmm->lock);
	char name[16];
	snprintf(name, sizeof(name), "mvm-vcpu%u", c->index);
	if (sandbox_thread_create(c->vmm->sandbox, SANDBOX_VCPU, name, &c->thread, vcpu_thread, c,
				  err) < 0) {
		pthread_mutex_lock(&c->vmm->lock);
		c->vmm->vcpus_running--;
		pthread_mutex_unlock(&c->vmm->lock);
		return mvm_err_wrap(err, "vCPU %u", c->index);
	}
	c->started = true;
	return 0;
}

void vcpu_destroy(struct vcpu *c)
{
	if (c->started)
		pthread_join(c->thread, NULL);
	c->started = false;
	if (c->run)
		munmap(c->run, (size_t)c->vmm->kvm.run_size);
	if (c->fd >= 0)
		close(c->fd);
	c->run = NULL;
	c->fd = -1;
}
