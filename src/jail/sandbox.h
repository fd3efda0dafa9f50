/* SPDX-License-Identifier: Apache-2.0 */
/* How a VM's threads start: each enters the VM's jail, keeps only the
 * capabilities of its kind and loads its seccomp list, in that order,
 * before it runs (docs/security.md "The jail", docs/seccomp.md). */
#ifndef MVM_JAIL_SANDBOX_H
#define MVM_JAIL_SANDBOX_H

#include "jail/jail.h"
#include "seccomp/seccomp.h"

#include <pthread.h>
#include <stdbool.h>

struct sandbox {
	const struct sandbox_policy *seccomp; /* NULL: no filters */
	const struct jail *jail;	      /* NULL: the caller's mount namespace */
	bool drop_caps;			      /* false: threads keep the caller's */
	struct jail_ids ids;		      /* the ids threads switch to, if set */
	jail_caps keep[SANDBOX_KINDS];	      /* what each kind keeps when dropping */
};

/* Starts a library thread (util/thread.h) named NAME that, under SB, is
 * sandboxed as KIND before it runs FN. Returns only once that is done, so
 * a kernel that refuses a step fails here, in the caller, naming it. SB
 * NULL: a plain library thread. */
int sandbox_thread_create(const struct sandbox *sb, enum sandbox_kind kind, const char *name,
			  pthread_t *t, void *(*fn)(void *), void *arg, mvm_error **err);

#endif
