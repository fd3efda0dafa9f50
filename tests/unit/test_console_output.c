/* SPDX-License-Identifier: Apache-2.0 */
/* Opening --console-output: never through a symlink, never as a controlling
 * terminal, created 0666 less the umask, never hanging on a FIFO. */
#include "test_util.h"

#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

static char *dir;

static int setup(void **state)
{
	dir = make_temp_dir();
	return 0;
}

static int teardown(void **state)
{
	remove_tree(dir);
	return 0;
}

static char *path_in(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void test_symlink_refused(void **state)
{
	char *target = path_in("victim"), *link = path_in("console.log");
	assert_int_equal(symlink(target, link), 0);
	mvm_error *err = NULL;
	assert_int_equal(vm_open_console_output(link, &err), -1);
	assert_error_has(err, link, "symbolic link");
	mvm_error_free(err);
	/* Nothing was created through the link. */
	struct stat st;
	assert_int_equal(lstat(target, &st), -1);
	/* Nor written into an existing file behind it. */
	int fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	err = NULL;
	assert_int_equal(vm_open_console_output(link, &err), -1);
	mvm_error_free(err);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	free(target);
	free(link);
}

static void test_mode_follows_umask(void **state)
{
	const mode_t masks[] = {022, 077, 0};
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "log%d", i);
		char *p = path_in(name);
		mode_t old = umask(masks[i]);
		mvm_error *err = NULL;
		int fd = vm_open_console_output(p, &err);
		umask(old);
		assert_true(fd >= 0);
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0666 & ~masks[i]);
		/* Blocking again after the open, and appending. */
		assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND), O_APPEND);
		close(fd);
		free(p);
	}
}

static void test_appends(void **state)
{
	char *p = path_in("append.log");
	for (int i = 0; i < 2; i++) {
		mvm_error *err = NULL;
		int fd = vm_open_console_output(p, &err);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "ab", 2), 2);
		close(fd);
	}
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 4);
	free(p);
}

static void test_fifo_and_devices(void **state)
{
	char *fifo = path_in("fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* No reader: an error at once, not a hang. */
	mvm_error *err = NULL;
	assert_int_equal(vm_open_console_output(fifo, &err), -1);
	assert_error_has(err, fifo, "FIFO without a reader");
	mvm_error_free(err);
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	err = NULL;
	int fd = vm_open_console_output(fifo, &err);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	close(rd);
	fd = vm_open_console_output("/dev/null", &err);
	assert_true(fd >= 0);
	close(fd);
	/* A directory is no output. */
	err = NULL;
	assert_int_equal(vm_open_console_output(dir, &err), -1);
	assert_error_has(err, dir);
	mvm_error_free(err);
	free(fifo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode_follows_umask, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_appends, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_and_devices, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
