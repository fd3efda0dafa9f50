/* SPDX-License-Identifier: Apache-2.0 */
/* Inside src/seccomp: the rule table and the compiled programs. */
#ifndef MVM_SECCOMP_POLICY_H
#define MVM_SECCOMP_POLICY_H

#include "seccomp/seccomp.h"

#include <linux/filter.h>
#include <seccomp.h>

#define SANDBOX_MAX_ARGS 2

struct sandbox_rule {
	int nr; /* SCMP_SYS(name): a typo fails the build */
	const char *name;
	unsigned kinds; /* 1u << enum sandbox_kind, or'ed */
	unsigned n_args;
	struct scmp_arg_cmp args[SANDBOX_MAX_ARGS];
	const char *condition; /* the args in words, "" for none */
	const char *why;
	/* args[0] compares with the vCPU kick signal, which is known only at
	 * run time (SIGRTMIN + 5); its datum in the table is a placeholder. */
	bool arg0_is_kick_signal;
};

extern const struct sandbox_rule sandbox_rules[];
extern const size_t sandbox_n_rules;


#endif
