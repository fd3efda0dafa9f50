/* SPDX-License-Identifier: Apache-2.0 */
/* The VMM's device event loop: one epoll thread per VM that dispatches fd
 * readiness (ioeventfds, host stdin, timers, sockets) to callbacks. Devices
 * that need more parallelism (virtio-fs) run their own worker threads and
 * only use the loop to learn of guest notifications. */
#ifndef MVM_VMM_EVENT_LOOP_H
#define MVM_VMM_EVENT_LOOP_H

#include "mvm.h"

#include <stdint.h>

struct event_loop;

/* Called on the loop thread with the epoll events that fired. */
typedef void (*event_cb)(void *opaque, uint32_t events);

struct event_loop *event_loop_new(mvm_error **err);
/* Registers fd for EPOLLIN/EPOLLOUT/... `events`. The same fd can be
 * registered once. Safe to call from any thread. */
int event_loop_add(struct event_loop *l, int fd, uint32_t events, event_cb cb, void *opaque,
		   mvm_error **err);
int event_loop_mod(struct event_loop *l, int fd, uint32_t events, mvm_error **err);
/* After this returns, cb is no longer running and will not be called for
 * fd again (when called from another thread than the loop's). */
void event_loop_del(struct event_loop *l, int fd);
/* Runs until event_loop_stop(). Returns 0, or -1 with err on epoll failure. */
int event_loop_run(struct event_loop *l, mvm_error **err);
/* Thread-safe; wakes the loop and makes event_loop_run() return. */
void event_loop_stop(struct event_loop *l);
void event_loop_free(struct event_loop *l);

#endif
