/* SPDX-License-Identifier: Apache-2.0 */
/* Internal error helpers in the style of crun's libcrun_error_t. */
#ifndef MVM_UTIL_ERROR_H
#define MVM_UTIL_ERROR_H

#include "mvm.h"

#include <stdarg.h>

/* Records a problem and returns -1, so that callers can write
 * `return mvm_err(err, MVM_ERR_INVALID, 0, "bad %s", x);`.
 * If *err already holds problems, this one is appended. errnum != 0 adds
 * ": strerror(errnum)" to the message. Never fails: on allocation failure a
 * static "out of memory" error is stored instead. err may be NULL. */
int mvm_err(mvm_error **err, mvm_error_code code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int mvm_verr(mvm_error **err, mvm_error_code code, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Shorthand for a failed system call: code MVM_ERR_IO with errno. */
#define mvm_err_sys(err, ...) mvm_err((err), MVM_ERR_IO, errno, __VA_ARGS__)

/* Prefixes every message in err with "context: ", so that errors gain
 * context as they travel up. Returns -1. */
int mvm_err_wrap(mvm_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Moves all problems of *src to the end of *dst. */
void mvm_err_merge(mvm_error **dst, mvm_error **src);

#endif
