/* SPDX-License-Identifier: Apache-2.0 */
/* The iovec reader and writer under the FUSE server: bounds, splits,
 * strings across iovec boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuse/fuse_req.h"

#include <string.h>

static void test_read_across_iovecs(void **state)
{
	(void)state;
	char a[] = "0123", b[] = "", c[] = "456789";
	struct iovec iov[3] = {{a, 4}, {b, 0}, {c, 6}};
	struct fuse_reader r;
	fuse_reader_init(&r, iov, 3, 10);
	char out[8] = {0};
	assert_true(fuse_read(&r, out, 6));
	assert_memory_equal(out, "012345", 6);
	assert_false(fuse_read(&r, out, 5)); /* only 4 left: nothing consumed */
	assert_int_equal(r.remaining, 4);
	assert_true(fuse_skip(&r, 1));
	struct iovec d[4];
	assert_int_equal(fuse_reader_iov(&r, 3, d, 4), 1);
	assert_ptr_equal(d[0].iov_base, c + 3);
	assert_int_equal(fuse_reader_iov(&r, 4, d, 4), -1);
	/* The limit, not the iovecs, bounds the reader. */
	fuse_reader_init(&r, iov, 3, 5);
	assert_false(fuse_read(&r, out, 6));
	assert_int_equal(fuse_reader_iov(&r, 6, d, 4), -1);
	assert_int_equal(fuse_reader_iov(&r, 5, d, 1), -1); /* needs 2 pieces */
	assert_int_equal(fuse_reader_iov(&r, 5, d, 2), 2);
}

static void test_strings(void **state)
{
	(void)state;
	char a[] = {'a', 'b'}, b[] = {'c', '\0', 'x', 'y'};
	struct iovec iov[2] = {{a, 2}, {b, 4}};
	struct fuse_reader r;
	fuse_reader_init(&r, iov, 2, 6);
	char buf[8];
	assert_int_equal(fuse_read_string(&r, buf, 2), FUSE_STR_TOO_LONG);
	assert_int_equal(r.remaining, 6); /* untouched on failure */
	assert_int_equal(fuse_read_string(&r, buf, 7), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(r.remaining, 2);
	/* "xy" has no NUL before the end. */
	assert_int_equal(fuse_read_string(&r, buf, 7), FUSE_STR_UNTERMINATED);
	/* A NUL beyond the limit does not count. */
	fuse_reader_init(&r, iov, 2, 3);
	assert_int_equal(fuse_read_string(&r, buf, 7), FUSE_STR_UNTERMINATED);
	fuse_reader_init(&r, iov, 2, 0);
	assert_int_equal(fuse_read_string(&r, buf, 7), FUSE_STR_UNTERMINATED);
}

static void test_writer(void **state)
{
	(void)state;
	char a[3], b[5];
	struct iovec iov[2] = {{a, 3}, {b, 5}};
	struct fuse_writer w;
	fuse_writer_init(&w, iov, 2, 8);
	assert_true(fuse_writer_advance(&w, 2));
	assert_true(fuse_write(&w, "XYZ", 3));
	assert_int_equal(a[2], 'X');
	assert_memory_equal(b, "YZ", 2);
	assert_false(fuse_write(&w, "1234", 4)); /* 3 left */
	assert_int_equal(fuse_writer_space(&w), 3);
	struct iovec d[2];
	assert_int_equal(fuse_writer_iov(&w, 3, d, 2), 1);
	assert_ptr_equal(d[0].iov_base, b + 2);
	assert_int_equal(fuse_writer_iov(&w, 4, d, 2), -1);
	assert_true(fuse_write_at(&w, 0, "ab", 2));
	assert_memory_equal(a, "ab", 2);
	assert_false(fuse_write_at(&w, 4, "ab", 2)); /* beyond what was written */
	assert_false(fuse_write_at(&w, SIZE_MAX, "ab", 2));
	assert_false(fuse_writer_advance(&w, 4));
}

static void test_iov_total(void **state)
{
	(void)state;
	struct iovec iov[2] = {{NULL, SIZE_MAX}, {NULL, 1}};
	size_t t;
	assert_false(fuse_iov_total(iov, 2, &t));
	assert_true(fuse_iov_total(iov, 1, &t));
	assert_int_equal(t, SIZE_MAX);
	assert_false(fuse_iov_total(iov, -1, &t));
	assert_false(fuse_iov_total(NULL, 1, &t));
	assert_true(fuse_iov_total(NULL, 0, &t));
	assert_int_equal(t, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_across_iovecs),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_writer),
	    cmocka_unit_test(test_iov_total),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
