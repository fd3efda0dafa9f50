/* SPDX-License-Identifier: Apache-2.0 */
/* LD_PRELOAD into the (unsanitized) CLI by tests/vm/test_seccomp.sh: makes
 * one of mvm's own threads, while the guest runs, try a system call its
 * seccomp list forbids, as code an attacker took over would.
 * MVM_SHIM=vcpu-shadow: KVM_RUN number MVM_SHIM_AFTER (default 1), well
 * into the guest's boot, opens /etc/shadow first (and says how it went,
 * as fs-shadow below, if its filter lets it live).
 * MVM_SHIM=loop-socket: the event loop's first wait opens a socket.
 * MVM_SHIM=fs-socket: a file-system worker's first READ opens a socket.
 * The shim makes the raw system call, so the filter alone decides.
 * For tests/vm/test_jail.sh, which report on stderr instead of breaking a
 * list: MVM_SHIM=fs-shadow: the first READ tries to open /etc/shadow (or
 * MVM_SHIM_PATH) and says "shim: PATH: opened" or "shim: PATH: errno N". MVM_SHIM=fs-caps and
 * vcpu-caps: the first READ or KVM_RUN says "shim: caps 0x..." (the
 * thread's effective capabilities). */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
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

static void say(const char *what, unsigned long long v, int hex)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), hex ? "shim: %s 0x%llx\n" : "shim: %s %llu\n", what, v);
	(void)!write(2, buf, (size_t)n);
}

static void report_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &hdr, d) == 0)
		say("caps", (unsigned long long)d[0].effective |
				((unsigned long long)d[1].effective << 32), 1);
}

/* MVM_SHIM_PATH, default /etc/shadow. */
static void try_shadow(void)
{
	const char *path = getenv("MVM_SHIM_PATH");
	if (path == NULL)
		path = "/etc/shadow";
	long r = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	char what[160];
	if (r >= 0) {
		snprintf(what, sizeof(what), "shim: %s: opened\n", path);
		close((int)r);
	} else {
		snprintf(what, sizeof(what), "shim: %s: errno %d\n", path, errno);
	}
	(void)!write(2, what, strlen(what));
}

static int want(const char *what)
{
	const char *m = getenv("MVM_SHIM");
	return m != NULL && strcmp(m, what) == 0 && atomic_exchange(&fired, 1) == 0;
}

static int mode_is(const char *what)
{
	const char *m = getenv("MVM_SHIM");
	return m != NULL && strcmp(m, what) == 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	static atomic_long runs;
	const char *after = getenv("MVM_SHIM_AFTER");
	if (req == KVM_RUN && atomic_fetch_add(&runs, 1) + 1 >= (after ? atol(after) : 1)) {
		if (mode_is("vcpu-shadow") && want("vcpu-shadow"))
			try_shadow();
		else if (mode_is("vcpu-caps") && want("vcpu-caps")) {
			report_caps();
		}
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
	if (mode_is("fs-shadow") && want("fs-shadow"))
		try_shadow();
	if (mode_is("fs-caps") && want("fs-caps"))
		report_caps();
	if (want("fs-socket")) {
		long r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		if (r >= 0)
			close((int)r);
	}
	return syscall(SYS_preadv, fd, iov, n, (unsigned long)off, 0UL);
}
