/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init's resolv.conf rule (guest/init/resolv.c) on a temp dir: write
 * when absent or mvm-init's own, never clobber the user's file. */
#include "test_util.h"

#include "guest/init/resolv.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct fixture {
	char *dir;
	char path[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dir = make_temp_dir();
	snprintf(f->path, sizeof(f->path), "%s/resolv.conf", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	chmod(f->dir, 0700);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *slurp(const char *path)
{
	static char buf[1024];
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static uint32_t be(const char *dotted)
{
	struct in_addr in;
	assert_int_equal(inet_pton(AF_INET, dotted, &in), 1);
	return in.s_addr;
}

static void test_decide(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(init_resolv_decide(f->path), INIT_RESOLV_WRITE); /* absent */

	put_file(f->path, INIT_RESOLV_MARKER "\nnameserver 10.0.2.3\n");
	assert_int_equal(init_resolv_decide(f->path), INIT_RESOLV_WRITE);

	const char *users[] = {
	    "nameserver 8.8.8.8\n",
	    "",			/* empty: the user's choice of no resolver */
	    INIT_RESOLV_MARKER, /* no newline: not exactly our first line */
	    INIT_RESOLV_MARKER " by hand\nnameserver 1.1.1.1\n",
	    "# written by mvm-ini\n",
	    "nameserver 1.1.1.1\n" INIT_RESOLV_MARKER "\n", /* marker not first */
	};
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		put_file(f->path, users[i]);
		if (init_resolv_decide(f->path) != INIT_RESOLV_KEEP_USER)
			fail_msg("user file %zu [%s] would be overwritten", i, users[i]);
	}
	assert_int_equal(unlink(f->path), 0);

	/* A symlink, even to mvm-init's own file, is the user's set-up. */
	char target[600];
	snprintf(target, sizeof(target), "%s/real", f->dir);
	put_file(target, INIT_RESOLV_MARKER "\nnameserver 10.0.2.3\n");
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(init_resolv_decide(f->path), INIT_RESOLV_KEEP_USER);
	assert_int_equal(unlink(f->path), 0);

	assert_int_equal(mkdir(f->path, 0755), 0); /* a directory */
	assert_int_equal(init_resolv_decide(f->path), INIT_RESOLV_KEEP_USER);
	assert_int_equal(rmdir(f->path), 0);
}

static void test_update_writes_and_rewrites(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(init_resolv_update(f->path, be("10.0.2.3")), INIT_RESOLV_WROTE);
	assert_string_equal(slurp(f->path), INIT_RESOLV_MARKER "\nnameserver 10.0.2.3\n");
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* The next boot with another address replaces mvm-init's own file. */
	assert_int_equal(init_resolv_update(f->path, be("192.168.5.4")), INIT_RESOLV_WROTE);
	assert_string_equal(slurp(f->path), INIT_RESOLV_MARKER "\nnameserver 192.168.5.4\n");

	/* No temporary left behind: resolv.conf is all there is. */
	DIR *d = opendir(f->dir);
	assert_non_null(d);
	int entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		entries += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);
}

static void test_update_keeps_user_file(void **state)
{
	struct fixture *f = *state;
	put_file(f->path, "nameserver 9.9.9.9\nsearch example.org\n");
	assert_int_equal(init_resolv_update(f->path, be("10.0.2.3")), INIT_RESOLV_KEPT_USER);
	assert_string_equal(slurp(f->path), "nameserver 9.9.9.9\nsearch example.org\n");
}

/* A directory the writer may not create files in stands for a root the
 * host will not let the guest write. Root ignores modes, so as root the
 * check runs in a child that has dropped to nobody. */
static void test_update_read_only(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(chmod(f->dir, 0555), 0);
	int result;
	if (geteuid() != 0) {
		result = init_resolv_update(f->path, be("10.0.2.3"));
	} else {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(100);
			_exit(init_resolv_update(f->path, be("10.0.2.3")));
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		result = WEXITSTATUS(status);
	}
	assert_int_equal(result, INIT_RESOLV_READ_ONLY);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_update_other_failure(void **state)
{
	struct fixture *f = *state;
	char path[600];
	snprintf(path, sizeof(path), "%s/no-such-dir/resolv.conf", f->dir);
	assert_int_equal(init_resolv_update(path, be("10.0.2.3")), INIT_RESOLV_FAILED);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_decide, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_writes_and_rewrites, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_keeps_user_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_other_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
