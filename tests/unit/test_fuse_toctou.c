/* SPDX-License-Identifier: Apache-2.0 */
/* A second vCPU rewrites the request while the server parses it. Here a
 * thread keeps flipping one byte of a LOOKUP name between NUL and '/':
 *   "sub" <T> "../../outside/secret" NUL
 * With T = NUL the name is "sub"; with T = '/' it has a slash and must be
 * refused. On 7dfb5e5 the server found the terminator in guest memory and
 * then copied the bytes again: when T changed in between, the copy held
 * "sub/" followed by the rest of an earlier copy still on the stack, and
 * openat() walked out to the secret. Whatever the timing, every answer must
 * be the entry of "sub" or EINVAL. */
#include "test_fuse_harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define RUN_SECONDS 2
#define MIN_ROUNDS 20000

struct flipper {
	unsigned char *byte;
	atomic_bool stop;
};

static void *flip(void *arg)
{
	struct flipper *fl = arg;
	while (!atomic_load_explicit(&fl->stop, memory_order_relaxed)) {
		__atomic_store_n(fl->byte, '/', __ATOMIC_RELAXED);
		__atomic_store_n(fl->byte, '\0', __ATOMIC_RELAXED);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_flipped_terminator_never_escapes(void **state)
{
	struct fx *f = *state;
	struct fuse_entry_out sub;
	assert_int_equal(fx_mkdir(f, FUSE_ROOT_ID, "sub", 0755, &sub), 0);
	char secret[160];
	snprintf(secret, sizeof(secret), "%s/secret", f->outside);
	struct stat sst;
	assert_int_equal(stat(secret, &sst), 0);

	static const char tail[] = "../../outside/secret";
	size_t name_len = 3 + 1 + sizeof(tail); /* "sub", T, tail with its NUL */
	size_t len = sizeof(struct fuse_in_header) + name_len;
	unsigned char *req = calloc(1, len);
	assert_non_null(req);
	struct fuse_in_header h = {
	    .len = (uint32_t)len, .opcode = FUSE_LOOKUP, .nodeid = FUSE_ROOT_ID, .pid = 1};
	unsigned char *name = req + sizeof(h);
	memcpy(name, "sub", 3);
	memcpy(name + 4, tail, sizeof(tail));
	struct flipper fl = {.byte = name + 3};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, flip, &fl), 0);

	unsigned char out[sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out)];
	long found = 0, refused = 0, escaped = 0, other = 0, rounds = 0;
	double end = now_s() + RUN_SECONDS;
	while (rounds < MIN_ROUNDS || now_s() < end) {
		h.unique = (uint64_t)++rounds;
		memcpy(req, &h, sizeof(h));
		struct iovec in = {req, len}, ov = {out, sizeof(out)};
		ssize_t n = fuse_server_handle(f->s, &in, 1, &ov, 1);
		struct fuse_out_header oh;
		assert_true(n >= (ssize_t)sizeof(oh));
		memcpy(&oh, out, sizeof(oh));
		if (oh.error == -EINVAL) {
			refused++;
			continue;
		}
		if (oh.error != 0) {
			other++;
			continue;
		}
		struct fuse_entry_out e;
		memcpy(&e, out + sizeof(oh), sizeof(e));
		if (e.attr.ino == sst.st_ino)
			escaped++;
		else if (e.nodeid == sub.nodeid)
			found++;
		else
			other++;
		/* Each successful lookup is one more the guest holds. */
		fx_forget(f, e.nodeid, 1);
	}
	atomic_store(&fl.stop, true);
	pthread_join(t, NULL);
	free(req);
	print_message("%ld rounds: %ld sub, %ld refused, %ld escaped, %ld other\n", rounds, found,
		      refused, escaped, other);
	assert_int_equal(escaped, 0);
	assert_int_equal(other, 0);
	/* Both names were really seen, so the race was really run. */
	assert_true(found > 0);
	assert_true(refused > 0);
	fx_assert_secret_intact(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_flipped_terminator_never_escapes, fx_setup,
					    fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
