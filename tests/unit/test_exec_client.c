/* SPDX-License-Identifier: Apache-2.0 */
/* The host's exec client (src/sandbox/exec.c) against a fake VMM and agent
 * on a real Unix socket: the CONNECT/OK handshake, the EXEC frame it
 * sends, the relay of a well-behaved session, and an agent (that is, a
 * guest) that sends what it should not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "guest/protocol.h"
#include "mvm.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct fake {
	char dir[64], path[128];
	int listen_fd;
	pthread_t thread;
	/* What the fake agent sends after the EXEC frame, raw. */
	uint8_t script[4096];
	size_t script_len;
	bool refuse; /* close after CONNECT without OK */
	/* What it received. */
	char connect_line[64];
	uint8_t exec[65536 + 8];
	size_t exec_len;
	uint8_t rest[4096]; /* frames after EXEC, until the client closes */
	size_t rest_len;
};

static void frame(struct fake *f, uint16_t type, const void *p, uint32_t len)
{
	uint8_t *h = f->script + f->script_len;
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(len >> (8 * i));
	h[4] = (uint8_t)type;
	h[5] = (uint8_t)(type >> 8);
	h[6] = h[7] = 0;
	memcpy(h + 8, p, len);
	f->script_len += 8 + len;
}

static void frame_u32(struct fake *f, uint16_t type, uint32_t v)
{
	uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	frame(f, type, p, 4);
}

static size_t read_n(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int c = accept(f->listen_fd, NULL, NULL);
	if (c < 0)
		return NULL;
	size_t n = 0;
	while (n < sizeof(f->connect_line) - 1 && read(c, f->connect_line + n, 1) == 1)
		if (f->connect_line[n++] == '\n')
			break;
	if (f->refuse) {
		close(c);
		return NULL;
	}
	if (write(c, "OK 1073741824\n", 14) != 14)
		goto out;
	uint8_t h[8];
	if (read_n(c, h, 8) != 8)
		goto out;
	uint32_t len =
	    (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	memcpy(f->exec, h, 8);
	f->exec_len = 8 + read_n(c, f->exec + 8, len);
	if (f->script_len && write(c, f->script, f->script_len) != (ssize_t)f->script_len)
		goto out;
	shutdown(c, SHUT_WR);
	ssize_t r;
	while (f->rest_len < sizeof(f->rest) &&
	       (r = read(c, f->rest + f->rest_len, sizeof(f->rest) - f->rest_len)) > 0)
		f->rest_len += (size_t)r;
out:
	close(c);
	return NULL;
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mvm-exec.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, f->path);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->listen_fd, 4), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;
	close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs `echo` through the fake: start, wait with output to a pipe.
 * Returns mvm_exec_wait's result; the output is in out (NUL-ended). */
static int run(struct fake *f, int *status, char *out, size_t out_len, mvm_error **err)
{
	pthread_create(&f->thread, NULL, fake_main, f);
	const char *argv[] = {"echo", "hi"};
	const char *env[] = {"A=1"};
	mvm_exec_spec spec = {.argv = argv, .argc = 2, .env = env, .n_env = 1, .workdir = "/tmp"};
	int rc = -1;
	mvm_exec *x = mvm_exec_start(f->path, &spec, err);
	int p[2];
	assert_int_equal(pipe(p), 0);
	if (x != NULL) {
		rc = mvm_exec_wait(x, -1, p[1], -1, status, err);
		mvm_exec_free(x);
	}
	close(p[1]);
	size_t n = read_n(p[0], out, out_len - 1);
	out[n] = '\0';
	close(p[0]);
	pthread_join(f->thread, NULL);
	return rc;
}

static void good_session(void **state)
{
	struct fake *f = *state;
	frame_u32(f, MVM_AGENT_STARTED, 42);
	frame(f, MVM_AGENT_STDOUT, "hi\n", 3);
	frame(f, MVM_AGENT_STDERR, "ignored", 7);
	frame_u32(f, MVM_AGENT_EXIT, 3);
	int status = -1;
	char out[64];
	mvm_error *err = NULL;
	assert_int_equal(run(f, &status, out, sizeof(out), &err), 0);
	assert_null(err);
	assert_int_equal(status, 3);
	assert_string_equal(out, "hi\n");
	char want[32];
	snprintf(want, sizeof(want), "CONNECT %u\n", MVM_AGENT_PORT);
	assert_string_equal(f->connect_line, want);
	/* EXEC: type 1, version 1, then a config blob naming the program. */
	assert_true(f->exec_len > 8 + 4 + 16);
	assert_int_equal(f->exec[4], MVM_AGENT_EXEC);
	assert_int_equal(f->exec[8], MVM_AGENT_VERSION);
	assert_memory_equal(f->exec + 12, MVM_CFG_MAGIC, 8);
	assert_non_null(memmem(f->exec, f->exec_len, "echo", 4));
	assert_non_null(memmem(f->exec, f->exec_len, "A=1", 3));
	assert_non_null(memmem(f->exec, f->exec_len, "/tmp", 4));
	/* Without stdin, the program's stdin ends at once. */
	assert_true(f->rest_len >= 8);
	assert_int_equal(f->rest[4], MVM_AGENT_STDIN_EOF);
}

static void refused_start(void **state)
{
	struct fake *f = *state;
	const char msg[] = "\x7f\0\0\0/bin/nope: No such file or directory";
	frame(f, MVM_AGENT_ERROR, msg, sizeof(msg) - 1);
	int status = -1;
	char out[64];
	mvm_error *err = NULL;
	assert_int_equal(run(f, &status, out, sizeof(out), &err), -1);
	assert_int_equal(status, 127);
	assert_non_null(strstr(mvm_error_get_message(err), "No such file"));
	mvm_error_free(err);
}

/* Each of these from the guest ends the session with status 125 and an
 * error that says so; none crashes or hangs the client. */
static void expect_broken(struct fake *f, const char *needle)
{
	int status = -1;
	char out[64];
	mvm_error *err = NULL;
	assert_int_equal(run(f, &status, out, sizeof(out), &err), -1);
	assert_int_equal(status, 125);
	assert_non_null(err);
	if (strstr(mvm_error_get_message(err), needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", mvm_error_get_message(err), needle);
	mvm_error_free(err);
}

static void output_before_start(void **state)
{
	struct fake *f = *state;
	frame(f, MVM_AGENT_STDOUT, "x", 1);
	expect_broken(f, "out of turn");
}

static void huge_frame(void **state)
{
	struct fake *f = *state;
	frame_u32(f, MVM_AGENT_STARTED, 1);
	uint8_t h[8] = {0xff, 0xff, 0xff, 0x7f, MVM_AGENT_STDOUT, 0, 0, 0};
	memcpy(f->script + f->script_len, h, 8);
	f->script_len += 8;
	expect_broken(f, "frame of 2147483647 bytes");
}

static void flags_set(void **state)
{
	struct fake *f = *state;
	uint8_t h[8] = {0, 0, 0, 0, MVM_AGENT_STARTED, 0, 1, 0};
	memcpy(f->script, h, 8);
	f->script_len = 8;
	expect_broken(f, "frame of 0 bytes");
}

static void unknown_type_and_bad_status(void **state)
{
	struct fake *f = *state;
	frame_u32(f, MVM_AGENT_STARTED, 1);
	frame_u32(f, 0x99, 0);
	expect_broken(f, "type 0x99");
	f->script_len = 0;
	frame_u32(f, MVM_AGENT_STARTED, 1);
	frame_u32(f, MVM_AGENT_EXIT, 256);
	expect_broken(f, "out of turn");
	f->script_len = 0;
	frame_u32(f, MVM_AGENT_STARTED, 1);
	frame_u32(f, MVM_AGENT_STARTED, 1);
	expect_broken(f, "out of turn");
	/* ERROR says a start failed: only 125, 126 and 127. */
	f->script_len = 0;
	frame_u32(f, MVM_AGENT_ERROR, 3);
	expect_broken(f, "out of turn");
}

static void connection_ends_early(void **state)
{
	struct fake *f = *state;
	frame_u32(f, MVM_AGENT_STARTED, 1);
	frame(f, MVM_AGENT_STDOUT, "part", 4);
	expect_broken(f, "ended before the program's exit");
}

static void agent_not_answering(void **state)
{
	struct fake *f = *state;
	f->refuse = true;
	pthread_create(&f->thread, NULL, fake_main, f);
	const char *argv[] = {"true"};
	mvm_exec_spec spec = {.argv = argv, .argc = 1};
	mvm_error *err = NULL;
	assert_null(mvm_exec_start(f->path, &spec, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "did not answer"));
	mvm_error_free(err);
	pthread_join(f->thread, NULL);
}

static void bad_specs(void **state)
{
	struct fake *f = *state;
	mvm_error *err = NULL;
	mvm_exec_spec spec = {.argc = 0};
	assert_null(mvm_exec_start(f->path, &spec, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "no program"));
	mvm_error_free(err);
	err = NULL;
	const char *argv[] = {"sh"};
	const char *env[] = {"=novalue"};
	spec = (mvm_exec_spec){.argv = argv, .argc = 1, .env = env, .n_env = 1};
	assert_null(mvm_exec_start(f->path, &spec, &err));
	assert_non_null(err);
	mvm_error_free(err);
	err = NULL;
	spec = (mvm_exec_spec){.argv = argv, .argc = 1, .workdir = "relative"};
	assert_null(mvm_exec_start(f->path, &spec, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "relative"));
	mvm_error_free(err);
	err = NULL;
	/* A user by ids or by name, not both; a name of 1 to 256 bytes. */
	spec = (mvm_exec_spec){.argv = argv, .argc = 1, .user = "app", .has_user = true};
	assert_null(mvm_exec_start(f->path, &spec, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "user `app` and has_user both"));
	mvm_error_free(err);
	err = NULL;
	spec = (mvm_exec_spec){.argv = argv, .argc = 1, .user = ""};
	assert_null(mvm_exec_start(f->path, &spec, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "user ``: 1 to 256 bytes"));
	mvm_error_free(err);
	err = NULL;
	/* More than one frame holds. */
	static char big[70000];
	memset(big, 'a', sizeof(big) - 1);
	const char *bigenv[] = {big};
	big[0] = 'K';
	big[1] = '=';
	spec = (mvm_exec_spec){.argv = argv, .argc = 1, .env = bigenv, .n_env = 1};
	assert_null(mvm_exec_start(f->path, &spec, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "at most"));
	mvm_error_free(err);
	err = NULL;
	assert_null(mvm_exec_start("/nonexistent/dir/v.sock",
				   &(mvm_exec_spec){.argv = argv, .argc = 1}, &err));
	assert_non_null(strstr(mvm_error_get_message(err), "/nonexistent/dir/v.sock"));
	mvm_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(good_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(refused_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(output_before_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(huge_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(flags_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_type_and_bad_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(connection_ends_early, setup, teardown),
	    cmocka_unit_test_setup_teardown(agent_not_answering, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_specs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
