/* SPDX-License-Identifier: Apache-2.0 */
/* The one logging function of libmvm. There is no global logger: each
 * builder and VM carries its own, so separate VMs log independently. */
#ifndef MVM_UTIL_LOG_H
#define MVM_UTIL_LOG_H

#include "mvm.h"

struct mvm_logger {
	mvm_log_level level; /* lines above this level are dropped */
	mvm_log_fn fn;       /* NULL: log nothing */
	void *userdata;
};

void mvm_log(const struct mvm_logger *lg, mvm_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define mvm_log_enabled(lg, lvl) ((lg) != NULL && (lg)->fn != NULL && (lvl) <= (lg)->level)

#define log_error(lg, ...) mvm_log((lg), MVM_LOG_ERROR, __VA_ARGS__)
#define log_warn(lg, ...) mvm_log((lg), MVM_LOG_WARN, __VA_ARGS__)
#define log_info(lg, ...) mvm_log((lg), MVM_LOG_INFO, __VA_ARGS__)
#define log_debug(lg, ...) mvm_log((lg), MVM_LOG_DEBUG, __VA_ARGS__)
#define log_trace(lg, ...) mvm_log((lg), MVM_LOG_TRACE, __VA_ARGS__)

#endif
