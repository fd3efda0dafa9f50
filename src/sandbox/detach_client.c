/* SPDX-License-Identifier: Apache-2.0 */
/* The client side of a detached VM's control socket (detach.c has the
 * protocol): mvm_detached_stats() and mvm_detached_stop(). Apart from
 * detach.c so that a program that only asks links none of the VMM. */
#include "sandbox/detach.h"

#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_MAX 2048

int detach_unix_address(const char *path, struct sockaddr_un *a, mvm_error **err)
{
	*a = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (path == NULL || path[0] == '\0')
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "a detached VM needs a control socket path");
	if (strlen(path) >= sizeof(a->sun_path))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "control socket '%s': longer than %zu bytes (a Unix socket's limit)",
			       path, sizeof(a->sun_path) - 1);
	memcpy(a->sun_path, path, strlen(path));
	return 0;
}

/* One request, one reply line. */
static int ask(const char *control_path, const char *req, char *reply, size_t len, mvm_error **err)
{
	struct sockaddr_un a;
	if (detach_unix_address(control_path, &a, err) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return mvm_err_sys(err, "socket");
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return mvm_err(
			    err, MVM_ERR_STATE, 0,
			    "control socket '%s': nobody listens (the VM is not running)",
			    control_path);
		return mvm_err(err, MVM_ERR_IO, e, "control socket '%s'", control_path);
	}
	size_t got = 0;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		int e = errno;
		close(fd);
		return mvm_err(err, MVM_ERR_IO, e, "control socket '%s': send", control_path);
	}
	while (got < len - 1 && memchr(reply, '\n', got) == NULL) {
		ssize_t n = recv(fd, reply + got, len - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	reply[got] = '\0';
	char *nl = memchr(reply, '\n', got);
	if (nl == NULL || (size_t)(nl - reply) != got - 1)
		return mvm_err(err, MVM_ERR_IO, 0,
			       "control socket '%s': no reply line (the VM ended?)", control_path);
	if (strncmp(reply, "error ", 6) == 0) {
		*nl = '\0';
		return mvm_err(err, MVM_ERR_STATE, 0, "the VM's process: %s", reply + 6);
	}
	return 0;
}

int mvm_detached_stats(const char *control_path, mvm_vm_stats *out, mvm_error **err)
{
	if (out == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_detached_stats: out is NULL");
	char reply[REPLY_MAX];
	if (ask(control_path, "stats\n", reply, sizeof(reply), err) < 0)
		return -1;
	return detach_parse_stats(reply, out, err);
}

int mvm_detached_stop(const char *control_path, mvm_error **err)
{
	char reply[64];
	if (ask(control_path, "stop\n", reply, sizeof(reply), err) < 0)
		return -1;
	if (strcmp(reply, "ok\n") != 0)
		return mvm_err(err, MVM_ERR_IO, 0, "the VM's process answered `%.40s`", reply);
	return 0;
}
