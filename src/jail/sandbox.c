/* SPDX-License-Identifier: Apache-2.0 */
#include "jail/sandbox.h"
#include "util/error.h"
#include "util/thread.h"

#include <errno.h>
#include <semaphore.h>

/* Lives on the creator's stack until the new thread posts `ready`. */
struct start {
	const struct sandbox *sb;
	enum sandbox_kind kind;
	void *(*fn)(void *);
	void *arg;
	sem_t ready;
	int err; /* errno of the failed step, or 0 */
	const char *step;
};

static int enter(const struct sandbox *sb, enum sandbox_kind kind, const char **step)
{
	if (sb == NULL)
		return 0;
	/* The jail first: setns and capset need the privileges the seccomp
	 * list then forbids, and capabilities go before the filter can make
	 * capset itself fail. */
	if (sb->drop_caps || sb->jail != NULL || sb->ids.set) {
		int e = jail_enter(sb->jail, &sb->ids, sb->drop_caps ? sb->keep[kind] : ~(jail_caps)0,
				   step);
		if (e != 0)
			return e;
	}
	return sb->seccomp ? sandbox_policy_load(sb->seccomp, kind, step) : 0;
}

static void *trampoline(void *p)
{
	struct start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;
	int err = enter(s->sb, s->kind, &s->step);
	s->err = err;
	/* s may be gone once posted: nothing of it is touched after this. */
	sem_post(&s->ready);
	if (err != 0)
		return NULL;
	return fn(arg);
}

int sandbox_thread_create(const struct sandbox *sb, enum sandbox_kind kind, const char *name,
			  pthread_t *t, void *(*fn)(void *), void *arg, mvm_error **err)
{
	struct start s = {.sb = sb, .kind = kind, .fn = fn, .arg = arg};
	if (sem_init(&s.ready, 0, 0) < 0)
		return mvm_err_sys(err, "%s thread: sem_init", sandbox_kind_name(kind));
	int rc = mvm_thread_create(t, trampoline, &s);
	if (rc != 0) {
		sem_destroy(&s.ready);
		return mvm_err(err, MVM_ERR_IO, rc, "starting the %s thread",
			       sandbox_kind_name(kind));
	}
	/* Names show in top -H, perf and /proc/PID/task/N/comm; set from
	 * here, because the sandboxed thread may not open /proc. */
	if (name != NULL)
		pthread_setname_np(*t, name);
	while (sem_wait(&s.ready) < 0 && errno == EINTR)
		;
	sem_destroy(&s.ready);
	if (s.err != 0) {
		pthread_join(*t, NULL);
		return mvm_err(err, MVM_ERR_UNSUPPORTED, s.err,
			       "the %s thread could not enter its sandbox (%s); run without the "
			       "jail (--no-jail) or the filters (--no-seccomp) on this host",
			       sandbox_kind_name(kind), s.step);
	}
	return 0;
}
