/* SPDX-License-Identifier: Apache-2.0 */
/* The one real-time signal libmvm claims (vmm/vcpu_kick.h), named here so
 * that the seccomp lists, below the VMM, allow exactly it. */
#ifndef MVM_UTIL_SIGNALS_H
#define MVM_UTIL_SIGNALS_H

#include <signal.h>

static inline int mvm_vcpu_kick_signal(void)
{
	return SIGRTMIN + 5;
}

#endif
