/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An image layer from a hostile registry (src/image/layer_unpack.c): the
 * input is the layer's bytes, a tar or a compressed one. Whatever it
 * holds, unpacking succeeds or fails cleanly, and afterwards:
 * - nothing exists outside the layer's directory but what was there;
 * - inside, every entry is a regular file or a directory of ours, never
 *   setuid, setgid or sticky, never a symlink or a device node.
 *
 * The scratch directory lives in /tmp, not in $TMPDIR (scripts/run-fuzz
 * points that at /dev/shm, whose tmpfs has no user xattrs on Linux 6.1, so
 * every entry would fail at its first xattr and the fuzzer would learn
 * little). Files are capped at 1 MiB by RLIMIT_FSIZE.
 */
#include "fuzz_common.h"
#include "image/layer_unpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[256], layer[300], outside[300];

/* Walks below dir_fd by names relative to each directory (a layer's
 * paths may be as long as PATH_MAX on their own): checks each entry, then
 * removes it when remove is set. */
static void walk(int dir_fd, bool remove)
{
	DIR *d = fdopendir(dir_fd);
	FZ_CHECK(d != NULL);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat st;
		FZ_CHECK(fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		FZ_CHECK(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
		FZ_CHECK((st.st_mode & 07000) == 0);
		FZ_CHECK(st.st_uid == geteuid());
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			FZ_CHECK(sub >= 0);
			walk(sub, remove);
		}
		if (remove)
			FZ_CHECK(unlinkat(dirfd(d), e->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) ==
				 0);
	}
	closedir(d);
}

static void remove_scratch(void)
{
	int fd = open(base, O_RDONLY | O_DIRECTORY);
	if (fd >= 0)
		walk(fd, true);
	rmdir(base);
}

static void make_scratch(void)
{
	snprintf(base, sizeof(base), "/tmp/mvm-fuzz-layer-XXXXXX");
	FZ_CHECK(mkdtemp(base) != NULL);
	snprintf(layer, sizeof(layer), "%s/layer", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	FZ_CHECK(mkdir(outside, 0755) == 0);
	atexit(remove_scratch);
	struct rlimit fsize = {1 << 20, 1 << 20};
	FZ_CHECK(setrlimit(RLIMIT_FSIZE, &fsize) == 0);
	signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base[0] == '\0')
		make_scratch();
	FZ_CHECK(mkdir(layer, 0700) == 0);
	int dir = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FZ_CHECK(dir >= 0);
	mvm_error *err = NULL;
	int rc = layer_unpack_mem(data, size, dir, NULL, &err);
	FZ_CHECK(rc == 0 ? err == NULL : err != NULL && mvm_error_get_message(err)[0] != '\0');
	mvm_error_free(err);
	close(dir);
	FZ_CHECK(fz_entries_of(base) == 2);
	FZ_CHECK(fz_entries_of(outside) == 0);
	walk(open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC), true);
	FZ_CHECK(rmdir(layer) == 0);
	return 0;
}
