/* SPDX-License-Identifier: Apache-2.0 */
/* The mvm-init binary (guest/init/) embedded in libmvm. */
#ifndef MVM_VMM_INIT_EMBED_H
#define MVM_VMM_INIT_EMBED_H

#include <stddef.h>

/* The static ELF executable, valid for the library's lifetime. */
const void *mvm_init_binary(size_t *len);

#endif
