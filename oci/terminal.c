/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of a container's terminal (docs/oci.md, "Terminals"). */
#include "oci/oci.h"

#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

/* process.terminal: a host pty whose slave, raw (the guest's pty does the
 * line discipline), is the VM's stdio, and whose master goes to the
 * client over --console-socket, as runc sends it: one SCM_RIGHTS fd with
 * the pty's name. */
int oci_open_terminal(const char *socket_path, int *slave_out, mvm_error **err)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	const char *name =
	    master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : NULL;
	int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	struct termios t;
	if (slave < 0 || tcgetattr(slave, &t) < 0) {
		mvm_err_sys(err, "a terminal for the container");
		goto fail;
	}
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof(a.sun_path)) {
		mvm_err(err, MVM_ERR_INVALID, 0, "--console-socket `%s`: too long", socket_path);
		goto fail;
	}
	memcpy(a.sun_path, socket_path, strlen(socket_path));
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		mvm_err_sys(err, "--console-socket `%s`", socket_path);
		if (sock >= 0)
			close(sock);
		goto fail;
	}
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = {(void *)name, strlen(name) + 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	ssize_t sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
	int e = errno;
	close(sock);
	if (sent < 0) {
		mvm_err(err, MVM_ERR_IO, e, "--console-socket `%s`: send", socket_path);
		goto fail;
	}
	close(master);
	*slave_out = slave;
	return 0;
fail:
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	return -1;
}
