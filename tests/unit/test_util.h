/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests (header only: every test_*.c is its own
 * binary). */
#ifndef MVM_TEST_UTIL_H
#define MVM_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mvm.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* True if any problem in err contains needle. */
static inline int error_mentions(const mvm_error *err, const char *needle)
{
	for (size_t i = 0; i < mvm_error_count(err); i++)
		if (strstr(mvm_error_message_at(err, i), needle))
			return 1;
	return 0;
}

static inline void print_problems(const mvm_error *err)
{
	for (size_t i = 0; i < mvm_error_count(err); i++)
		print_message("  problem %zu: %s\n", i, mvm_error_message_at(err, i));
}

/* Fails the test, listing every problem, unless one message has all the
 * given needles (NULL-terminated). */
#define assert_error_has(err, ...) assert_error_has_impl((err), __VA_ARGS__, (const char *)NULL)
static inline void assert_error_has_impl(const mvm_error *err, ...)
{
	for (size_t i = 0; i < mvm_error_count(err); i++) {
		const char *msg = mvm_error_message_at(err, i);
		va_list ap;
		va_start(ap, err);
		const char *needle;
		int all = 1;
		while ((needle = va_arg(ap, const char *)) != NULL)
			all = all && strstr(msg, needle) != NULL;
		va_end(ap);
		if (all)
			return;
	}
	print_problems(err);
	fail_msg("no problem mentions all the expected words");
}

/* err holds exactly one MVM_ERR_INVALID problem, which quotes `value` and
 * mentions why; err is freed. */
static inline void assert_one_problem_quoting(mvm_error *err, const char *value, const char *why)
{
	char quoted[4200];
	snprintf(quoted, sizeof(quoted), "`%s`", value);
	if (mvm_error_count(err) != 1)
		print_problems(err);
	assert_int_equal(mvm_error_count(err), 1);
	assert_int_equal(mvm_error_get_code(err), MVM_ERR_INVALID);
	assert_error_has(err, quoted, why);
	mvm_error_free(err);
}

/* A fresh directory under $TMPDIR (or /tmp); caller frees and removes. */
static inline char *make_temp_dir(void)
{
	const char *base = getenv("TMPDIR");
	char *path = NULL;
	assert_true(asprintf(&path, "%s/mvm-test-XXXXXX", base ? base : "/tmp") > 0);
	assert_non_null(mkdtemp(path));
	return path;
}

static inline int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

static inline void remove_tree(char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

/* A builder with the two required settings, root and RAM. */
static inline mvm_builder *minimal_builder(const char *root)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	assert_non_null(b);
	assert_int_equal(mvm_builder_root_path(b, root, &err), 0);
	assert_int_equal(mvm_builder_ram_mib(b, 64, &err), 0);
	assert_null(err);
	return b;
}

/* Builds b, expecting failure; returns the error (caller frees). */
static inline mvm_error *build_fails(const mvm_builder *b)
{
	mvm_error *err = NULL;
	mvm_vm *vm = mvm_builder_build(b, &err);
	if (vm != NULL) {
		mvm_vm_free(vm);
		fail_msg("build() succeeded but should have failed");
	}
	assert_non_null(err);
	return err;
}

static inline mvm_vm *build_ok(const mvm_builder *b)
{
	mvm_error *err = NULL;
	mvm_vm *vm = mvm_builder_build(b, &err);
	if (vm == NULL) {
		print_problems(err);
		mvm_error_free(err);
		fail_msg("build() failed");
	}
	assert_null(err);
	return vm;
}

#endif
