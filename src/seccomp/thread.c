/* SPDX-License-Identifier: Apache-2.0 */
#include "seccomp/policy.h"
#include "seccomp/seccomp.h"
#include "util/error.h"
#include "util/thread.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <semaphore.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Lives on the creator's stack until the new thread posts `loaded`. */
struct start {
	const struct sandbox_policy *policy;
	enum sandbox_kind kind;
	void *(*fn)(void *);
	void *arg;
	sem_t loaded;
	int err; /* errno of the load, or 0 */
	const char *step;
};

static void *trampoline(void *p)
{
	struct start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;
	int err = 0;
	if (s->policy != NULL) {
		const struct sock_fprog *prog = sandbox_policy_prog(s->policy, s->kind);
		/* Our own no_new_privs, as the kernel asks of an unprivileged
		 * filter: the thread, and nothing it could exec, ever gains
		 * privileges. It is per thread, like the filter. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
			err = errno;
			s->step = "prctl(PR_SET_NO_NEW_PRIVS)";
		} else if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0) {
			err = errno;
			s->step = "seccomp(SECCOMP_SET_MODE_FILTER)";
		} else {
			sandbox_policy_enter(s->kind);
		}
	}
	s->err = err;
	/* s may be gone once posted: nothing of it is touched after this. */
	sem_post(&s->loaded);
	if (err != 0)
		return NULL;
	return fn(arg);
}

int sandbox_thread_create(const struct sandbox_policy *policy, enum sandbox_kind kind,
			  const char *name, pthread_t *t, void *(*fn)(void *), void *arg,
			  mvm_error **err)
{
	struct start s = {.policy = policy, .kind = kind, .fn = fn, .arg = arg};
	if (sem_init(&s.loaded, 0, 0) < 0)
		return mvm_err_sys(err, "%s thread: sem_init", sandbox_kind_name(kind));
	int rc = mvm_thread_create(t, trampoline, &s);
	if (rc != 0) {
		sem_destroy(&s.loaded);
		return mvm_err(err, MVM_ERR_IO, rc, "starting the %s thread",
			       sandbox_kind_name(kind));
	}
	/* Names show in top -H, perf and /proc/PID/task/N/comm; set from
	 * here, because the filtered thread may not open /proc. */
	if (name != NULL)
		pthread_setname_np(*t, name);
	while (sem_wait(&s.loaded) < 0 && errno == EINTR)
		;
	sem_destroy(&s.loaded);
	if (s.err != 0) {
		pthread_join(*t, NULL);
		return mvm_err(err, MVM_ERR_UNSUPPORTED, s.err,
			       "the %s thread could not load its seccomp filter (%s); "
			       "run without the filters (--no-seccomp) on this kernel",
			       sandbox_kind_name(kind), s.step);
	}
	return 0;
}
