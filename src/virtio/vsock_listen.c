/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio/vsock_listen.h"

#include "util/error.h"
#include "virtio/vsock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct pending {
	struct vsock_listener *l;
	int fd;
	uint64_t seq; /* age: the smallest is the oldest */
};

struct vsock_listener {
	struct virtio_dev *dev;
	struct event_loop *loop;
	char *path;
	int fd;
	pthread_mutex_t lock; /* the pending table: callbacks and free */
	struct pending *pending[VSOCK_PENDING_MAX];
	uint64_t seq;
};

int vsock_parse_connect(const char *buf, size_t len, uint32_t *port)
{
	static const char word[] = "CONNECT ";
	size_t wl = sizeof(word) - 1;
	size_t cmp = len < wl ? len : wl;
	if (memcmp(buf, word, cmp) != 0)
		return -1;
	uint64_t value = 0;
	size_t digits = 0;
	for (size_t i = wl; i < len; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			if (digits == 0)
				return -1;
			*port = (uint32_t)value;
			return (int)(i + 1);
		}
		if (ch < '0' || ch > '9' || ++digits > 10)
			return -1;
		value = value * 10 + (uint64_t)(ch - '0');
		if (value > UINT32_MAX)
			return -1;
	}
	return len >= VSOCK_CONNECT_LINE_MAX ? -1 : 0;
}

/* Takes p off the table; true: the caller owns it now (false: another
 * thread took it first and frees it). */
static bool unlist(struct vsock_listener *l, struct pending *p)
{
	bool found = false;
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < VSOCK_PENDING_MAX; i++) {
		if (l->pending[i] == p) {
			l->pending[i] = NULL;
			found = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return found;
}

static void drop_pending(struct vsock_listener *l, struct pending *p, bool close_fd)
{
	event_loop_del(l->loop, p->fd);
	if (close_fd)
		close(p->fd);
	free(p);
}

/* The client's first bytes. Peeked, so that only the line is consumed and
 * anything behind it stays in the socket for the guest. */
static void client_readable(void *opaque, uint32_t events)
{
	struct pending *p = opaque;
	struct vsock_listener *l = p->l;
	char buf[VSOCK_CONNECT_LINE_MAX];
	ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	uint32_t port = 0;
	int line = n > 0 ? vsock_parse_connect(buf, (size_t)n, &port) : -1;
	/* Half a line: wait for the next edge, unless the client hung up. */
	if (line == 0 && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	if (!unlist(l, p))
		return;
	int fd = p->fd;
	/* Off the loop before the device registers the same fd. */
	drop_pending(l, p, false);
	if (line <= 0 || recv(fd, buf, (size_t)line, MSG_DONTWAIT) != line) {
		close(fd); /* not a CONNECT line, or the client left */
		return;
	}
	mvm_error *e = NULL;
	if (virtio_vsock_connect(l->dev, fd, port, &e) < 0) {
		log_debug(virtio_dev_host(l->dev)->log, "vsock: %s", mvm_error_get_message(e));
		mvm_error_free(e);
	}
}

static void accept_ready(void *opaque, uint32_t events)
{
	(void)events;
	struct vsock_listener *l = opaque;
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or out of fds: the client waits in the backlog */
		struct pending *p = calloc(1, sizeof(*p));
		if (p == NULL) {
			close(fd);
			continue;
		}
		*p = (struct pending){.l = l, .fd = fd};
		pthread_mutex_lock(&l->lock);
		p->seq = l->seq++;
		size_t slot = 0, oldest = 0;
		bool free_slot = false;
		for (size_t i = 0; i < VSOCK_PENDING_MAX; i++) {
			if (l->pending[i] == NULL) {
				slot = i;
				free_slot = true;
				break;
			}
			if (l->pending[i]->seq < l->pending[oldest]->seq)
				oldest = i;
		}
		struct pending *evicted = NULL;
		if (!free_slot) {
			slot = oldest;
			evicted = l->pending[oldest];
		}
		l->pending[slot] = p;
		pthread_mutex_unlock(&l->lock);
		if (evicted)
			drop_pending(l, evicted, true);
		mvm_error *e = NULL;
		/* Edge-triggered: the line is only peeked, so a level-triggered
		 * client with half a line would wake the loop without end. */
		if (event_loop_add(l->loop, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, client_readable, p,
				   &e) < 0) {
			mvm_error_free(e);
			if (unlist(l, p)) {
				close(fd);
				free(p);
			}
		}
	}
}

struct vsock_listener *vsock_listener_new(struct virtio_dev *dev, struct event_loop *loop,
					  const char *path, mvm_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		mvm_err(err, MVM_ERR_INVALID, 0, "vsock socket `%s`: longer than %zu bytes", path,
			sizeof(sa.sun_path) - 1);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	struct vsock_listener *l = calloc(1, sizeof(*l));
	if (l == NULL || (l->path = strdup(path)) == NULL) {
		free(l);
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "vsock listener");
		return NULL;
	}
	l->dev = dev;
	l->loop = loop;
	pthread_mutex_init(&l->lock, NULL);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		mvm_err_sys(err, "vsock socket `%s`: socket", path);
		goto fail;
	}
	/* Owner only: whoever can connect can talk to the guest's services. */
	mode_t old = umask(0077);
	int rc = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		int e = errno;
		mvm_err(err, MVM_ERR_IO, e,
			e == EADDRINUSE ? "vsock socket `%s`: the file exists (remove it, or pick "
					  "another path)"
					: "vsock socket `%s`: bind",
			path);
		close(l->fd);
		l->fd = -1;
		goto fail;
	}
	if (listen(l->fd, 64) < 0) {
		mvm_err_sys(err, "vsock socket `%s`: listen", path);
		goto fail_unlink;
	}
	if (event_loop_add(loop, l->fd, EPOLLIN, accept_ready, l, err) < 0)
		goto fail_unlink;
	return l;
fail_unlink:
	unlink(path);
fail:
	if (l->fd >= 0)
		close(l->fd);
	pthread_mutex_destroy(&l->lock);
	free(l->path);
	free(l);
	return NULL;
}

void vsock_listener_free(struct vsock_listener *l)
{
	if (l == NULL)
		return;
	event_loop_del(l->loop, l->fd);
	close(l->fd);
	unlink(l->path);
	for (size_t i = 0; i < VSOCK_PENDING_MAX; i++) {
		pthread_mutex_lock(&l->lock);
		struct pending *p = l->pending[i];
		l->pending[i] = NULL;
		pthread_mutex_unlock(&l->lock);
		if (p)
			drop_pending(l, p, true);
	}
	pthread_mutex_destroy(&l->lock);
	free(l->path);
	free(l);
}
