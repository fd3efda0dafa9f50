/* SPDX-License-Identifier: Apache-2.0 */
/* "RESOURCE=SOFT:HARD" with Linux resource names or ids. */
#include "config/number.h"
#include "config/rlimit.h"
#include "util/error.h"

#include <string.h>

/* Linux's numbering (include/uapi/asm-generic/resource.h), which is what the
 * guest kernel uses whatever the host's libc calls them. */
static const char *const rlimit_names[MVM_RLIMIT_COUNT] = {
    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",	"RLIMIT_STACK",
    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",	"RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",	"RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

const char *mvm_rlimit_name(int resource)
{
	if (resource < 0 || resource >= MVM_RLIMIT_COUNT)
		return NULL;
	return rlimit_names[resource];
}

static bool parse_resource(const char *s, size_t len, int *out)
{
	for (int i = 0; i < MVM_RLIMIT_COUNT; i++) {
		if (strlen(rlimit_names[i]) == len && memcmp(rlimit_names[i], s, len) == 0) {
			*out = i;
			return true;
		}
	}
	uint64_t id;
	if (!parse_decimal(s, len, MVM_RLIMIT_COUNT - 1, &id))
		return false;
	*out = (int)id;
	return true;
}

int mvm_rlimit_parse(const char *s, mvm_rlimit *out, mvm_error **err)
{
	if (s == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid rlimit: NULL (expected RESOURCE=SOFT:HARD)");
	const char *eq = strchr(s, '=');
	const char *colon = eq ? strchr(eq + 1, ':') : NULL;
	if (eq == NULL || colon == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid rlimit `%s`: expected RESOURCE=SOFT:HARD", s);
	mvm_rlimit r;
	if (!parse_resource(s, (size_t)(eq - s), &r.resource))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid rlimit `%s`: unknown resource `%.*s` (expected RLIMIT_CPU.."
			       "RLIMIT_RTTIME or a number 0..15)",
			       s, (int)(eq - s), s);
	if (!parse_decimal(eq + 1, (size_t)(colon - eq - 1), UINT64_MAX, &r.soft))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid rlimit `%s`: soft limit `%.*s` is not a number in 0..%ju",
			       s, (int)(colon - eq - 1), eq + 1, (uintmax_t)UINT64_MAX);
	if (!parse_decimal(colon + 1, strlen(colon + 1), UINT64_MAX, &r.hard))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid rlimit `%s`: hard limit `%s` is not a number in 0..%ju", s,
			       colon + 1, (uintmax_t)UINT64_MAX);
	const char *why = rlimit_problem(&r);
	if (why != NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "invalid rlimit `%s`: %s", s, why);
	*out = r;
	return 0;
}

const char *rlimit_problem(const mvm_rlimit *r)
{
	if (mvm_rlimit_name(r->resource) == NULL)
		return "unknown resource (expected a Linux resource id 0..15)";
	/* setrlimit() in the guest would fail with EINVAL; the reference lets
	 * it through and the program starts without its limit. */
	if (r->soft > r->hard)
		return "the soft limit exceeds the hard limit";
	return NULL;
}
