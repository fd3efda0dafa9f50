/* SPDX-License-Identifier: Apache-2.0 */
/* Getting a vCPU thread out of KVM_RUN. The only way is a signal, so mvm
 * installs a do-nothing handler for one real-time signal (once per
 * process, and only if the application has not claimed that signal).
 * The kicker sets kvm_run->immediate_exit first, so a kick that lands
 * while the thread is outside KVM_RUN is not lost. */
#ifndef MVM_VMM_VCPU_KICK_H
#define MVM_VMM_VCPU_KICK_H

#include "mvm.h"

#include <linux/kvm.h>
#include <pthread.h>

int vcpu_kick_signal(void);
int vcpu_kick_init(mvm_error **err);
/* Blocks every signal but the kick signal in the calling (vCPU) thread,
 * so the application's signal handlers run on its own threads. */
void vcpu_kick_thread_mask(void);
void vcpu_kick(pthread_t thread, struct kvm_run *run);

#endif
