/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_CONFIG_CONFIG_JSON_H
#define MVM_CONFIG_CONFIG_JSON_H

#include "config/config.h"

/* One JSON object with the keys of the CLI's --dry-run (README). Unset
 * optional values are null or []. Caller frees. */
char *config_json(const struct mvm_config *c, mvm_error **err);

#endif
