/* SPDX-License-Identifier: Apache-2.0 */
/* The epoll event loop: dispatch, mod, del semantics across threads, stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/error.h"
#include "vmm/event_loop.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct runner {
	struct event_loop *l;
	pthread_t t;
	int rc;
};

static void *run_loop(void *arg)
{
	struct runner *r = arg;
	r->rc = event_loop_run(r->l, NULL);
	return NULL;
}

static void start(struct runner *r, struct event_loop *l)
{
	r->l = l;
	r->rc = -2;
	assert_int_equal(pthread_create(&r->t, NULL, run_loop, r), 0);
}

static void finish(struct runner *r)
{
	event_loop_stop(r->l);
	pthread_join(r->t, NULL);
	assert_int_equal(r->rc, 0);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

struct counter {
	int fd;
	int calls;
	char last;
	uint32_t events;
};

static void count_cb(void *opaque, uint32_t events)
{
	struct counter *c = opaque;
	char ch;
	if (read(c->fd, &ch, 1) == 1)
		__atomic_store_n(&c->last, ch, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->events, events, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c->calls, 1, __ATOMIC_SEQ_CST);
}

static bool wait_calls(struct counter *c, int n)
{
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(&c->calls, __ATOMIC_SEQ_CST) >= n)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void dispatches_readable_fd(void **state)
{
	(void)state;
	struct event_loop *l = event_loop_new(NULL);
	assert_non_null(l);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct counter c = {.fd = p[0]};
	assert_int_equal(event_loop_add(l, p[0], EPOLLIN, count_cb, &c, NULL), 0);
	struct runner r;
	start(&r, l);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_true(wait_calls(&c, 1));
	assert_int_equal(c.last, 'x');
	assert_true(c.events & EPOLLIN);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_true(wait_calls(&c, 2));
	assert_int_equal(c.last, 'y');
	finish(&r);
	event_loop_free(l);
	close(p[0]);
	close(p[1]);
}

static void duplicate_add_and_bad_fd_fail(void **state)
{
	(void)state;
	struct event_loop *l = event_loop_new(NULL);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct counter c = {.fd = p[0]};
	assert_int_equal(event_loop_add(l, p[0], EPOLLIN, count_cb, &c, NULL), 0);
	mvm_error *err = NULL;
	assert_int_equal(event_loop_add(l, p[0], EPOLLIN, count_cb, &c, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(mvm_error_get_message(err), "already watched"));
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(event_loop_add(l, -1, EPOLLIN, count_cb, &c, &err), -1);
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(event_loop_mod(l, p[1], EPOLLIN, &err), -1); /* never added */
	mvm_error_free(err);
	event_loop_free(l);
	close(p[0]);
	close(p[1]);
}

static void mod_disables_and_enables(void **state)
{
	(void)state;
	struct event_loop *l = event_loop_new(NULL);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct counter c = {.fd = -1}; /* do not read: level-triggered */
	assert_int_equal(event_loop_add(l, p[0], 0, count_cb, &c, NULL), 0);
	struct runner r;
	start(&r, l);
	assert_int_equal(write(p[1], "x", 1), 1);
	sleep_ms(50);
	assert_int_equal(__atomic_load_n(&c.calls, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(event_loop_mod(l, p[0], EPOLLIN | EPOLLONESHOT, NULL), 0);
	assert_true(wait_calls(&c, 1));
	finish(&r);
	event_loop_free(l);
	close(p[0]);
	close(p[1]);
}

struct slow {
	int fd;
	int entered;
	int finished;
};

static void slow_cb(void *opaque, uint32_t events)
{
	struct slow *s = opaque;
	char ch;
	if (read(s->fd, &ch, 1) != 1)
		return;
	__atomic_store_n(&s->entered, 1, __ATOMIC_SEQ_CST);
	sleep_ms(200);
	__atomic_store_n(&s->finished, 1, __ATOMIC_SEQ_CST);
}

static void del_waits_for_running_callback(void **state)
{
	(void)state;
	struct event_loop *l = event_loop_new(NULL);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct slow s = {.fd = p[0]};
	assert_int_equal(event_loop_add(l, p[0], EPOLLIN, slow_cb, &s, NULL), 0);
	struct runner r;
	start(&r, l);
	assert_int_equal(write(p[1], "x", 1), 1);
	while (!__atomic_load_n(&s.entered, __ATOMIC_SEQ_CST))
		sleep_ms(1);
	event_loop_del(l, p[0]);
	/* The promise of event_loop_del(): the callback has returned. */
	assert_int_equal(__atomic_load_n(&s.finished, __ATOMIC_SEQ_CST), 1);
	/* And is not called again. */
	s.entered = s.finished = 0;
	assert_int_equal(write(p[1], "y", 1), 1);
	sleep_ms(50);
	assert_int_equal(__atomic_load_n(&s.entered, __ATOMIC_SEQ_CST), 0);
	finish(&r);
	event_loop_free(l);
	close(p[0]);
	close(p[1]);
}

struct self_del {
	struct event_loop *l;
	int fd;
	int calls;
};

static void self_del_cb(void *opaque, uint32_t events)
{
	struct self_del *s = opaque;
	__atomic_fetch_add(&s->calls, 1, __ATOMIC_SEQ_CST);
	event_loop_del(s->l, s->fd); /* must not deadlock on the loop thread */
}

static void del_from_own_callback(void **state)
{
	(void)state;
	struct event_loop *l = event_loop_new(NULL);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct self_del s = {.l = l, .fd = p[0]};
	assert_int_equal(event_loop_add(l, p[0], EPOLLIN, self_del_cb, &s, NULL), 0);
	struct runner r;
	start(&r, l);
	assert_int_equal(write(p[1], "xx", 2), 2); /* stays readable */
	sleep_ms(100);
	assert_int_equal(__atomic_load_n(&s.calls, __ATOMIC_SEQ_CST), 1);
	/* The fd can be added again afterwards. */
	struct counter c = {.fd = p[0]};
	assert_int_equal(event_loop_add(l, p[0], EPOLLIN, count_cb, &c, NULL), 0);
	assert_true(wait_calls(&c, 1));
	finish(&r);
	event_loop_free(l);
	close(p[0]);
	close(p[1]);
}

static void stop_before_run_returns_at_once(void **state)
{
	(void)state;
	struct event_loop *l = event_loop_new(NULL);
	event_loop_stop(l);
	assert_int_equal(event_loop_run(l, NULL), 0);
	event_loop_free(l);
}

static void free_with_entries_left(void **state)
{
	(void)state;
	struct event_loop *l = event_loop_new(NULL);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct counter c = {.fd = p[0]};
	assert_int_equal(event_loop_add(l, p[0], EPOLLIN, count_cb, &c, NULL), 0);
	event_loop_free(l); /* ASan checks nothing leaks */
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dispatches_readable_fd),
	    cmocka_unit_test(duplicate_add_and_bad_fd_fail),
	    cmocka_unit_test(mod_disables_and_enables),
	    cmocka_unit_test(del_waits_for_running_callback),
	    cmocka_unit_test(del_from_own_callback),
	    cmocka_unit_test(stop_before_run_returns_at_once),
	    cmocka_unit_test(free_with_entries_left),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
