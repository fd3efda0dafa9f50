/* SPDX-License-Identifier: Apache-2.0 */
/* The host's exec client (src/sandbox/exec.c) against a hostile agent: a
 * guest can send any bytes on an exec's connection. The input is what the
 * agent sends, then the connection ends; mvm_exec_wait() must return
 * (never hang, never crash), with a status in 0..255 when it succeeds and
 * 125..127 or an error when it fails. */
#include "fuzz_common.h"
#include "sandbox/exec.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -1;
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	/* More than a socket buffer would block the write below. */
	if (size > 100000)
		return 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	int bufsize = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	size_t off = 0;
	while (off < size) {
		ssize_t n = send(sv[0], data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(sv[0]); /* the agent is done: the client must finish */
	mvm_error *err = NULL;
	mvm_exec *x = exec_client_adopt(sv[1], &err);
	FZ_CHECK(x != NULL);
	int status = -1;
	int rc = mvm_exec_wait(x, -1, devnull, devnull, &status, &err);
	if (rc == 0)
		FZ_CHECK(status >= 0 && status <= 255 && err == NULL);
	else
		FZ_CHECK(status >= 125 && status <= 255 && err != NULL);
	mvm_error_free(err);
	mvm_exec_free(x);
	return 0;
}
