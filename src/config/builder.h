/* SPDX-License-Identifier: Apache-2.0 */
/* The builder is a struct mvm_config being filled in; build() validates a
 * copy of it (see validate.h) and hands that to a new VM. */
#ifndef MVM_CONFIG_BUILDER_H
#define MVM_CONFIG_BUILDER_H

#include "config/config.h"

struct mvm_builder {
	struct mvm_config cfg;
};

#endif
