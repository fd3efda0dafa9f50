/* SPDX-License-Identifier: Apache-2.0 */
/* The monotonic clock, for deadlines, timeouts and rates: never the wall
 * clock, which may jump. */
#ifndef MVM_UTIL_CLOCK_H
#define MVM_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t clock_now_ms(void)
{
	return clock_now_ns() / 1000000;
}

#endif
