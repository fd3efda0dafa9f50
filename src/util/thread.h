/* SPDX-License-Identifier: Apache-2.0 */
/* Every thread libmvm starts goes through here. */
#ifndef MVM_UTIL_THREAD_H
#define MVM_UTIL_THREAD_H

#include <pthread.h>

/* pthread_create() for a library thread: the new thread starts with
 * SIGPIPE and SIGXFSZ blocked, so that its writes to a peer that went away
 * (a port-map client, a closed stdout pipe) fail with EPIPE, and its writes
 * past RLIMIT_FSIZE (a guest filling a share) with EFBIG, instead of
 * killing the application. The signal the kernel still raises stays pending on that
 * thread alone and dies with it; the application's dispositions and its
 * own threads' masks are untouched. Returns 0 or an errno value. */
int mvm_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
