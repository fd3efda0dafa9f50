/* SPDX-License-Identifier: Apache-2.0 */
/* One running VM: KVM objects, guest RAM, vCPU threads, devices and the
 * event loop, and how it ends. The public mvm_vm wraps one of these. */
#ifndef MVM_VMM_VMM_H
#define MVM_VMM_VMM_H

#include "config/config.h"
#include "vmm/event_loop.h"
#include "vmm/guest_mem.h"
#include "vmm/kvm.h"
#include "vmm/serial.h"
#include "jail/sandbox.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct vmm;
struct devices; /* vmm/devices.h */

struct vcpu {
	struct vmm *vmm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	/* VM exits seen by userspace, the main cost of a guest on our hosts. */
	uint64_t exits_io;
	uint64_t exits_mmio;
};

/* Host fds for the guest program's standard streams. */
struct vmm_stdio {
	int in_fd;  /* -1: the guest reads nothing */
	int out_fd;
	int err_fd;
};

struct vmm {
	const struct mvm_config *cfg;
	const struct mvm_logger *log;
	struct kvm kvm;
	struct guest_mem mem;
	struct vcpu *vcpus;
	unsigned n_vcpus;
	struct serial serial;
	struct event_loop *loop;
	/* How the VM's threads start (jail/sandbox.h): &sandbox_store, or
	 * NULL when both the jail and seccomp are off. */
	const struct sandbox *sandbox;
	struct sandbox sandbox_store;
	struct jail *jail; /* the mount namespace, when mvm may make one */
	pthread_t loop_thread;
	bool loop_started;
	struct devices *devices;
	int done_fd; /* eventfd, readable once the VM has ended */
	struct timespec started; /* CLOCK_MONOTONIC at vmm_start() */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ending;         /* a stop was decided; vCPUs are leaving */
	int exit_status;     /* reported by mvm-init, or -1 */
	mvm_error *failure;  /* first fatal error, when the VM ended badly */
	unsigned vcpus_running;
	bool loop_running;
};

/* Sets up everything (KVM, RAM, kernel, initramfs, devices, vCPUs) without
 * running the guest. cfg must outlive the vmm. */
struct vmm *vmm_create(const struct mvm_config *cfg, const struct vmm_stdio *stdio,
		       mvm_error **err);
/* Starts vCPU threads and the event loop. */
int vmm_start(struct vmm *v, mvm_error **err);
/* Ends the VM: the guest reported status (status >= 0), or failed with
 * *failure (taken over), or was stopped (both absent). The first call
 * wins. Callable from any thread, including vCPU and loop threads. */
void vmm_end(struct vmm *v, int status, mvm_error **failure);
/* Blocks until the VM has ended and all its threads are joined. Returns
 * the program's exit status, or -1 with err. */
int vmm_wait(struct vmm *v, mvm_error **err);
/* Asks mvm-init to deliver sig (SIGINT, SIGTERM or SIGKILL) to the guest
 * program; the VM ends when the program does. */
int vmm_signal(struct vmm *v, int sig, mvm_error **err);
/* Sends a control message (guest/protocol.h) to mvm-init. */
int vmm_control(struct vmm *v, const char *msg, size_t len, mvm_error **err);
void vmm_destroy(struct vmm *v);

/* Handles one vCPU exit to an I/O port / MMIO address (vcpu.c calls). */
void vmm_port_io(struct vmm *v, uint16_t port, uint8_t *data, uint32_t size, bool is_write);
void vmm_mmio(struct vmm *v, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write);

/* vcpu.c */
int vcpu_create(struct vmm *v, struct vcpu *c, unsigned index, uint64_t entry, mvm_error **err);
int vcpu_start(struct vcpu *c, mvm_error **err);
void vcpu_destroy(struct vcpu *c);

/* stats.c: logs exit counts and the VMM's own memory use at info level. */
void vmm_log_stats(struct vmm *v);
/* stats.c: fills *out (mvm_vm_get_stats()). Threads must not be joined yet. */
void vmm_get_stats(struct vmm *v, mvm_vm_stats *out);

#endif
