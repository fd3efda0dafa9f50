/* SPDX-License-Identifier: Apache-2.0 */
/* Per-thread seccomp filters: every thread libmvm starts for a VM runs
 * under the allow-list of its kind (docs/seccomp.md). The lists are
 * compiled once per process into BPF; a thread loads its own list on
 * start, before it touches the guest, and nothing else in the process is
 * filtered (the application's threads keep their freedom). */
#ifndef MVM_SECCOMP_SECCOMP_H
#define MVM_SECCOMP_SECCOMP_H

#include "mvm.h"

#include <stddef.h>

enum sandbox_kind {
	SANDBOX_VCPU,
	SANDBOX_LOOP,
	SANDBOX_FS,
	SANDBOX_NET,
	SANDBOX_CONSOLE,
	SANDBOX_KINDS
};

/* The compiled filters of every kind; immutable once built. */
struct sandbox_policy;

/* The process's policy, built on first use (thread-safe). NULL with err
 * when libseccomp cannot compile a list. */
const struct sandbox_policy *sandbox_policy_get(mvm_error **err);

/* On the calling thread: sets no_new_privs and loads KIND's filter.
 * Returns 0, or an errno value with *step naming the call. */
int sandbox_policy_load(const struct sandbox_policy *p, enum sandbox_kind kind,
			const char **step);

/* "vCPU", "event loop", ...: how logs and docs name the kind. */
const char *sandbox_kind_name(enum sandbox_kind kind);

/* The rules, for tests and the docs: how many there are, and rule I's
 * system call name, the kinds it applies to (a bit per kind), its
 * argument condition in words ("" for none) and why it is there. */
struct sandbox_rule_info {
	const char *syscall;
	unsigned kinds;
	const char *condition;
	const char *why;
};
size_t sandbox_rule_count(void);
void sandbox_rule_get(size_t i, struct sandbox_rule_info *out);

#endif
