/* SPDX-License-Identifier: Apache-2.0 */
/* An application that keeps SIGPIPE at its default runs a guest web server
 * behind a port map, and clients that give up half-way through a 50 MiB
 * download: busybox wget killed after half a second (the repro),
 * one of ours that closes, one that resets. On 7dfb5e5 the first wget
 * killed the whole process with SIGPIPE (status 141), raised by libslirp's
 * write to the closed socket on the network thread; our own clients alone
 * did not (a close with unread data sends a reset, and slirp then drops the
 * connection without writing again). The VM must keep serving, and the
 * application's signal state must be what it was.
 * Usage: sigpipe_app ROOTFS PORT  (prints ok/FAIL lines like lib.sh) */
#include "vm_app.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int connect_port(int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		return s;
	if (s >= 0)
		close(s);
	return -1;
}

/* GET path; reads at most `limit` bytes of the answer (0: all of it).
 * Returns the bytes read, -1 if the connection failed. */
static long get(int port, const char *path, long limit, bool reset, char *head, size_t head_len)
{
	int s = connect_port(port);
	if (s < 0)
		return -1;
	char req[128];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	if (send(s, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(s);
		return -1;
	}
	static char buf[65536];
	long total = 0;
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (poll(&p, 1, 30000) != 1)
			break;
		ssize_t r = recv(s, buf, sizeof(buf), 0);
		if (r <= 0)
			break;
		/* The status line and the body may come in separate reads. */
		if (head && (size_t)total < head_len - 1) {
			size_t room = head_len - 1 - (size_t)total;
			size_t c = (size_t)r < room ? (size_t)r : room;
			memcpy(head + total, buf, c);
			head[total + (long)c] = 0;
		}
		total += r;
		if (limit && total >= limit)
			break;
	}
	if (reset) {
		/* An abortive close: the peer sees a RST instead of a FIN. */
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(s);
	return total;
}

/* Starts busybox wget on the big file and kills it after half a second,
 * as a user would. Returns true if it was still downloading then. */
static bool abandoned_wget(int port)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", port);
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execlp("busybox", "busybox", "wget", "-qO", "/dev/null", url, (char *)NULL);
		_exit(127);
	}
	usleep(500 * 1000);
	bool running = waitpid(pid, NULL, WNOHANG) == 0;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return running;
}

/* `last` says what the final try got, for the failure message. */
static bool small_page_served(int port, int tries, char *last, size_t last_len)
{
	for (int i = 0; i < tries; i++) {
		char head[256] = "";
		long n = get(port, "/small", 0, false, head, sizeof(head));
		if (n > 0 && strstr(head, "200") && strstr(head, "small-page"))
			return true;
		for (char *c = head; *c; c++)
			if (*c == '\r' || *c == '\n')
				*c = '|';
		snprintf(last, last_len, "%d tries; the last got %ld bytes: \"%.80s\"", tries, n, head);
		usleep(500 * 1000);
	}
	return false;
}

static bool sigpipe_state(struct sigaction *sa, sigset_t *mask)
{
	return sigaction(SIGPIPE, NULL, sa) == 0 && pthread_sigmask(SIG_SETMASK, NULL, mask) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s ROOTFS PORT\n", argv[0]);
		return 2;
	}
	int port = atoi(argv[2]);
	/* The default: a write to a closed socket ends the process. */
	signal(SIGPIPE, SIG_DFL);
	sigset_t unblock;
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGPIPE);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
	struct sigaction before;
	sigset_t mask_before;
	sigpipe_state(&before, &mask_before);

	mvm_error *e = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, argv[1], &e);
	mvm_builder_ram_mib(b, 256, &e);
	char spec[32];
	snprintf(spec, sizeof(spec), "%d:80", port);
	mvm_builder_port_map(b, spec, &e);
	mvm_builder_exec_path(b, "/bin/sh", &e);
	const char *args[] = {"-c", "mkdir -p /tmp/www && echo small-page >/tmp/www/small && "
				    "dd if=/dev/zero of=/tmp/www/big bs=1M count=50 2>/dev/null && "
				    "exec httpd -f -p 80 -h /tmp/www"};
	mvm_builder_args(b, args, 2, &e);
	mvm_builder_stdio(b, -1, 1, 2, &e);
	mvm_vm *vm = e ? NULL : mvm_builder_build(b, &e);
	mvm_builder_free(b);
	if (vm == NULL || mvm_vm_spawn(vm, &e) < 0) {
		check("spawn the web server VM", 0, e ? mvm_error_get_message(e) : "build failed");
		mvm_error_free(e);
		mvm_vm_free(vm);
		return 1;
	}
	char last[160] = "";
	check("guest web server answers through the port map",
	      small_page_served(port, 240, last, sizeof(last)), last);

	int wgets = 0;
	for (int i = 0; i < 3; i++)
		wgets += abandoned_wget(port);
	check("wget was killed mid-download three times", wgets == 3,
	      "wget had already ended");
	/* Our own clients that give up: after 256 KiB, closing; after 1 MiB,
	 * resetting; right after the request, resetting. */
	long got1 = get(port, "/big", 256 * 1024, false, NULL, 0);
	long got2 = get(port, "/big", 1024 * 1024, true, NULL, 0);
	long got3 = get(port, "/big", 1, true, NULL, 0);
	char why[128];
	snprintf(why, sizeof(why), "read %ld, %ld, %ld bytes", got1, got2, got3);
	check("clients read part of the big file", got1 > 0 && got2 > 0 && got3 > 0, why);
	sleep(2); /* slirp writes into the dead sockets meanwhile */
	check("the VM serves again after abandoned downloads",
	      small_page_served(port, 20, last, sizeof(last)), last);
	check("a whole 50 MiB download still completes",
	      get(port, "/big", 0, false, NULL, 0) >= 50L * 1024 * 1024, "short download");

	int status = -1;
	if (mvm_vm_signal(vm, SIGTERM, &e) < 0 || mvm_vm_wait(vm, &status, &e) < 0)
		check("stop the VM", 0, mvm_error_get_message(e));
	else
		check("the guest server ends by SIGTERM (status 143)", status == 143,
		      "other status");
	mvm_error_free(e);
	mvm_vm_free(vm);

	struct sigaction after;
	sigset_t mask_after;
	sigpipe_state(&after, &mask_after);
	check("SIGPIPE's disposition is still the application's",
	      after.sa_handler == before.sa_handler && after.sa_handler == SIG_DFL,
	      "disposition changed");
	check("the application thread's signal mask is unchanged",
	      sigismember(&mask_after, SIGPIPE) == sigismember(&mask_before, SIGPIPE),
	      "mask changed");
	return failures ? 1 : 0;
}
