/* SPDX-License-Identifier: Apache-2.0 */
/* Listing a directory while deleting what was listed, as `rm -r` does, on
 * a file system whose directory offsets are positions (ramfs; tmpfs before
 * Linux 6.6, the QEMU harness's /tmp). A server that lseek()s to the
 * guest's offset for every READDIR skips an entry for each one deleted,
 * and RMDIR then fails with ENOTEMPTY. The share is a ramfs mounted over
 * /tmp in a user and mount namespace of a child process, so the test runs
 * as any user. */
#include "test_fuse_harness.h"
#include "userns.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#define FILES 300

/* Root of a new user namespace, owner of a new mount namespace, with a
 * ramfs over /tmp. Returns 0, or -1 with the reason printed. */
static int enter_ramfs(void)
{
	if (userns_enter(CLONE_NEWNS) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("ramfs", "/tmp", "ramfs", 0, "mode=1777") < 0) {
		fprintf(stderr, "ramfs over /tmp: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The child's whole job; its exit status is the number of the first check
 * that failed (0: all passed). */
static int delete_while_listing(void)
{
	void *state = NULL;
	fx_setup(&state);
	struct fx *f = state;
	struct fuse_entry_out d;
	if (fx_mkdir(f, FUSE_ROOT_ID, "d", 0755, &d) != 0)
		return 10;
	for (int i = 0; i < FILES; i++) {
		char name[48];
		snprintf(name, sizeof(name), "file-with-a-longish-name-%03d", i);
		struct fuse_entry_out e;
		uint64_t fh;
		if (fx_create(f, d.nodeid, name, O_RDWR, 0644, &e, &fh) != 0 ||
		    fx_release(f, FUSE_RELEASE, e.nodeid, fh) != 0)
			return 11;
	}
	/* What rm -r does: read a buffer of names, unlink them, read on
	 * from the offset of the last one. */
	uint64_t fh;
	if (fx_open(f, FUSE_OPENDIR, d.nodeid, O_RDONLY, &fh) != 0)
		return 12;
	uint64_t off = 0;
	int removed = 0;
	for (int rounds = 0; rounds < 1000; rounds++) {
		long n = fx_read(f, FUSE_READDIR, d.nodeid, fh, off, 1024);
		if (n < 0)
			return 13;
		if (n == 0)
			break;
		static unsigned char buf[4096];
		memcpy(buf, fx_r.body, (size_t)n);
		for (size_t pos = 0; pos < (size_t)n;) {
			struct fuse_dirent de;
			memcpy(&de, buf + pos, sizeof(de));
			char name[NAME_MAX + 1];
			memcpy(name, buf + pos + FUSE_NAME_OFFSET, de.namelen);
			name[de.namelen] = 0;
			if (strcmp(name, ".") && strcmp(name, "..")) {
				if (fx_name_op(f, FUSE_UNLINK, d.nodeid, name) != 0)
					return 14;
				removed++;
			}
			off = de.off;
			pos += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + de.namelen);
		}
	}
	fx_release(f, FUSE_RELEASEDIR, d.nodeid, fh);
	if (removed != FILES) {
		fprintf(stderr, "listed and removed %d of %d files\n", removed, FILES);
		return 15;
	}
	if (fx_name_op(f, FUSE_RMDIR, FUSE_ROOT_ID, "d") != 0)
		return 16;
	fx_teardown(&state);
	return 0;
}

static void test_delete_while_listing_positional_offsets(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(enter_ramfs() < 0 ? 99 : delete_while_listing());
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 99)
		fail_msg("no ramfs in a user namespace here (see the reason above)");
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delete_while_listing_positional_offsets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
