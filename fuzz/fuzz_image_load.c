/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `mvm load` of an archive from a hostile source (src/image/load.c): the
 * input is the archive's bytes (an OCI archive or a docker archive, any
 * manifests, indexes, symlinks and layers). Loading succeeds or fails with
 * a message, and afterwards:
 * - the store holds only its own entries, each blob under blobs/sha256 is
 *   named by the digest of its content, tmp/ is empty;
 * - nothing appeared beside the store.
 *
 * As fuzz_layer_unpack, the scratch directory is in /tmp (user xattrs);
 * files are capped at 1 MiB by RLIMIT_FSIZE.
 */
#include "fuzz_common.h"
#include "image/digest.h"
#include "image/load.h"
#include "util/fs_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[256], store_path[300], input[300];

static void remove_scratch(void)
{
	fs_remove_tree(AT_FDCWD, base);
}

/* Every blob's name is the sha256 of its content. */
static void check_blobs(void)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", store_path);
	DIR *d = opendir(dir);
	FZ_CHECK(d != NULL);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW);
		FZ_CHECK(fd >= 0);
		struct digest_ctx *c = digest_begin(NULL);
		FZ_CHECK(c != NULL);
		char buf[65536];
		for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
			FZ_CHECK(digest_update(c, buf, (size_t)n, NULL) == 0);
		close(fd);
		struct digest got;
		FZ_CHECK(digest_end(c, &got, NULL) == 0);
		FZ_CHECK(strcmp(digest_hex(&got), e->d_name) == 0);
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base[0] == '\0') {
		snprintf(base, sizeof(base), "/tmp/mvm-fuzz-load-XXXXXX");
		FZ_CHECK(mkdtemp(base) != NULL);
		snprintf(store_path, sizeof(store_path), "%s/store", base);
		snprintf(input, sizeof(input), "%s/input.tar", base);
		atexit(remove_scratch);
		struct rlimit fsize = {1 << 20, 1 << 20};
		FZ_CHECK(setrlimit(RLIMIT_FSIZE, &fsize) == 0);
		signal(SIGXFSZ, SIG_IGN);
	}
	int fd = open(input, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FZ_CHECK(fd >= 0);
	FZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);

	mvm_error *err = NULL;
	struct store *s = store_open(store_path, &err);
	FZ_CHECK(s != NULL);
	char **names = NULL;
	size_t n = 0;
	int rc = image_load(s, input, NULL, &names, &n, &err);
	FZ_CHECK(rc == 0 ? err == NULL && n > 0 : err != NULL && n == 0);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	mvm_error_free(err);
	store_free(s);

	char tmp[400];
	snprintf(tmp, sizeof(tmp), "%s/tmp", store_path);
	FZ_CHECK(fz_entries_of(tmp) == 0);
	FZ_CHECK(fz_entries_of(base) == 2); /* store/ and input.tar */
	check_blobs();
	FZ_CHECK(fs_remove_tree(AT_FDCWD, store_path) == 0);
	return 0;
}
