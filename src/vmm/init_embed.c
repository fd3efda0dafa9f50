/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/init_embed.h"

/* Defined in init_embed.S. */
extern const unsigned char mvm_init_bin_start[];
extern const unsigned char mvm_init_bin_end[];

const void *mvm_init_binary(size_t *len)
{
	*len = (size_t)(mvm_init_bin_end - mvm_init_bin_start);
	return mvm_init_bin_start;
}
