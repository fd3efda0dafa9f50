/* SPDX-License-Identifier: Apache-2.0 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

void mvm_log(const struct mvm_logger *lg, mvm_log_level level, const char *fmt, ...)
{
	if (!mvm_log_enabled(lg, level) || level == MVM_LOG_OFF)
		return;
	/* A fixed buffer keeps logging allocation-free, so it is safe on error
	 * paths that run after an allocation failure. Long lines are cut. */
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lg->fn(lg->userdata, level, buf);
}

static const char *const level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

const char *mvm_log_level_name(mvm_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return NULL;
	return level_names[level];
}

#include "util/error.h"

int mvm_log_level_parse(const char *s, mvm_log_level *out, mvm_error **err)
{
	for (unsigned i = 0; s && i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (mvm_log_level)i;
			return 0;
		}
	}
	return mvm_err(err, MVM_ERR_INVALID, 0,
		       "invalid log level `%s`: expected off, error, warn, info, debug or trace",
		       s ? s : "(null)");
}
