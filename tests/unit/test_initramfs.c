/* SPDX-License-Identifier: Apache-2.0 */
/* The initramfs writer, checked by GNU cpio itself (list and extract), and
 * the embedded mvm-init binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/init_embed.h"
#include "vmm/initramfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct tmp {
	char dir[64];
	char archive[96];
};

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	void *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void make_archive(struct tmp *t, const void *init, size_t init_len, const void *cfg, size_t cfg_len)
{
	strcpy(t->dir, "/tmp/mvm-initramfs-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->archive, sizeof(t->archive), "%s.cpio", t->dir);
	void *out = NULL;
	size_t out_len = 0;
	mvm_error *err = NULL;
	assert_int_equal(initramfs_build(init, init_len, cfg, cfg_len, &out, &out_len, &err), 0);
	assert_null(err);
	assert_int_equal(out_len % 4, 0);
	assert_memory_equal(out, "070701", 6);
	write_file(t->archive, out, out_len);
	free(out);
}

static void cleanup(struct tmp *t)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", t->dir, t->archive);
	assert_int_equal(system(cmd), 0);
}

static void test_listing(void **state)
{
	static const char init[] = "\x7f" "ELF fake init";
	static const char cfg[] = "MVMCFG config bytes";
	struct tmp t;
	make_archive(&t, init, sizeof(init), cfg, 5);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cpio -it --quiet < '%s'", t.archive);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char listing[1024] = "";
	size_t n = fread(listing, 1, sizeof(listing) - 1, p);
	listing[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(listing, "dev\ndev/console\nproc\nsys\nnewroot\nmvm\ninit\nmvm/config\n");
	cleanup(&t);
}

/* Extract as the kernel would (modes, node) and compare file contents.
 * Odd sizes exercise the 4-byte padding of names and data. */
static void check_extract(size_t init_len, size_t cfg_len)
{
	uint8_t *init = malloc(init_len + 1), *cfg = malloc(cfg_len + 1);
	assert_non_null(init);
	assert_non_null(cfg);
	for (size_t i = 0; i < init_len; i++)
		init[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < cfg_len; i++)
		cfg[i] = (uint8_t)(i * 13 + 1);
	struct tmp t;
	make_archive(&t, init, init_len, cfg, cfg_len);
	char cmd[512];
	/* Without root, cpio cannot mknod the console; it warns, extracts the
	 * rest and exits 0 or 2, so check the files ourselves. */
	snprintf(cmd, sizeof(cmd), "cd '%s' && cpio -idm --quiet --no-absolute-filenames < '%s' 2>/dev/null",
		 t.dir, t.archive);
	assert_true(system(cmd) != -1);

	char path[160];
	struct stat st;
	const char *dirs[] = {"dev", "proc", "sys", "newroot", "mvm"};
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", t.dir, dirs[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0755);
	}
	snprintf(path, sizeof(path), "%s/init", t.dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	size_t len;
	void *got = read_all(path, &len);
	assert_int_equal(len, init_len);
	assert_memory_equal(got, init, init_len);
	free(got);

	snprintf(path, sizeof(path), "%s/mvm/config", t.dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	if (geteuid() != 0)
		chmod(path, 0600); /* 0400 is readable by the owner anyway */
	got = read_all(path, &len);
	assert_int_equal(len, cfg_len);
	if (cfg_len)
		assert_memory_equal(got, cfg, cfg_len);
	free(got);

	snprintf(path, sizeof(path), "%s/dev/console", t.dir);
	if (geteuid() == 0) {
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(major(st.st_rdev), 5);
		assert_int_equal(minor(st.st_rdev), 1);
	}
	cleanup(&t);
	free(init);
	free(cfg);
}

static void test_extract_sizes(void **state)
{
	size_t sizes[][2] = {{1, 0}, {1, 1}, {2, 3}, {4, 4}, {5, 7}, {4095, 4097}, {100003, 16}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_extract(sizes[i][0], sizes[i][1]);
}

/* The kernel's own parser (init/initramfs.c) insists on what GNU cpio
 * tolerates: check the raw layout of the first entry and the trailer. */
static void test_raw_layout(void **state)
{
	void *out;
	size_t len;
	mvm_error *err = NULL;
	assert_int_equal(initramfs_build("x", 1, "c", 1, &out, &len, &err), 0);
	const char *a = out;
	/* First entry: "dev", ino 1, mode 040755, nlink 2, namesize 4. */
	assert_memory_equal(a, "070701" "00000001" "000041ED" "00000000" "00000000" "00000002", 46);
	assert_memory_equal(a + 94, "00000004", 8);
	assert_memory_equal(a + 110, "dev\0", 4);
	/* 110 + 4 = 114 -> next header at 116. */
	assert_memory_equal(a + 116, "070701", 6);
	/* The archive ends with the trailer's name: 110 + 11 bytes, padded by 3. */
	const char *tail = a + len - 14;
	assert_memory_equal(tail, "TRAILER!!!\0\0\0\0", 14);
	assert_memory_equal(tail - 110, "070701" "00000000", 14);
	free(out);
}

static void test_rejects(void **state)
{
	void *out = NULL;
	size_t len = 0;
	mvm_error *err = NULL;
	assert_int_equal(initramfs_build(NULL, 0, "c", 1, &out, &len, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "init binary is empty"));
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(initramfs_build("x", (size_t)UINT32_MAX + 1, "c", 1, &out, &len, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "4 GiB"));
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(initramfs_build("x", 1, NULL, 3, &out, &len, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "NULL"));
	mvm_error_free(err);
	assert_null(out);
}

/* The embedded binary is the static x86-64 ELF executable of mvm-init. */
static void test_embedded_init(void **state)
{
	size_t len = 0;
	const unsigned char *bin = mvm_init_binary(&len);
	assert_true(len > 4096);
	assert_memory_equal(bin, "\x7f" "ELF", 4);
	assert_int_equal(bin[4], 2);                    /* ELFCLASS64 */
	assert_int_equal(bin[16] | bin[17] << 8, 2);    /* ET_EXEC: static, not PIE */
	assert_int_equal(bin[18] | bin[19] << 8, 62);   /* EM_X86_64 */
	size_t file_len;
	void *file = read_all("build/mvm-init", &file_len);
	assert_int_equal(file_len, len);
	assert_memory_equal(file, bin, len);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_extract_sizes),
		cmocka_unit_test(test_raw_layout),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_embedded_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
