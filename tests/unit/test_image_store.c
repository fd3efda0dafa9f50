/* SPDX-License-Identifier: Apache-2.0 */
/* The image store (src/image/store.c): blobs held to their digests, a
 * blob changed on disk caught when read, layers unpacked once, garbage
 * collection that a running load holds off. */
#include "image/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/mvm-store-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	mvm_error *err = NULL;
	struct store *s = store_open(dir, &err);
	if (s == NULL)
		fail_msg("store_open: %s", mvm_error_get_message(err));
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	store_free(*state);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static unsigned entries(const char *sub)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	DIR *d = opendir(p);
	assert_non_null(d);
	unsigned n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_blobs(void **state)
{
	struct store *s = *state;
	mvm_error *err = NULL;
	struct digest d, want;
	assert_int_equal(store_put_blob_mem(s, "abc", 3, &d, &err), 0);
	assert_string_equal(d.str, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(store_has_blob(s, &d));
	/* A blob held to another digest is refused and not kept. */
	assert_int_equal(digest_parse("sha256:0000000000000000000000000000000000000000000000000000000000000000",
				      &want, &err),
			 0);
	int fd = open("/dev/null", O_RDONLY);
	assert_int_equal(store_put_blob_fd(s, fd, &want, NULL, NULL, &err), -1);
	close(fd);
	assert_non_null(strstr(mvm_error_get_message(err), "it is not kept"));
	mvm_error_free(err);
	err = NULL;
	assert_false(store_has_blob(s, &want));
	assert_int_equal(entries("tmp"), 0);
	/* Changed on disk after it was stored: caught when read. */
	char *buf;
	size_t len;
	assert_int_equal(store_read_blob(s, &d, 100, &buf, &len, &err), 0);
	assert_string_equal(buf, "abc");
	free(buf);
	char p[256];
	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", dir, digest_hex(&d));
	FILE *f = fopen(p, "w");
	fputs("abd", f);
	fclose(f);
	assert_int_equal(store_read_blob(s, &d, 100, &buf, &len, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "no longer matches"));
	mvm_error_free(err);
	err = NULL;
	/* And a blob larger than the caller's limit is not read. */
	assert_int_equal(store_put_blob_mem(s, "0123456789", 10, &d, &err), 0);
	assert_int_equal(store_read_blob(s, &d, 4, &buf, &len, &err), -1);
	mvm_error_free(err);
}

static void test_layer_once(void **state)
{
	struct store *s = *state;
	unsigned char tar[16384];
	size_t used;
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, tar, sizeof(tar), &used);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "hello");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 2);
	archive_write_header(a, e);
	archive_write_data(a, "hi", 2);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	mvm_error *err = NULL;
	struct digest d;
	assert_int_equal(store_put_blob_mem(s, tar, used, &d, &err), 0);
	char *path = NULL;
	bool unpacked;
	assert_int_equal(store_layer(s, &d, &path, &unpacked, &err), 0);
	assert_true(unpacked);
	char p[512];
	snprintf(p, sizeof(p), "%s/hello", path);
	assert_int_equal(access(p, F_OK), 0);
	free(path);
	assert_int_equal(store_layer(s, &d, NULL, &unpacked, &err), 0);
	assert_false(unpacked);
	/* A blob that is no layer fails, and leaves nothing behind. */
	assert_int_equal(store_put_blob_mem(s, "not a tar at all, not even close......", 38, &d, &err), 0);
	assert_int_equal(store_layer(s, &d, NULL, &unpacked, &err), -1);
	mvm_error_free(err);
	assert_int_equal(entries("layers/sha256"), 1);
	assert_int_equal(entries("tmp"), 0);
}

static void test_gc(void **state)
{
	struct store *s = *state;
	mvm_error *err = NULL;
	struct digest d;
	assert_int_equal(store_put_blob_mem(s, "unused", 6, &d, &err), 0);
	/* A load in progress holds the collector off. */
	int hold = store_hold(s, &err);
	assert_true(hold >= 0);
	struct store_gc_stats st;
	assert_int_equal(store_gc(s, false, &st, &err), 1);
	assert_true(store_has_blob(s, &d));
	/* A run's directory: kept while its run holds the store, removed
	 * once nothing does (a crashed run's). */
	char runs[512];
	snprintf(runs, sizeof(runs), "%s/runs", store_dir(s));
	mkdir(runs, 0700);
	snprintf(runs, sizeof(runs), "%s/runs/abc123", store_dir(s));
	assert_int_equal(mkdir(runs, 0700), 0);
	assert_int_equal(store_gc(s, false, &st, &err), 1);
	assert_int_equal(access(runs, F_OK), 0);
	close(hold);
	assert_int_equal(store_gc(s, false, &st, &err), 0);
	assert_int_equal(st.blobs, 1);
	assert_int_equal(st.tmp, 1);
	assert_false(access(runs, F_OK) == 0);
	assert_false(store_has_blob(s, &d));
	/* A name whose manifest is missing stops it before anything goes. */
	struct digest kept, missing;
	assert_int_equal(store_put_blob_mem(s, "kept", 4, &kept, &err), 0);
	assert_int_equal(digest_of("no such manifest", 16, &missing, &err), 0);
	assert_int_equal(store_tag(s, "docker.io/library/x:1", &missing, &err), 0);
	assert_int_equal(store_gc(s, true, &st, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "nothing was removed"));
	mvm_error_free(err);
	assert_true(store_has_blob(s, &kept));
	err = NULL;
	assert_int_equal(store_untag(s, "docker.io/library/x:1", &err), 0);
	assert_int_equal(store_untag(s, "docker.io/library/x:1", &err), -1);
	mvm_error_free(err);
}

static uint64_t file_size(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

/* A download continued: what one writer suspends, the next resumes and
 * hashes from byte 0; a second writer of the same blob meanwhile gets a
 * file of its own; leftovers too large for the blob, or empty, go. */
static void test_resume(void **state)
{
	struct store *s = *state;
	mvm_error *err = NULL;
	static const char blob[] = "0123456789abcdefghij";
	struct digest d;
	assert_int_equal(digest_of(blob, 20, &d, &err), 0);
	char partial[128];
	snprintf(partial, sizeof(partial), "tmp/partial-%s", digest_hex(&d));

	struct store_writer *w = store_writer_resume(s, &d, 20, &err);
	assert_non_null(w);
	assert_int_equal(store_writer_size(w), 0);
	assert_int_equal(store_writer_write(w, blob, 8, &err), 0);
	/* Held: another pull of d writes elsewhere and leaves it alone. */
	struct store_writer *other = store_writer_resume(s, &d, 20, &err);
	assert_non_null(other);
	assert_int_equal(store_writer_size(other), 0);
	assert_int_equal(store_writer_write(other, "zz", 2, &err), 0);
	store_writer_suspend(other); /* not a partial file: removed */
	assert_int_equal(entries("tmp"), 1);
	store_writer_suspend(w);
	assert_int_equal(file_size(partial), 8);

	w = store_writer_resume(s, &d, 20, &err);
	assert_non_null(w);
	assert_int_equal(store_writer_size(w), 8);
	assert_int_equal(store_writer_write(w, blob + 8, 12, &err), 0);
	uint64_t size = 0;
	assert_int_equal(store_writer_commit(w, &d, NULL, &size, &err), 0);
	assert_int_equal(size, 20);
	assert_true(store_has_blob(s, &d));
	assert_int_equal(entries("tmp"), 0);

	/* A server that ignored the range: start over, and the digest is
	 * that of the new bytes only. */
	struct digest d2;
	assert_int_equal(digest_of("abc", 3, &d2, &err), 0);
	w = store_writer_resume(s, &d2, 3, &err);
	assert_int_equal(store_writer_write(w, "xy", 2, &err), 0);
	assert_int_equal(store_writer_restart(w, &err), 0);
	assert_int_equal(store_writer_size(w), 0);
	assert_int_equal(store_writer_write(w, "abc", 3, &err), 0);
	assert_int_equal(store_writer_commit(w, &d2, NULL, NULL, &err), 0);

	/* A leftover larger than the blob is no prefix of it. */
	struct digest d3;
	assert_int_equal(digest_of("four", 4, &d3, &err), 0);
	snprintf(partial, sizeof(partial), "tmp/partial-%s", digest_hex(&d3));
	w = store_writer_resume(s, &d3, 4, &err);
	assert_int_equal(store_writer_write(w, "fourfour", 8, &err), 0);
	store_writer_suspend(w);
	assert_int_equal(file_size(partial), 8);
	w = store_writer_resume(s, &d3, 4, &err);
	assert_int_equal(store_writer_size(w), 0);
	assert_int_equal(file_size(partial), 0);
	/* Suspended with nothing in it, it is not kept. */
	store_writer_suspend(w);
	assert_int_equal(file_size(partial), UINT64_MAX);
	/* Bytes that are not the blob's fail the commit and are not kept. */
	w = store_writer_resume(s, &d3, 4, &err);
	assert_int_equal(store_writer_write(w, "fivE", 4, &err), 0);
	assert_int_equal(store_writer_commit(w, &d3, NULL, NULL, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "it is not kept"));
	mvm_error_free(err);
	assert_int_equal(entries("tmp"), 0);
	assert_false(store_has_blob(s, &d3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_blobs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_layer_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
