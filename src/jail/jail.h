/* SPDX-License-Identifier: Apache-2.0 */
/* The jail of a VM's threads (docs/security.md, "The jail"): a mount
 * namespace whose root is an empty read-only tmpfs holding only a fresh
 * /proc, and per thread kind the capabilities it keeps. Everything is per
 * thread, never per process: a library may not take the application's
 * view of the file system or its privileges away. Threads reach their
 * shares, /dev/kvm and the kernel through fds opened before they start. */
#ifndef MVM_JAIL_JAIL_H
#define MVM_JAIL_JAIL_H

#include "mvm.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Capability sets, a bit per CAP_* number. */
typedef uint64_t jail_caps;

/* The ids a jailed thread takes on, when set (no supplementary groups). */
struct jail_ids {
	bool set;
	uid_t uid;
	gid_t gid;
};

struct jail;

/* Whether the process may build one: CAP_SYS_ADMIN in its effective set
 * (root). An ordinary user cannot: a mount namespace of one's own needs a
 * user namespace, which Linux refuses to a thread of a threaded process. */
bool jail_may_build(void);
/* Builds the namespace on a helper thread, which needs CAP_SYS_ADMIN. */
struct jail *jail_new(mvm_error **err);
void jail_free(struct jail *j);

/* Whether the process may switch threads to other ids: CAP_SETUID and
 * CAP_SETGID in its effective set. */
bool jail_may_switch_ids(void);

/* On the calling thread, which must not have started work yet: enter J's
 * namespace (J NULL: stay), take on IDS if set (which drops every
 * capability), then keep only KEEP of the capabilities left (an ordinary
 * user's threads have none to lose, and dropping is always allowed).
 * Returns 0, or an errno value with *step naming the call. */
int jail_enter(const struct jail *j, const struct jail_ids *ids, jail_caps keep,
	       const char **step);

/* The capabilities a file-system worker keeps in a passthrough share as
 * root, where it acts for the guest's users (docs/security.md). */
jail_caps jail_fs_passthrough_caps(void);
/* The calling thread's effective and permitted sets (either pointer may
 * be NULL). -1 with errno. */
int jail_thread_caps(jail_caps *effective, jail_caps *permitted);

#endif
