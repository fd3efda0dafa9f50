/* SPDX-License-Identifier: Apache-2.0 */
/* LD_PRELOAD into the (unsanitized) CLI by tests/vm/test_seccomp.sh: makes
 * one of mvm's own threads, while the guest runs, try a system call its
 * seccomp list forbids, as code an attacker took over would.
 * MVM_SHIM=vcpu-shadow: KVM_RUN number MVM_SHIM_AFTER (default 1), well
 * into the guest's boot, opens /etc/shadow first.
 * MVM_SHIM=loop-socket: the event loop's first wait opens a socket.
 * MVM_SHIM=fs-socket: a file-system worker's first READ opens a socket.
 * The shim makes the raw system call, so the filter alone decides. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_int fired;

static int want(const char *what)
{
	const char *m = getenv("MVM_SHIM");
	return m != NULL && strcmp(m, what) == 0 && atomic_exchange(&fired, 1) == 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	static atomic_long runs;
	const char *after = getenv("MVM_SHIM_AFTER");
	if (req == KVM_RUN && atomic_fetch_add(&runs, 1) + 1 >= (after ? atol(after) : 1) &&
	    want("vcpu-shadow")) {
		long r = syscall(SYS_openat, AT_FDCWD, "/etc/shadow", O_RDONLY | O_CLOEXEC);
		if (r >= 0)
			close((int)r);
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

int epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout)
{
	if (want("loop-socket")) {
		long r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		if (r >= 0)
			close((int)r);
	}
	return (int)syscall(SYS_epoll_wait, epfd, ev, n, timeout);
}

ssize_t preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	if (want("fs-socket")) {
		long r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		if (r >= 0)
			close((int)r);
	}
	return syscall(SYS_preadv, fd, iov, n, (unsigned long)off, 0UL);
}
