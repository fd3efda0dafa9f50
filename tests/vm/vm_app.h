/* SPDX-License-Identifier: Apache-2.0 */
/* What the C programs under tests/vm share: ok/FAIL lines that
 * tests/vm/run counts (as lib.sh prints them), a monotonic clock, and an
 * mvm_error printed one message a line. Each program is one file, so these
 * are static. */
#ifndef MVM_TESTS_VM_APP_H
#define MVM_TESTS_VM_APP_H

#include "mvm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

static inline void check(const char *name, int cond, const char *why)
{
	if (cond) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
	fflush(stdout);
}

static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Inside the QEMU-TCG harness (scripts/with-kvm sets it), whose known
 * faults some tests tolerate once, with a note. */
static inline bool in_harness(void)
{
	const char *h = getenv("MVM_IN_HARNESS");
	return h && strcmp(h, "1") == 0;
}

/* "PREFIXWHAT: message" on stderr for each message of e. */
static inline void print_errors(const char *prefix, const char *what, mvm_error *e)
{
	for (size_t i = 0; i < mvm_error_count(e); i++)
		fprintf(stderr, "%s%s: %s\n", prefix, what, mvm_error_message_at(e, i));
}

#endif
