/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/vcpu_kick.h"
#include "util/error.h"
#include "util/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_kick_signal(void)
{
	return mvm_vcpu_kick_signal();
}

int vcpu_kick_init(mvm_error **err)
{
	int sig = vcpu_kick_signal();
	struct sigaction old;
	if (sigaction(sig, NULL, &old) < 0)
		return mvm_err_sys(err, "query handler of signal %d", sig);
	if (old.sa_handler == kick_handler)
		return 0;
	if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
		return mvm_err(err, MVM_ERR_STATE, 0,
			       "signal %d (SIGRTMIN+5) is handled by the application; mvm needs it "
			       "to stop vCPUs",
			       sig);
	/* Installing the same handler twice from racing threads is harmless. */
	struct sigaction sa = {.sa_handler = kick_handler};
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		return mvm_err_sys(err, "install handler for signal %d", sig);
	return 0;
}

void vcpu_kick_thread_mask(void)
{
	sigset_t set;
	sigfillset(&set);
	sigdelset(&set, vcpu_kick_signal());
	/* Synchronous faults must stay deliverable, and so must the SIGSYS
	 * of a seccomp violation: blocked, it kills the process before the
	 * application's handler can say why (docs/seccomp.md). */
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
}

void vcpu_kick(pthread_t thread, struct kvm_run *run)
{
	__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(thread, vcpu_kick_signal());
}
