/* SPDX-License-Identifier: Apache-2.0 */
/* The VM's device set: which virtio devices exist, at which MMIO window
 * and interrupt line, and how the kernel command line announces them. */
#ifndef MVM_VMM_DEVICES_H
#define MVM_VMM_DEVICES_H

#include "vmm/vmm.h"

#include <stdbool.h>
#include <stddef.h>

/* Seconds from the VM's creation until mvm-init must have said it runs
 * (MVM_CTRL_READY); past it the VM ends with an error instead of hanging.
 * Generous: a boot takes ~0.1 s on hardware, a few seconds emulated. */
#define DEVICES_BOOT_TIMEOUT_S 120

int devices_create(struct vmm *v, const struct vmm_stdio *stdio, mvm_error **err);
/* Appends " virtio_mmio.device=..." for every device. */
int devices_cmdline(const struct vmm *v, char *buf, size_t len, mvm_error **err);
/* Interrupt lines in use, for the MP table. */
unsigned devices_irqs(const struct vmm *v, unsigned *irqs, unsigned max);
/* Dispatches an MMIO access; false if no device owns gpa. */
bool devices_mmio(struct vmm *v, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write);
/* Sends a control message to mvm-init (guest/protocol.h MVM_CTRL_*). */
int devices_control(struct vmm *v, const char *msg, size_t len, mvm_error **err);
/* Logs the network's counters (frames each way, drops, frames the
 * local-only filter refused) at info level; nothing without a network. */
void devices_log_net_stats(struct vmm *v);
/* Adds the devices' counters (fs, net, vsock) to *out. Any thread. */
void devices_get_stats(struct vmm *v, mvm_vm_stats *out);
/* The VM has ended (no vCPU or loop thread runs): the consoles let go of
 * the caller's output fds, so their readers see end of file. */
void devices_close_output(struct vmm *v);
/* A vCPU's KVM_RUN failed with EFAULT: every share mends mappings that
 * now lie past their file's end (fuse_server_dax_repair()). Returns the
 * number of chunks changed; 0: the fault was something else. */
size_t devices_dax_repair(struct vmm *v);
void devices_destroy(struct vmm *v);

#endif
