/* SPDX-License-Identifier: Apache-2.0 */
/* Detached VMs (src/sandbox/detach.c): the stats line both ways, a VM that
 * cannot start reported from its process, and the client against control
 * sockets that answer badly. VMs that run are tested in
 * tests/vm/test_sandbox.sh. */
#include "test_util.h"

#include "sandbox/detach.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

static void test_stats_round_trip(void **state)
{
	(void)state;
	mvm_vm_stats s, back;
	uint64_t *p = (uint64_t *)&s;
	for (size_t i = 0; i < sizeof(s) / sizeof(uint64_t); i++)
		p[i] = (i + 1) * 1000003u + (i == 3 ? UINT64_MAX - 5000000 : 0);
	char line[2048];
	size_t n = detach_format_stats(&s, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(strlen(line), n);
	assert_int_equal(line[n - 1], '\n');
	mvm_error *err = NULL;
	assert_int_equal(detach_parse_stats(line, &back, &err), 0);
	assert_null(err);
	assert_memory_equal(&s, &back, sizeof(s));
	/* The names by index are the line's, in its order, every counter
	 * once. */
	uint64_t v;
	const char *name;
	size_t k = 0, at = 0;
	for (; (name = mvm_vm_stats_field(&s, k, &v)) != NULL; k++) {
		char pair[128];
		snprintf(pair, sizeof(pair), " %s=%llu", name, (unsigned long long)v);
		const char *found = strstr(line, pair);
		assert_non_null(found);
		assert_true((size_t)(found - line) >= at);
		at = (size_t)(found - line);
	}
	assert_int_equal(k, sizeof(s) / sizeof(uint64_t));
	/* Too small a buffer: no half line. */
	assert_int_equal(detach_format_stats(&s, line, 40), 0);
}

static void expect_bad(const char *line, const char *why)
{
	mvm_vm_stats s;
	mvm_error *err = NULL;
	assert_int_equal(detach_parse_stats(line, &s, &err), -1);
	assert_error_has(err, why);
	mvm_error_free(err);
}

static void test_stats_parse_rejects(void **state)
{
	(void)state;
	expect_bad("error no such thing\n", "answered");
	expect_bad("okay uptime_ns=1\n", "answered");
	expect_bad("ok uptime_ns=1", "does not end its line");
	expect_bad("ok uptime_ns=1\nok\n", "does not end its line");
	expect_bad("ok uptime_ns=-1\n", "not a count");
	expect_bad("ok uptime_ns=\n", "not a count");
	expect_bad("ok uptime_ns=12x\n", "not a count");
	expect_bad("ok uptime_ns=99999999999999999999999\n", "not a count");
	expect_bad("ok uptime_ns\n", "not key=value");
	expect_bad("ok =5\n", "not key=value");
	expect_bad("ok uptime_ns=1 uptime_ns=2\n", "twice");
	/* A newer mvm's counter is skipped; the known ones still count. */
	mvm_vm_stats s;
	mvm_error *err = NULL;
	assert_int_equal(detach_parse_stats("ok gpu_ns=7 net_rx_bytes=42\n", &s, &err), 0);
	assert_int_equal(s.net_rx_bytes, 42);
	assert_int_equal(s.uptime_ns, 0);
	assert_int_equal(detach_parse_stats("ok\n", &s, &err), 0);
	assert_null(err);
}

struct fixture {
	char *dir;
	char ctl[200];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = make_temp_dir();
	snprintf(f->ctl, sizeof(f->ctl), "%s/ctl.sock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	remove_tree(f->dir);
	free(f);
	return 0;
}

/* A kernel file that is none (content: its bytes), and where the status
 * goes: for VMs that must fail in their process. */
static void fake_kernel(const struct fixture *f, const char *content, char *kernel, char *status,
			size_t len)
{
	snprintf(kernel, len, "%s/vmlinux", f->dir);
	snprintf(status, len, "%s/status", f->dir);
	int fd = open(kernel, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void test_spawn_bad_arguments(void **state)
{
	struct fixture *f = *state;
	mvm_builder *b = minimal_builder(f->dir);
	mvm_vm *vm = build_ok(b);
	mvm_error *err = NULL;
	pid_t pid = 0;
	mvm_detach_options o = {.control_path = NULL, .log_fd = -1};
	assert_int_equal(mvm_vm_spawn_detached(vm, &o, &pid, &err), -1);
	assert_error_has(err, "control socket path");
	mvm_error_free(err);
	err = NULL;
	char longp[300];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	o.control_path = longp;
	assert_int_equal(mvm_vm_spawn_detached(vm, &o, &pid, &err), -1);
	assert_error_has(err, "longer than 107 bytes");
	mvm_error_free(err);
	err = NULL;
	/* An existing path is never taken over. */
	int fd = open(f->ctl, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	o.control_path = f->ctl;
	assert_int_equal(mvm_vm_spawn_detached(vm, &o, &pid, &err), -1);
	assert_error_has(err, f->ctl, "the path exists");
	assert_int_equal(mvm_error_get_code(err), MVM_ERR_INVALID);
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_vm_spawn_detached(NULL, &o, &pid, &err), -1);
	mvm_error_free(err);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

/* The VM cannot start in its process (the kernel is not one): the caller
 * gets that process's reason, and nothing is left behind. */
static void test_spawn_failure_comes_back(void **state)
{
	struct fixture *f = *state;
	char kernel[256], status[256];
	fake_kernel(f, "not a kernel", kernel, status, sizeof(kernel));
	mvm_builder *b = minimal_builder(f->dir);
	mvm_error *err = NULL;
	assert_int_equal(mvm_builder_kernel_path(b, kernel, &err), 0);
	mvm_vm *vm = build_ok(b);
	int log = open("/dev/null", O_WRONLY);
	mvm_detach_options o = {.control_path = f->ctl, .status_path = status, .log_fd = log};
	pid_t pid = 0;
	assert_int_equal(mvm_vm_spawn_detached(vm, &o, &pid, &err), -1);
	assert_non_null(err);
	print_problems(err);
	assert_error_has(err, "start VM");
	assert_false(error_mentions(err, "ended before"));
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(pid, 0);
	/* Its process was reaped, its socket removed, no status written. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(access(f->ctl, F_OK), -1);
	assert_int_equal(access(status, F_OK), -1);
	/* The vm here is spent. */
	assert_int_equal(mvm_vm_spawn(vm, &err), -1);
	mvm_error_free(err);
	close(log);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

/* An OCI create and start: the process waits for a byte, then starts the
 * VM; a VM that cannot start leaves its reason in the status file. End of
 * file instead of the byte ends the process quietly. */
static void test_start_gate(void **state)
{
	struct fixture *f = *state;
	char kernel[256], status[256];
	fake_kernel(f, "", kernel, status, sizeof(kernel));
	for (int round = 0; round < 2; round++) {
		mvm_builder *b = minimal_builder(f->dir);
		mvm_error *err = NULL;
		assert_int_equal(mvm_builder_kernel_path(b, kernel, &err), 0);
		mvm_vm *vm = build_ok(b);
		/* A socket pair: shutdown() ends it for the child, whose
		 * copy of our end a pipe's EOF would wait for. */
		int gate[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate), 0);
		int log = open("/dev/null", O_WRONLY);
		mvm_detach_options o = {.control_path = f->ctl,
					.status_path = status,
					.log_fd = log,
					.wait_for_start = true,
					.start_fd = gate[0]};
		pid_t pid = 0;
		assert_int_equal(mvm_vm_spawn_detached(vm, &o, &pid, &err), 0);
		assert_true(pid > 0);
		close(gate[0]);
		/* It waits: still there, nothing written. */
		usleep(100 * 1000);
		assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
		assert_int_equal(access(status, F_OK), -1);
		if (round == 0)
			assert_int_equal(write(gate[1], "s", 1), 1);
		shutdown(gate[1], SHUT_WR);
		close(gate[1]);
		int ws;
		assert_int_equal(waitpid(pid, &ws, 0), pid);
		assert_true(WIFEXITED(ws));
		if (round == 0) {
			assert_int_equal(WEXITSTATUS(ws), MVM_DETACH_FAILED);
			FILE *sf = fopen(status, "r");
			assert_non_null(sf);
			char line[512] = "";
			assert_non_null(fgets(line, sizeof(line), sf));
			assert_string_equal(line, "125\n");
			assert_non_null(fgets(line, sizeof(line), sf));
			assert_non_null(strstr(line, "start VM"));
			fclose(sf);
			unlink(status);
		} else {
			assert_int_equal(WEXITSTATUS(ws), 0);
			assert_int_equal(access(status, F_OK), -1);
		}
		assert_int_equal(access(f->ctl, F_OK), -1);
		close(log);
		mvm_vm_free(vm);
		mvm_builder_free(b);
	}
}

/* ---- the client against a fake VM process ------------------------------- */

struct fake {
	int listen_fd;
	const char *reply;
	char got[128];
};

static void *fake_serve(void *arg)
{
	struct fake *fk = arg;
	int c = accept(fk->listen_fd, NULL, NULL);
	if (c < 0)
		return NULL;
	ssize_t n = recv(c, fk->got, sizeof(fk->got) - 1, 0);
	fk->got[n > 0 ? n : 0] = '\0';
	if (fk->reply)
		(void)!send(c, fk->reply, strlen(fk->reply), MSG_NOSIGNAL);
	close(c);
	return NULL;
}

/* One exchange with a server that says `reply`; returns the stats call's
 * result, *err filled. */
static int ask_fake(const char *path, const char *reply, bool stop, char *req, mvm_error **err)
{
	struct fake fk = {.reply = reply};
	fk.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fk.listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fk.listen_fd, 1), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, fake_serve, &fk), 0);
	mvm_vm_stats s;
	int rc = stop ? mvm_detached_stop(path, err) : mvm_detached_stats(path, &s, err);
	pthread_join(t, NULL);
	close(fk.listen_fd);
	unlink(path);
	if (req)
		strcpy(req, fk.got);
	return rc;
}

static void test_client(void **state)
{
	struct fixture *f = *state;
	mvm_error *err = NULL;
	char req[128];
	assert_int_equal(ask_fake(f->ctl, "ok fs_requests=3\n", false, req, &err), 0);
	assert_string_equal(req, "stats\n");
	assert_null(err);
	assert_int_equal(ask_fake(f->ctl, "ok\n", true, req, &err), 0);
	assert_string_equal(req, "stop\n");
	/* Silence, a half line, an error line, garbage. */
	assert_int_equal(ask_fake(f->ctl, NULL, false, NULL, &err), -1);
	assert_error_has(err, "no reply line");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(ask_fake(f->ctl, "ok fs_requests=3", false, NULL, &err), -1);
	assert_error_has(err, "no reply line");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(ask_fake(f->ctl, "error the VM is not running\n", true, NULL, &err), -1);
	assert_error_has(err, "the VM is not running");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(ask_fake(f->ctl, "yes\n", true, NULL, &err), -1);
	assert_error_has(err, "answered `yes");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(ask_fake(f->ctl, "ok a=1\nmore\n", false, NULL, &err), -1);
	mvm_error_free(err);
	err = NULL;
	/* Nobody there. */
	assert_int_equal(mvm_detached_stats(f->ctl, &(mvm_vm_stats){0}, &err), -1);
	assert_int_equal(mvm_error_get_code(err), MVM_ERR_STATE);
	assert_error_has(err, f->ctl, "not running");
	mvm_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stats_round_trip),
	    cmocka_unit_test(test_stats_parse_rejects),
	    cmocka_unit_test_setup_teardown(test_spawn_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spawn_failure_comes_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_gate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
