/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_CONFIG_VALIDATE_H
#define MVM_CONFIG_VALIDATE_H

#include "config/config.h"

/* Checks every rule of build() (README, "Validation") and normalises c in
 * place: host paths become absolute and resolved, guest paths lexically
 * normal. Appends EVERY problem found to *err and returns -1 if there was
 * any; c is then partly normalised and only fit for mvm_config_clear(). */
int config_validate(struct mvm_config *c, mvm_error **err);

#endif
