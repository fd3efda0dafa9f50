/* SPDX-License-Identifier: Apache-2.0 */
/* Every thread libmvm starts survives writes to a reader that went away,
 * in an application that keeps SIGPIPE at its default, and the
 * application's own signal state stays as it was. The whole-VM version of
 * this (a port-map client that gives up) is tests/vm/test_sigpipe.sh. */
#include "test_util.h"

#include "util/thread.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int write_errno;

static void *write_to_closed_pipe(void *arg)
{
	int *fds = arg;
	write_errno = write(fds[1], "x", 1) < 0 ? errno : 0;
	return NULL;
}

static void *send_to_closed_socket(void *arg)
{
	int *fds = arg;
	write_errno = send(fds[0], "x", 1, 0) < 0 ? errno : 0;
	return NULL;
}

static void run_in_library_thread(void *(*fn)(void *), int *fds)
{
	write_errno = -1;
	pthread_t t;
	assert_int_equal(mvm_thread_create(&t, fn, fds), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* Still alive: the write failed with EPIPE instead of killing us. */
	assert_int_equal(write_errno, EPIPE);
}

static void test_library_threads_survive_epipe(void **state)
{
	signal(SIGPIPE, SIG_DFL);
	sigset_t pipe_set, before, after;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &before);

	int p[2];
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	run_in_library_thread(write_to_closed_pipe, p);
	close(p[1]);

	int s[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	close(s[1]);
	run_in_library_thread(send_to_closed_socket, s);
	close(s[0]);

	/* The application's disposition and this thread's mask are its own. */
	struct sigaction sa;
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_ptr_equal(sa.sa_handler, SIG_DFL);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	assert_false(sigismember(&after, SIGPIPE));
	assert_int_equal(sigismember(&after, SIGINT), sigismember(&before, SIGINT));
	sigset_t pending;
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
}

static void *write_past_fsize(void *arg)
{
	int fd = *(int *)arg;
	static char buf[4096];
	write_errno = 0;
	/* The first write reaches the limit; the second crosses it. */
	for (int i = 0; i < 2 && write_errno == 0; i++)
		if (write(fd, buf, sizeof(buf)) < 0)
			write_errno = errno;
	return NULL;
}

/* A write past RLIMIT_FSIZE raises SIGXFSZ, whose default kills the
 * process: in a child, so the limit stays there. */
static void test_library_threads_survive_fsize_limit(void **state)
{
	char *dir = make_temp_dir();
	char path[4096];
	snprintf(path, sizeof(path), "%s/big", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_DFL);
		struct rlimit rl = {4096, RLIM_INFINITY};
		setrlimit(RLIMIT_FSIZE, &rl);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		pthread_t t;
		if (fd < 0 || mvm_thread_create(&t, write_past_fsize, &fd) != 0)
			_exit(2);
		pthread_join(t, NULL);
		_exit(write_errno == EFBIG ? 0 : 3);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the process died of signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_library_threads_survive_epipe),
	    cmocka_unit_test(test_library_threads_survive_fsize_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
