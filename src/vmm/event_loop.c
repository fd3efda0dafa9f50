/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epoll event loop (see event_loop.h).
 *
 * Each registration gets a unique 64-bit id that epoll hands back, so an
 * event that was already fetched for a deleted (and maybe re-added) fd is
 * recognised as stale and dropped instead of reaching a freed opaque.
 * Callbacks run without the lock held; `running` names the one in flight so
 * that event_loop_del() from another thread can wait for it.
 */
#include "vmm/event_loop.h"

#include "util/error.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define WAKE_ID 0 /* id of the stop/wake eventfd */
#define MAX_EVENTS 16

struct loop_entry {
	struct loop_entry *next;
	uint64_t id;
	int fd;
	event_cb cb;
	void *opaque;
};

struct event_loop {
	int epfd;
	int wake_fd;
	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled when a callback returns */
	struct loop_entry *entries;
	uint64_t next_id;
	uint64_t running_id; /* id of the callback in flight, 0 if none */
	bool loop_running;
	pthread_t loop_thread;
	bool stop;
};

struct event_loop *event_loop_new(mvm_error **err)
{
	struct event_loop *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "event loop");
		return NULL;
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epfd < 0 || l->wake_fd < 0) {
		mvm_err_sys(err, "event loop: epoll_create1/eventfd");
		goto fail;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_ID};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wake_fd, &ev) < 0) {
		mvm_err_sys(err, "event loop: epoll_ctl(ADD wake eventfd)");
		goto fail;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	l->next_id = WAKE_ID + 1;
	return l;
fail:
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	free(l);
	return NULL;
}

static struct loop_entry **find_fd(struct event_loop *l, int fd)
{
	for (struct loop_entry **p = &l->entries; *p; p = &(*p)->next)
		if ((*p)->fd == fd)
			return p;
	return NULL;
}

static struct loop_entry *find_id(struct event_loop *l, uint64_t id)
{
	for (struct loop_entry *e = l->entries; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

int event_loop_add(struct event_loop *l, int fd, uint32_t events, event_cb cb, void *opaque,
		   mvm_error **err)
{
	if (fd < 0 || cb == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "event loop: cannot watch fd %d", fd);
	struct loop_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "event loop entry");
	pthread_mutex_lock(&l->lock);
	if (find_fd(l, fd)) {
		pthread_mutex_unlock(&l->lock);
		free(e);
		return mvm_err(err, MVM_ERR_INVALID, 0, "event loop: fd %d is already watched", fd);
	}
	*e = (struct loop_entry){
	    .next = l->entries, .id = l->next_id++, .fd = fd, .cb = cb, .opaque = opaque};
	struct epoll_event ev = {.events = events, .data.u64 = e->id};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int saved = errno;
		pthread_mutex_unlock(&l->lock);
		free(e);
		return mvm_err(err, MVM_ERR_IO, saved, "event loop: epoll_ctl(ADD fd %d)", fd);
	}
	l->entries = e;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

int event_loop_mod(struct event_loop *l, int fd, uint32_t events, mvm_error **err)
{
	pthread_mutex_lock(&l->lock);
	struct loop_entry **p = find_fd(l, fd);
	int rc = 0;
	if (p == NULL) {
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "event loop: fd %d is not watched", fd);
	} else {
		struct epoll_event ev = {.events = events, .data.u64 = (*p)->id};
		if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
			rc = mvm_err_sys(err, "event loop: epoll_ctl(MOD fd %d)", fd);
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void event_loop_del(struct event_loop *l, int fd)
{
	pthread_mutex_lock(&l->lock);
	struct loop_entry **p = find_fd(l, fd);
	if (p == NULL) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	struct loop_entry *e = *p;
	*p = e->next;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* From the loop thread the callback in flight is our caller: waiting
	 * would deadlock, and it does not touch the entry after returning. */
	bool on_loop = l->loop_running && pthread_equal(pthread_self(), l->loop_thread);
	while (!on_loop && l->running_id == e->id)
		pthread_cond_wait(&l->idle, &l->lock);
	pthread_mutex_unlock(&l->lock);
	free(e);
}

static void dispatch(struct event_loop *l, uint64_t id, uint32_t events)
{
	pthread_mutex_lock(&l->lock);
	struct loop_entry *e = find_id(l, id);
	if (e == NULL) {
		pthread_mutex_unlock(&l->lock); /* deleted after epoll_wait returned */
		return;
	}
	event_cb cb = e->cb;
	void *opaque = e->opaque;
	l->running_id = id;
	pthread_mutex_unlock(&l->lock);

	cb(opaque, events);

	pthread_mutex_lock(&l->lock);
	l->running_id = 0;
	pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
}

static bool stop_requested(struct event_loop *l)
{
	return __atomic_load_n(&l->stop, __ATOMIC_ACQUIRE);
}

int event_loop_run(struct event_loop *l, mvm_error **err)
{
	pthread_mutex_lock(&l->lock);
	l->loop_thread = pthread_self();
	l->loop_running = true;
	pthread_mutex_unlock(&l->lock);

	int rc = 0;
	struct epoll_event evs[MAX_EVENTS];
	while (!stop_requested(l)) {
		int n = epoll_wait(l->epfd, evs, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = mvm_err_sys(err, "event loop: epoll_wait");
			break;
		}
		for (int i = 0; i < n && !stop_requested(l); i++) {
			if (evs[i].data.u64 == WAKE_ID) {
				uint64_t v;
				if (read(l->wake_fd, &v, sizeof(v)) < 0) {
					/* EAGAIN: another wake consumed it */
				}
				continue;
			}
			dispatch(l, evs[i].data.u64, evs[i].events);
		}
	}

	pthread_mutex_lock(&l->lock);
	l->loop_running = false;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void event_loop_stop(struct event_loop *l)
{
	/* Sticky: a stop that comes before run() still makes it return. */
	__atomic_store_n(&l->stop, true, __ATOMIC_RELEASE);
	uint64_t one = 1;
	if (write(l->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the loop wakes anyway */
	}
}

void event_loop_free(struct event_loop *l)
{
	if (l == NULL)
		return;
	while (l->entries) {
		struct loop_entry *e = l->entries;
		l->entries = e->next;
		free(e);
	}
	close(l->epfd);
	close(l->wake_fd);
	pthread_cond_destroy(&l->idle);
	pthread_mutex_destroy(&l->lock);
	free(l);
}
