/* SPDX-License-Identifier: Apache-2.0 */
/* Detached VMs (docs/sandbox.md, "The library"): a VM in a process of its
 * own that outlives its caller, reached through a control socket for its
 * counters and for a clean stop, and through its vsock socket for exec.
 *
 * The control protocol is one request line and one reply line per
 * connection: "stats\n" -> "ok key=value ...\n", "stop\n" -> "ok\n", and
 * "error <text>\n" for anything else. Only the socket's owner can
 * connect (the caller picks a private directory); a client that sends
 * nothing is dropped after a second, so it delays the loop at most that. */
#include "sandbox/detach.h"

#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPLY_MAX 2048
#define REQUEST_MAX 64

/* ---- the VM's process --------------------------------------------------- */

static void serve_one(mvm_vm *vm, int listen_fd)
{
	int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct timeval tv = {1, 0};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char req[REQUEST_MAX + 1];
	size_t got = 0;
	while (got < REQUEST_MAX && memchr(req, '\n', got) == NULL) {
		ssize_t n = recv(c, req + got, REQUEST_MAX - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req[got] = '\0';
	char reply[REPLY_MAX];
	size_t len;
	mvm_error *e = NULL;
	if (strcmp(req, "stats\n") == 0) {
		mvm_vm_stats s;
		len = mvm_vm_get_stats(vm, &s, &e) == 0
			  ? detach_format_stats(&s, reply, sizeof(reply))
			  : 0;
	} else if (strcmp(req, "stop\n") == 0) {
		len = mvm_vm_stop(vm, &e) == 0 ? (size_t)snprintf(reply, sizeof(reply), "ok\n") : 0;
	} else {
		len = (size_t)snprintf(reply, sizeof(reply), "error unknown request\n");
	}
	if (len == 0)
		len = (size_t)snprintf(reply, sizeof(reply), "error %s\n",
				       e ? mvm_error_get_message(e) : "reply too long");
	mvm_error_free(e);
	(void)!send(c, reply, len < sizeof(reply) ? len : sizeof(reply) - 1, MSG_NOSIGNAL);
	close(c);
}

static void write_status(const char *path, int status, const mvm_error *e)
{
	if (path == NULL)
		return;
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return;
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return;
	fprintf(f, "%d\n", status);
	for (size_t i = 0; e && mvm_error_message_at(e, i); i++)
		fprintf(f, "%s\n", mvm_error_message_at(e, i));
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

/* The problems go to the caller as a code byte and a NUL-terminated
 * message each; the caller rebuilds the error. */
static void report_failure(int fd, const mvm_error *e)
{
	for (size_t i = 0; e && mvm_error_message_at(e, i); i++) {
		const char *m = mvm_error_message_at(e, i);
		char code = (char)mvm_error_code_at(e, i);
		(void)!write(fd, &code, 1);
		(void)!write(fd, m, strlen(m) + 1);
	}
}

static __attribute__((noreturn)) void detached_main(mvm_vm *vm, const mvm_detach_options *o,
						    int listen_fd, int report_fd)
{
	setsid();
	if (o->log_fd >= 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(o->log_fd, 1) < 0 ||
		    dup2(o->log_fd, 2) < 0)
			_exit(MVM_DETACH_FAILED);
		close(null);
	}
	if (o->wait_for_start && !o->boot_before_start) {
		/* The caller returned at once: nobody reads reports. Signals
		 * still have their default actions here, so a kill before
		 * the start ends this process. */
		close(report_fd);
		report_fd = -1;
		char c;
		ssize_t r;
		do
			r = read(o->start_fd, &c, 1);
		while (r < 0 && errno == EINTR);
		close(o->start_fd);
		if (r != 1) {
			unlink(o->control_path);
			mvm_vm_free(vm);
			_exit(0);
		}
	}
	/* After setsid(): a session leader takes the terminal, and SIGWINCH
	 * comes to it when the other side resizes. A size set before now
	 * (conmon sizes the terminal between create and start, when nobody
	 * took SIGWINCH) is the one the program starts with. */
	if (o->has_terminal) {
		(void)!ioctl(o->terminal_fd, TIOCSCTTY, 0);
		struct winsize ws;
		if (ioctl(o->terminal_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
			(void)mvm_vm_resize(vm, ws.ws_row, ws.ws_col, NULL);
	}
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	if (o->has_terminal)
		sigaddset(&sigs, SIGWINCH);
	/* Blocked before the VM's threads exist: they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	mvm_error *e = NULL;
	if (sfd < 0) {
		mvm_err_sys(&e, "signalfd");
	} else if (mvm_vm_spawn(vm, &e) == 0) {
		if (report_fd >= 0) {
			(void)!write(report_fd, "", 1); /* one NUL alone: it runs */
			close(report_fd);
		}
		unsigned signals = 0;
		/* Boot at create: start's byte releases the held program. */
		int gate = o->wait_for_start && o->boot_before_start ? o->start_fd : -1;
		for (;;) {
			struct pollfd pf[4] = {{mvm_vm_wait_fd(vm), POLLIN, 0},
					       {sfd, POLLIN, 0},
					       {listen_fd, POLLIN, 0},
					       {gate, POLLIN, 0}};
			if (poll(pf, 4, -1) < 0 && errno != EINTR)
				break;
			if (pf[0].revents)
				break;
			if (pf[3].revents) {
				char c;
				ssize_t r = read(gate, &c, 1);
				if (r < 0 && errno == EINTR)
					continue;
				if (r != 1 || mvm_vm_release(vm, NULL) < 0)
					mvm_vm_kill(vm, NULL);
				close(gate);
				gate = -1;
			}
			struct signalfd_siginfo si;
			if (pf[1].revents && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				struct winsize ws;
				int rc = 0;
				if (si.ssi_signo == SIGWINCH)
					rc = ioctl(o->terminal_fd, TIOCGWINSZ, &ws) == 0 &&
						     ws.ws_row && ws.ws_col
						 ? mvm_vm_resize(vm, ws.ws_row, ws.ws_col, NULL)
						 : 0;
				else
					rc = signals++ > 0 ? mvm_vm_kill(vm, NULL)
					     : si.ssi_signo == SIGINT
						 ? mvm_vm_signal(vm, SIGINT, NULL)
						 : mvm_vm_stop(vm, NULL);
				if (rc < 0 && si.ssi_signo != SIGWINCH)
					mvm_vm_kill(vm, NULL);
			}
			if (pf[2].revents)
				serve_one(vm, listen_fd);
		}
		close(listen_fd);
		unlink(o->control_path);
		int status = MVM_DETACH_FAILED;
		if (mvm_vm_wait(vm, &status, &e) < 0)
			status = MVM_DETACH_FAILED;
		/* Frees what the run made (an image run's directories). */
		mvm_vm_free(vm);
		write_status(o->status_path, status, e);
		_exit(status);
	}
	if (report_fd >= 0)
		report_failure(report_fd, e);
	else
		write_status(o->status_path, MVM_DETACH_FAILED, e);
	unlink(o->control_path);
	mvm_vm_free(vm);
	_exit(MVM_DETACH_FAILED);
}

/* ---- the caller --------------------------------------------------------- */

/* Rebuilds the child's error from its problems (buf is NUL-terminated). */
static int child_failure(const char *buf, size_t len, mvm_error **err)
{
	size_t off = 0;
	bool any = false;
	while (off + 1 < len) {
		mvm_error_code code = (mvm_error_code)(unsigned char)buf[off];
		const char *m = buf + off + 1;
		mvm_err(err,
			code >= MVM_ERR_INVALID && code <= MVM_ERR_UNSUPPORTED ? code : MVM_ERR_IO,
			0, "%s", m);
		any = true;
		off += 1 + strlen(m) + 1;
	}
	if (!any)
		mvm_err(err, MVM_ERR_IO, 0,
			"the detached VM's process ended before it started the VM");
	return -1;
}

int mvm_vm_spawn_detached(mvm_vm *vm, const mvm_detach_options *o, pid_t *pid, mvm_error **err)
{
	if (vm == NULL || o == NULL || pid == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "mvm_vm_spawn_detached: vm, options and pid must not be NULL");
	struct sockaddr_un a;
	if (detach_unix_address(o->control_path, &a, err) < 0)
		return -1;
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return mvm_err_sys(err, "control socket");
	/* 0600: only the owner talks to the VM's process. */
	mode_t old = umask(0177);
	int rc = bind(ls, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc < 0 || listen(ls, 8) < 0) {
		int e = errno;
		close(ls);
		if (e == EADDRINUSE)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "control socket '%s': the path exists", o->control_path);
		return mvm_err(err, MVM_ERR_IO, e, "control socket '%s'", o->control_path);
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(ls);
		unlink(o->control_path);
		return mvm_err_sys(err, "pipe");
	}
	pid_t child = fork();
	if (child < 0) {
		int e = errno;
		close(ls);
		close(pipefd[0]);
		close(pipefd[1]);
		unlink(o->control_path);
		return mvm_err(err, MVM_ERR_IO, e, "fork");
	}
	if (child == 0) {
		close(pipefd[0]);
		detached_main(vm, o, ls, pipefd[1]);
	}
	close(ls);
	close(pipefd[1]);
	/* The VM in this process never runs: the child's does. */
	vm->state = VM_STATE_ENDED;
	if (o->wait_for_start && !o->boot_before_start) {
		close(pipefd[0]);
		*pid = child;
		return 0;
	}
	char buf[4096];
	size_t got = 0;
	buf[0] = 'x';
	for (;;) {
		ssize_t n = read(pipefd[0], buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == 1 && buf[0] == '\0')
			break; /* it runs */
		if (got == sizeof(buf) - 1)
			break;
	}
	close(pipefd[0]);
	buf[got] = '\0';
	if (got == 1 && buf[0] == '\0') {
		*pid = child;
		return 0;
	}
	waitpid(child, NULL, 0);
	return child_failure(buf, got, err);
}
