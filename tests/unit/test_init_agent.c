/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init's agent (guest/init/agent.c) on a Unix socket in place of
 * vsock: real programs (/bin/sh) started for a client, their output and
 * status as frames, stdin, a signal, and clients that break the protocol.
 * The test plays init's loop: poll, serve, reap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "guest/init/agent.h"
#include "guest/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	char dir[64], path[128];
	struct agent *a;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mvm-agent.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/a.sock", f->dir);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, f->path);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 64), 0);
	sigset_t mask;
	sigemptyset(&mask);
	f->a = agent_new_on(l, &mask);
	assert_non_null(f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	agent_free(f->a); /* kills the programs still running */
	while (wait(NULL) > 0)
		;
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int client(struct fixture *f)
{
	/* CLOEXEC: the agent's programs are this process's children here, and
	 * must not hold the client's end open. */
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return c;
}

/* One round of init's loop, waiting at most ms. */
static void spin(struct fixture *f, int ms)
{
	struct pollfd p[AGENT_MAX_POLLFDS];
	size_t n = agent_pollfds(f->a, p, AGENT_MAX_POLLFDS);
	poll(p, n, ms);
	agent_serve(f->a, p, n);
	int ws;
	pid_t pid;
	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		agent_child_exited(f->a, pid, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void send_frame(int c, uint16_t type, const void *p, uint32_t len)
{
	uint8_t h[8];
	put_le32(h, len);
	h[4] = (uint8_t)type;
	h[5] = (uint8_t)(type >> 8);
	h[6] = h[7] = 0;
	assert_int_equal(write(c, h, 8), 8);
	if (len)
		assert_int_equal(write(c, p, len), (ssize_t)len);
}

/* An EXEC payload: version, then a config blob of records given as
 * (type, string) pairs; type 0 ends the list. */
static size_t exec_payload_n(uint8_t *out, uint32_t version, const uint16_t *types,
			     const char *const *values, const size_t *lens)
{
	put_le32(out, version);
	uint8_t *b = out + 4;
	memcpy(b, MVM_CFG_MAGIC, 8);
	put_le32(b + 8, MVM_CFG_VERSION);
	size_t len = 16;
	for (size_t i = 0; types[i]; i++) {
		size_t l = lens ? lens[i] : strlen(values[i]);
		b[len] = (uint8_t)types[i];
		b[len + 1] = (uint8_t)(types[i] >> 8);
		b[len + 2] = b[len + 3] = 0;
		put_le32(b + len + 4, (uint32_t)l);
		memset(b + len + 8, 0, (l + 3) & ~(size_t)3); /* the padding */
		memcpy(b + len + 8, values[i], l);
		len += 8 + ((l + 3) & ~(size_t)3);
	}
	put_le32(b + 12, (uint32_t)len);
	return 4 + len;
}

static size_t exec_payload(uint8_t *out, uint32_t version, const uint16_t *types,
			   const char *const *values)
{
	return exec_payload_n(out, version, types, values, NULL);
}

static void send_exec_sh(int c, const char *script)
{
	static uint8_t buf[4096];
	memset(buf, 0, sizeof(buf));
	const uint16_t types[] = {MVM_CFG_EXEC, MVM_CFG_ARG, MVM_CFG_ARG, 0};
	const char *values[] = {"/bin/sh", "-c", script};
	size_t n = exec_payload(buf, MVM_AGENT_VERSION, types, values);
	send_frame(c, MVM_AGENT_EXEC, buf, (uint32_t)n);
}

struct result {
	bool started, ended, closed;
	int status; /* EXIT's or ERROR's */
	bool error;
	char out[65536], err[4096], msg[300];
	size_t out_len, err_len;
};

/* Reads frames until EXIT or ERROR (and the close after), within 10 s. */
static void collect(struct fixture *f, int c, struct result *r)
{
	memset(r, 0, sizeof(*r));
	fcntl(c, F_SETFL, O_NONBLOCK);
	static uint8_t buf[1 << 17];
	size_t have = 0;
	for (int i = 0; i < 2000 && !r->closed; i++) {
		spin(f, 5);
		ssize_t n = read(c, buf + have, sizeof(buf) - have);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			r->closed = true;
		} else if (n > 0) {
			have += (size_t)n;
		}
		while (have >= 8) {
			uint32_t len = buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24;
			uint16_t type = (uint16_t)(buf[4] | buf[5] << 8);
			if (have < 8 + len)
				break;
			const uint8_t *p = buf + 8;
			uint32_t v =
			    len >= 4 ? (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24) : 0;
			switch (type) {
			case MVM_AGENT_STARTED:
				r->started = true;
				break;
			case MVM_AGENT_STDOUT:
				memcpy(r->out + r->out_len, p, len);
				r->out_len += len;
				break;
			case MVM_AGENT_STDERR:
				memcpy(r->err + r->err_len, p, len);
				r->err_len += len;
				break;
			case MVM_AGENT_EXIT:
				r->ended = true;
				r->status = (int)v;
				break;
			case MVM_AGENT_ERROR:
				r->ended = r->error = true;
				r->status = (int)v;
				snprintf(r->msg, sizeof(r->msg), "%.*s", (int)(len - 4), p + 4);
				break;
			default:
				fail_msg("frame type 0x%x from the agent", type);
			}
			memmove(buf, buf + 8 + len, have - 8 - len);
			have -= 8 + len;
		}
	}
}

static void runs_a_program(void **state)
{
	struct fixture *f = *state;
	int c = client(f);
	send_exec_sh(c, "echo out; echo err >&2; exit 3");
	struct result r;
	collect(f, c, &r);
	assert_true(r.started && r.ended && r.closed && !r.error);
	assert_int_equal(r.status, 3);
	assert_int_equal(r.out_len, 4);
	assert_memory_equal(r.out, "out\n", 4);
	assert_int_equal(r.err_len, 4);
	assert_memory_equal(r.err, "err\n", 4);
	close(c);
}

static void stdin_and_its_end(void **state)
{
	struct fixture *f = *state;
	int c = client(f);
	send_exec_sh(c, "cat; echo done");
	send_frame(c, MVM_AGENT_STDIN, "abc", 3);
	send_frame(c, MVM_AGENT_STDIN, "def\n", 4);
	send_frame(c, MVM_AGENT_STDIN_EOF, NULL, 0);
	struct result r;
	collect(f, c, &r);
	assert_int_equal(r.status, 0);
	r.out[r.out_len] = '\0';
	assert_string_equal(r.out, "abcdef\ndone\n");
	close(c);
}

static void a_signal_reaches_it(void **state)
{
	struct fixture *f = *state;
	int c = client(f);
	send_exec_sh(c, "echo ready; exec sleep 100");
	for (int i = 0; i < 100; i++)
		spin(f, 10);
	uint8_t sig[4];
	put_le32(sig, SIGTERM);
	send_frame(c, MVM_AGENT_SIGNAL, sig, 4);
	struct result r;
	collect(f, c, &r);
	assert_true(r.ended && !r.error);
	assert_int_equal(r.status, 128 + SIGTERM);
	close(c);
}

static void not_found_is_an_error_frame(void **state)
{
	struct fixture *f = *state;
	int c = client(f);
	static uint8_t buf[512];
	const uint16_t types[] = {MVM_CFG_EXEC, 0};
	const char *values[] = {"/nonexistent/prog"};
	size_t n = exec_payload(buf, MVM_AGENT_VERSION, types, values);
	send_frame(c, MVM_AGENT_EXEC, buf, (uint32_t)n);
	struct result r;
	collect(f, c, &r);
	assert_true(r.error && r.closed && !r.started);
	assert_int_equal(r.status, 127);
	assert_non_null(strstr(r.msg, "/nonexistent/prog"));
	close(c);
}

static void refused_requests(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[512];
	struct result r;
	/* Another protocol version. */
	int c = client(f);
	const uint16_t t1[] = {MVM_CFG_EXEC, 0};
	const char *v1[] = {"/bin/true"};
	size_t n = exec_payload(buf, 2, t1, v1);
	send_frame(c, MVM_AGENT_EXEC, buf, (uint32_t)n);
	collect(f, c, &r);
	assert_true(r.error);
	assert_int_equal(r.status, 125);
	assert_non_null(strstr(r.msg, "version 2"));
	close(c);
	/* A mount is the VM's business. */
	c = client(f);
	const uint16_t t2[] = {MVM_CFG_EXEC, MVM_CFG_MOUNT, 0};
	const char *v2[] = {"/bin/true", "tag\0/mnt"};
	const size_t l2[] = {9, 8};
	n = exec_payload_n(buf, MVM_AGENT_VERSION, t2, v2, l2);
	send_frame(c, MVM_AGENT_EXEC, buf, (uint32_t)n);
	collect(f, c, &r);
	assert_true(r.error);
	assert_int_equal(r.status, 125);
	assert_non_null(strstr(r.msg, "belong to the VM"));
	close(c);
	/* A blob that lies about its length. */
	c = client(f);
	n = exec_payload(buf, MVM_AGENT_VERSION, t1, v1);
	put_le32(buf + 4 + 12, 9999);
	send_frame(c, MVM_AGENT_EXEC, buf, (uint32_t)n);
	collect(f, c, &r);
	assert_true(r.error);
	assert_int_equal(r.status, 125);
	close(c);
}

/* Clients that break the framing are closed without a frame. */
static void broken_clients_are_closed(void **state)
{
	struct fixture *f = *state;
	struct result r;
	int c = client(f);
	send_frame(c, MVM_AGENT_STDIN, "x", 1); /* not EXEC first */
	collect(f, c, &r);
	assert_true(r.closed && !r.started && !r.ended);
	close(c);
	c = client(f);
	uint8_t h[8] = {0, 0, 2, 0, MVM_AGENT_EXEC, 0, 0, 0}; /* 128 KiB: too long */
	assert_int_equal(write(c, h, 8), 8);
	collect(f, c, &r);
	assert_true(r.closed && !r.ended);
	close(c);
	c = client(f);
	uint8_t h2[8] = {0, 0, 0, 0, MVM_AGENT_EXEC, 0, 0, 9}; /* flags */
	assert_int_equal(write(c, h2, 8), 8);
	collect(f, c, &r);
	assert_true(r.closed && !r.ended);
	close(c);
	/* A bad SIGNAL frame while a program runs: closed (what was queued
	 * for it is dropped), and the program is hung up on. */
	c = client(f);
	send_exec_sh(c, "exec sleep 100");
	send_frame(c, MVM_AGENT_SIGNAL, "\x01", 1);
	collect(f, c, &r);
	assert_true(r.closed && !r.ended);
	close(c);
	for (int i = 0; i < 100; i++)
		spin(f, 10);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* the sleep is gone */
}

/* The client leaves: its program gets SIGHUP and is reaped; nothing is
 * left behind for the next sessions. */
static void a_client_that_leaves(void **state)
{
	struct fixture *f = *state;
	for (int k = 0; k < 3; k++) {
		int c = client(f);
		send_exec_sh(c, "exec sleep 100");
		for (int i = 0; i < 50; i++)
			spin(f, 10);
		close(c);
	}
	for (int i = 0; i < 100; i++)
		spin(f, 10);
	/* Every sleep is gone (reaped by spin). */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	/* And the agent still serves. */
	int c = client(f);
	send_exec_sh(c, "exit 0");
	struct result r;
	collect(f, c, &r);
	assert_true(r.ended && !r.error);
	close(c);
}

/* More output than the buffer to the client holds, with a client that
 * reads only later: nothing is lost, nothing reordered. */
static void back_pressure(void **state)
{
	struct fixture *f = *state;
	int c = client(f);
	send_exec_sh(c, "i=0; while [ $i -lt 4000 ]; do echo line$i; i=$((i+1)); done");
	for (int i = 0; i < 200; i++)
		spin(f, 5); /* the client reads nothing meanwhile */
	struct result r;
	collect(f, c, &r);
	assert_true(r.ended);
	assert_int_equal(r.status, 0);
	char want[16];
	size_t pos = 0;
	for (int i = 0; i < 4000; i++) {
		int n = snprintf(want, sizeof(want), "line%d\n", i);
		if (pos + (size_t)n > r.out_len || memcmp(r.out + pos, want, (size_t)n) != 0)
			fail_msg("line %d missing or out of order at byte %zu", i, pos);
		pos += (size_t)n;
	}
	assert_int_equal(pos, r.out_len);
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(runs_a_program, setup, teardown),
	    cmocka_unit_test_setup_teardown(stdin_and_its_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_signal_reaches_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(not_found_is_an_error_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(refused_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(broken_clients_are_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_client_that_leaves, setup, teardown),
	    cmocka_unit_test_setup_teardown(back_pressure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
