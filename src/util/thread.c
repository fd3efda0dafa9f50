/* SPDX-License-Identifier: Apache-2.0 */
#include "util/thread.h"

#include <signal.h>

int mvm_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	/* A new thread inherits its creator's mask: block them around the
	 * create, then give the creator (an application thread, perhaps)
	 * its own mask back. */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	/* The other signal our own I/O can raise: a write past RLIMIT_FSIZE
	 * (a guest filling a share) then fails with EFBIG instead. */
	sigaddset(&pipe_set, SIGXFSZ);
	int rc = pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	if (rc != 0)
		return rc;
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
