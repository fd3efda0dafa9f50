/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_ARCH_X86_64_CPUID_H
#define MVM_ARCH_X86_64_CPUID_H

#include "mvm.h"

int cpuid_setup(int kvm_fd, int vcpu_fd, unsigned index, unsigned num_vcpus, mvm_error **err);

#endif
