/* SPDX-License-Identifier: Apache-2.0 */
/* exec_rtt SOCKET N: the round trip of N trivial execs (/bin/true) through
 * the library, without the start of an mvm process each time; prints the
 * median in microseconds. For tests/vm/test_exec.sh and docs/agent.md. */
#include "mvm.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: exec_rtt SOCKET N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	if (n < 1 || n > 1000)
		return 2;
	long *us = calloc((size_t)n, sizeof(*us));
	const char *args[] = {"/bin/true"};
	mvm_exec_spec spec = {.argv = args, .argc = 1};
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		mvm_error *err = NULL;
		int status = -1;
		mvm_exec *x = mvm_exec_start(argv[1], &spec, &err);
		if (x == NULL || mvm_exec_wait(x, -1, -1, -1, &status, &err) < 0 || status != 0) {
			fprintf(stderr, "exec_rtt: %s (status %d)\n",
				err ? mvm_error_get_message(err) : "failed", status);
			return 1;
		}
		mvm_exec_free(x);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us[i] = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	}
	qsort(us, (size_t)n, sizeof(*us), cmp);
	printf("%ld\n", us[n / 2]);
	free(us);
	return 0;
}
