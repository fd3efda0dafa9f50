/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_CONFIG_RLIMIT_H
#define MVM_CONFIG_RLIMIT_H

#include "mvm.h"

/* Linux has 16 resources, RLIMIT_CPU (0) .. RLIMIT_RTTIME (15). */
#define MVM_RLIMIT_COUNT 16

/* NULL if r names a known resource and soft <= hard, else what is wrong.
 * The rule shared by the parser and by build() for the typed setter. */
const char *rlimit_problem(const mvm_rlimit *r);

#endif
