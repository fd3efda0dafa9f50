/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/vmm.h"
#include "guest/protocol.h"
#include "arch/arch.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "vmm/boot.h"
#include "vmm/devices.h"
#include "vmm/vcpu_kick.h"
#include "jail/sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

static void *loop_thread(void *arg)
{
	struct vmm *v = arg;
	mvm_error *e = NULL;
	if (event_loop_run(v->loop, &e) < 0)
		vmm_end(v, -1, &e);
	mvm_error_free(e);
	pthread_mutex_lock(&v->lock);
	v->loop_running = false;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

/* Before any device exists: their threads start sandboxed. */
static int sandbox_setup(struct vmm *v, mvm_error **err)
{
	const struct mvm_config *cfg = v->cfg;
	struct sandbox *sb = &v->sandbox_store;
	if (cfg->seccomp && (sb->seccomp = sandbox_policy_get(err)) == NULL)
		return -1;
	if (cfg->jail) {
		sb->drop_caps = true;
		/* Workers of a virtual-ownership share keep none of these
		 * (vmm/devices.c). */
		sb->keep[SANDBOX_FS] = jail_fs_passthrough_caps();
		if (cfg->has_jail_user) {
			if (!jail_may_switch_ids())
				return mvm_err(err, MVM_ERR_UNSUPPORTED, EPERM,
					       "jail user %u:%u: switching the VM's threads to it needs "
					       "CAP_SETUID and CAP_SETGID (root)",
					       (unsigned)cfg->jail_uid, (unsigned)cfg->jail_gid);
			sb->ids = (struct jail_ids){
			    .set = true, .uid = (uid_t)cfg->jail_uid, .gid = (gid_t)cfg->jail_gid};
			/* The switch takes every capability; none comes back. */
			sb->keep[SANDBOX_FS] = 0;
		}
		if (jail_may_build()) {
			v->jail = jail_new(err);
			if (v->jail == NULL)
				return -1;
			sb->jail = v->jail;
		} else {
			log_debug(v->log, "jail: no CAP_SYS_ADMIN, so the VM's threads keep the "
					  "caller's mount namespace (docs/security.md, \"The jail\")");
		}
	}
	if (cfg->seccomp || cfg->jail)
		v->sandbox = sb;
	return 0;
}

struct vmm *vmm_create(const struct mvm_config *cfg, const struct vmm_stdio *stdio,
		       mvm_error **err)
{
	struct vmm *v = calloc(1, sizeof(*v));
	if (v == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "allocate VM");
		return NULL;
	}
	v->cfg = cfg;
	v->log = &cfg->log;
	v->kvm.dev_fd = v->kvm.vm_fd = -1;
	v->exit_status = -1;
	v->n_vcpus = cfg->num_vcpus;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	serial_init(&v->serial, v->log);
	v->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->done_fd < 0) {
		mvm_err_sys(err, "eventfd");
		goto fail;
	}
	if (vcpu_kick_init(err) < 0 || kvm_open(&v->kvm, err) < 0)
		goto fail;
	if (sandbox_setup(v, err) < 0)
		goto fail;
	if (arch_memory_layout((uint64_t)cfg->ram_mib << 20, &v->mem, err) < 0 ||
	    kvm_map_memory(&v->kvm, &v->mem, err) < 0)
		goto fail;
	v->vcpus = calloc(v->n_vcpus, sizeof(*v->vcpus));
	if (v->vcpus == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "allocate %u vCPUs", v->n_vcpus);
		goto fail;
	}
	for (unsigned i = 0; i < v->n_vcpus; i++)
		v->vcpus[i].fd = -1;
	for (unsigned i = 0; i < v->n_vcpus; i++)
		if (vcpu_create(v, &v->vcpus[i], i, 0, err) < 0)
			goto fail;
	/* Fail in milliseconds with one clear sentence on a KVM that cannot
	 * run Linux, instead of crawling for seconds towards an emulation
	 * failure deep in the kernel's boot. */
	if (arch_probe_vcpu(v->vcpus[0].fd, v->vcpus[0].run, &v->mem, err) < 0)
		goto fail;
	v->loop = event_loop_new(err);
	if (v->loop == NULL)
		goto fail;
	if (devices_create(v, stdio, err) < 0)
		goto fail;
	uint64_t entry;
	if (boot_load(v, &entry, err) < 0 || arch_vcpu_boot_regs(v->vcpus[0].fd, entry, err) < 0)
		goto fail;
	log_info(v->log, "VM ready: %u vCPU(s), %u MiB", v->n_vcpus, cfg->ram_mib);
	return v;
fail:
	vmm_destroy(v);
	return NULL;
}

int vmm_start(struct vmm *v, mvm_error **err)
{
	clock_gettime(CLOCK_MONOTONIC, &v->started);
	pthread_mutex_lock(&v->lock);
	v->loop_running = true;
	pthread_mutex_unlock(&v->lock);
	if (sandbox_thread_create(v->sandbox, SANDBOX_LOOP, "mvm-loop", &v->loop_thread,
				  loop_thread, v, err) < 0) {
		v->loop_running = false;
		return -1;
	}
	v->loop_started = true;
	for (unsigned i = 0; i < v->n_vcpus; i++) {
		if (vcpu_start(&v->vcpus[i], err) < 0) {
			vmm_end(v, -1, NULL);
			return -1;
		}
	}
	return 0;
}

void vmm_end(struct vmm *v, int status, mvm_error **failure)
{
	pthread_mutex_lock(&v->lock);
	if (v->ending) {
		pthread_mutex_unlock(&v->lock);
		if (failure) {
			mvm_error_free(*failure);
			*failure = NULL;
		}
		return;
	}
	__atomic_store_n(&v->ending, true, __ATOMIC_RELEASE);
	v->exit_status = status;
	if (failure) {
		v->failure = *failure;
		*failure = NULL;
	}
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);

	for (unsigned i = 0; i < v->n_vcpus; i++)
		if (v->vcpus[i].started)
			vcpu_kick(v->vcpus[i].thread, v->vcpus[i].run);
	if (v->loop)
		event_loop_stop(v->loop);
	uint64_t one = 1;
	if (write(v->done_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with one write; nothing to do. */
	}
}

int vmm_wait(struct vmm *v, mvm_error **err)
{
	pthread_mutex_lock(&v->lock);
	while (!v->ending || v->vcpus_running > 0 || v->loop_running)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
	for (unsigned i = 0; i < v->n_vcpus; i++) {
		if (v->vcpus[i].started)
			pthread_join(v->vcpus[i].thread, NULL);
		v->vcpus[i].started = false;
	}
	if (v->loop_started)
		pthread_join(v->loop_thread, NULL);
	v->loop_started = false;
	if (v->devices)
		devices_close_output(v);
	vmm_log_stats(v);
	if (v->failure) {
		mvm_error *f = v->failure;
		v->failure = NULL;
		mvm_err_merge(err, &f);
		return -1;
	}
	if (v->exit_status < 0) {
		/* Stopped from the host without a status from the guest. */
		return 128 + SIGKILL;
	}
	return v->exit_status;
}

int vmm_signal(struct vmm *v, int sig, mvm_error **err)
{
	char cmd;
	switch (sig) {
	case SIGINT:
		cmd = MVM_CTRL_SIGINT;
		break;
	case SIGTERM:
		cmd = MVM_CTRL_SIGTERM;
		break;
	case SIGKILL:
		cmd = MVM_CTRL_SIGKILL;
		break;
	default:
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "signal %d cannot be sent to the guest: use SIGINT, SIGTERM or SIGKILL",
			       sig);
	}
	return devices_control(v, &cmd, 1, err);
}

int vmm_control(struct vmm *v, const char *msg, size_t len, mvm_error **err)
{
	return devices_control(v, msg, len, err);
}

void vmm_destroy(struct vmm *v)
{
	if (v == NULL)
		return;
	if (v->loop_started || (v->vcpus && v->n_vcpus && v->vcpus[0].started)) {
		vmm_end(v, -1, NULL);
		mvm_error *ignored = NULL;
		vmm_wait(v, &ignored);
		mvm_error_free(ignored);
	}
	for (unsigned i = 0; v->vcpus && i < v->n_vcpus; i++)
		if (v->vcpus[i].vmm)
			vcpu_destroy(&v->vcpus[i]);
	free(v->vcpus);
	if (v->devices)
		devices_destroy(v);
	if (v->loop)
		event_loop_free(v->loop);
	kvm_unmap_memory(&v->mem);
	kvm_close(&v->kvm);
	jail_free(v->jail);
	serial_destroy(&v->serial);
	if (v->done_fd >= 0)
		close(v->done_fd);
	mvm_error_free(v->failure);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void vmm_port_io(struct vmm *v, uint16_t port, uint8_t *data, uint32_t size, bool is_write)
{
	if (port == MVM_EXIT_PORT && is_write && size == 4) {
		uint32_t status;
		memcpy(&status, data, sizeof(status));
		if (status > 255) {
			mvm_error *e = NULL;
			mvm_err(&e, MVM_ERR_GUEST, 0, "the guest reported exit status %u, not 0..255",
				status);
			vmm_end(v, -1, &e);
			return;
		}
		log_info(v->log, "guest program exited with status %u", status);
		vmm_end(v, (int)status, NULL);
		return;
	}
	if (port >= SERIAL_COM1_BASE && port < SERIAL_COM1_BASE + SERIAL_PORTS && size == 1) {
		serial_io(&v->serial, port - SERIAL_COM1_BASE, data, is_write);
		return;
	}
	/* Nothing else is there: reads float high, as on a real ISA bus. */
	if (!is_write)
		memset(data, 0xff, size);
}

void vmm_mmio(struct vmm *v, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
	if (devices_mmio(v, gpa, data, len, is_write))
		return;
	log_trace(v->log, "MMIO %s at unmapped 0x%llx", is_write ? "write" : "read",
		  (unsigned long long)gpa);
	if (!is_write)
		memset(data, 0, len);
}
