/* SPDX-License-Identifier: Apache-2.0 */
#include "util/thread.h"

#include <signal.h>

int mvm_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	/* A new thread inherits its creator's mask: block SIGPIPE around the
	 * create, then give the creator (an application thread, perhaps)
	 * its own mask back. */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	int rc = pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	if (rc != 0)
		return rc;
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
