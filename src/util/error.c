/* SPDX-License-Identifier: Apache-2.0 */
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mvm_problem {
	mvm_error_code code;
	int errnum;
	char *msg;
};

struct mvm_error {
	size_t count;
	size_t cap;
	struct mvm_problem *items;
	bool static_oom; /* the shared fallback object below; never freed */
};

/* Used when we cannot even allocate the error: callers still get a
 * non-NULL error with a truthful message. It is immutable. */
static struct mvm_problem oom_problem = {MVM_ERR_NOMEM, ENOMEM, (char *)"out of memory"};
static struct mvm_error oom_error = {1, 1, &oom_problem, true};

static int push(mvm_error **err, mvm_error_code code, int errnum, char *msg)
{
	mvm_error *e = *err;
	if (e == &oom_error) {
		free(msg);
		return -1;
	}
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			free(msg);
			*err = &oom_error;
			return -1;
		}
		*err = e;
	}
	if (e->count == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 4;
		struct mvm_problem *n = realloc(e->items, ncap * sizeof(*n));
		if (n == NULL) {
			free(msg);
			return -1;
		}
		e->items = n;
		e->cap = ncap;
	}
	e->items[e->count++] = (struct mvm_problem){code, errnum, msg};
	return -1;
}

int mvm_verr(mvm_error **err, mvm_error_code code, int errnum, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0) {
		*err = *err ? *err : &oom_error;
		return -1;
	}
	if (errnum != 0) {
		char buf[128];
		char *full = NULL;
		const char *es = strerror_r(errnum, buf, sizeof(buf));
		int r = asprintf(&full, "%s: %s", msg, es);
		free(msg);
		if (r < 0) {
			*err = *err ? *err : &oom_error;
			return -1;
		}
		msg = full;
	}
	return push(err, code, errnum, msg);
}

int mvm_err(mvm_error **err, mvm_error_code code, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mvm_verr(err, code, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int mvm_err_wrap(mvm_error **err, const char *fmt, ...)
{
	if (err == NULL || *err == NULL || *err == &oom_error)
		return -1;
	char *prefix = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	mvm_error *e = *err;
	for (size_t i = 0; i < e->count; i++) {
		char *n = NULL;
		if (asprintf(&n, "%s: %s", prefix, e->items[i].msg) < 0)
			continue;
		free(e->items[i].msg);
		e->items[i].msg = n;
	}
	free(prefix);
	return -1;
}

void mvm_err_merge(mvm_error **dst, mvm_error **src)
{
	if (src == NULL || *src == NULL)
		return;
	mvm_error *s = *src;
	if (dst == NULL) {
		mvm_error_free(s);
		*src = NULL;
		return;
	}
	if (*dst == NULL) {
		*dst = s;
		*src = NULL;
		return;
	}
	for (size_t i = 0; i < s->count; i++) {
		if (s == &oom_error) {
			push(dst, MVM_ERR_NOMEM, ENOMEM, strdup("out of memory"));
			break;
		}
		push(dst, s->items[i].code, s->items[i].errnum, s->items[i].msg);
		s->items[i].msg = NULL;
	}
	mvm_error_free(s);
	*src = NULL;
}

mvm_error_code mvm_error_get_code(const mvm_error *err)
{
	return mvm_error_code_at(err, 0);
}

int mvm_error_get_errno(const mvm_error *err)
{
	return err && err->count ? err->items[0].errnum : 0;
}

const char *mvm_error_get_message(const mvm_error *err)
{
	const char *m = mvm_error_message_at(err, 0);
	return m ? m : "unknown error";
}

size_t mvm_error_count(const mvm_error *err)
{
	return err ? err->count : 0;
}

const char *mvm_error_message_at(const mvm_error *err, size_t i)
{
	if (err == NULL || i >= err->count)
		return NULL;
	return err->items[i].msg;
}

mvm_error_code mvm_error_code_at(const mvm_error *err, size_t i)
{
	if (err == NULL || i >= err->count)
		return MVM_OK;
	return err->items[i].code;
}

void mvm_error_free(mvm_error *err)
{
	if (err == NULL || err->static_oom)
		return;
	for (size_t i = 0; i < err->count; i++)
		free(err->items[i].msg);
	free(err->items);
	free(err);
}
