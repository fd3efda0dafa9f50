/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_ARCH_X86_64_TABLES_H
#define MVM_ARCH_X86_64_TABLES_H

#include "mvm.h"
#include "vmm/guest_mem.h"

/* Writes the identity map of the first 4 GiB (2 MiB pages) and the GDT. */
int tables_write(const struct guest_mem *m, mvm_error **err);

#endif
