/* SPDX-License-Identifier: Apache-2.0 */
/* Four threads hammer one server: private files, a shared file, lookups
 * racing FORGETs, and READs racing RELEASE of the same handle. Run under
 * ASan, a use-after-free or double close shows up as a crash. */
#include "test_fuse_harness.h"

#include <pthread.h>

#define THREADS 4
#define ROUNDS 300

struct worker {
	struct fx *f;
	int id;
	int failures;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct fx *f = w->f;
	char name[32], data[64];
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(name, sizeof(name), "t%d-%d", w->id, i % 7);
		struct fuse_entry_out e;
		uint64_t fh;
		int rc = fx_create(f, FUSE_ROOT_ID, name, O_RDWR | O_TRUNC, 0644, &e, &fh);
		if (rc) {
			w->failures++;
			continue;
		}
		int len = snprintf(data, sizeof(data), "thread %d round %d", w->id, i);
		uint32_t written = 0;
		if (fx_write(f, e.nodeid, fh, 0, data, (size_t)len, &written) ||
		    written != (uint32_t)len)
			w->failures++;
		if (fx_read(f, FUSE_READ, e.nodeid, fh, 0, 64) != len ||
		    memcmp(fx_r.body, data, (size_t)len) != 0)
			w->failures++;
		/* The shared file: everyone looks it up, reads it and forgets it. */
		struct fuse_entry_out s;
		if (fx_lookup(f, FUSE_ROOT_ID, "shared", &s) == 0) {
			uint64_t sfh;
			if (fx_open(f, FUSE_OPEN, s.nodeid, O_RDONLY, &sfh) == 0) {
				if (fx_read(f, FUSE_READ, s.nodeid, sfh, 0, 64) != 6)
					w->failures++;
				fx_release(f, FUSE_RELEASE, s.nodeid, sfh);
			}
			fx_getattr(f, s.nodeid, NULL);
			fx_forget(f, s.nodeid, 1);
		} else {
			w->failures++;
		}
		if (fx_release(f, FUSE_RELEASE, e.nodeid, fh))
			w->failures++;
		if (i % 3 == 0 && fx_name_op(f, FUSE_UNLINK, FUSE_ROOT_ID, name))
			w->failures++;
		/* Drop the lookup CREATE gave us. */
		fx_forget(f, e.nodeid, 1);
	}
	return NULL;
}

static void test_four_threads(void **state)
{
	struct fx *f = *state;
	fx_write_host(f, "shared", "SHARED");
	pthread_t t[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.f = f, .id = i};
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	/* Every lookup was forgotten and every handle released. */
	assert_int_equal(inode_table_count(&f->s->inodes), 1);
	assert_int_equal(handle_table_count(&f->s->handles), 0);
	/* Last writes of each thread are on the host. */
	for (int i = 0; i < THREADS; i++) {
		char p[256], rel[32], buf[64] = {0};
		snprintf(rel, sizeof(rel), "t%d-%d", i, (ROUNDS - 1) % 7);
		fx_path(f, rel, p, sizeof(p));
		int fd = open(p, O_RDONLY);
		assert_true(fd >= 0);
		assert_true(read(fd, buf, sizeof(buf)) > 0);
		close(fd);
		char want[64];
		snprintf(want, sizeof(want), "thread %d round %d", i, ROUNDS - 1);
		assert_string_equal(buf, want);
	}
}

struct racer {
	struct fx *f;
	uint64_t nodeid;
	uint64_t fh;
	int ok_reads;
	int ebadf_reads;
	int other;
};

static void *reader(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < 2000; i++) {
		long n = fx_read(r->f, FUSE_READ, r->nodeid, r->fh, 0, 16);
		if (n == 4)
			r->ok_reads++;
		else if (n == -EBADF)
			r->ebadf_reads++;
		else
			r->other++;
	}
	return NULL;
}

static void *releaser(void *arg)
{
	struct racer *r = arg;
	usleep(2000);
	fx_release(r->f, FUSE_RELEASE, r->nodeid, r->fh);
	/* Churn fds so that a freed fd number would be reused at once. */
	for (int i = 0; i < 200; i++) {
		struct fuse_entry_out e;
		uint64_t fh;
		if (fx_create(r->f, FUSE_ROOT_ID, "churn", O_RDWR, 0644, &e, &fh) == 0) {
			fx_release(r->f, FUSE_RELEASE, e.nodeid, fh);
			fx_forget(r->f, e.nodeid, 1);
		}
		/* Keep the inode coming and going under the readers. */
		fx_forget(r->f, r->nodeid, 1);
		fx_lookup(r->f, FUSE_ROOT_ID, "f", NULL);
	}
	return NULL;
}

static void test_release_races_read(void **state)
{
	struct fx *f = *state;
	fx_write_host(f, "f", "DATA");
	struct fuse_entry_out e;
	struct racer r = {.f = f};
	assert_int_equal(fx_lookup(f, FUSE_ROOT_ID, "f", &e), 0);
	r.nodeid = e.nodeid;
	assert_int_equal(fx_open(f, FUSE_OPEN, e.nodeid, O_RDONLY, &r.fh), 0);
	pthread_t a, b, c;
	struct racer r2 = r;
	assert_int_equal(pthread_create(&a, NULL, reader, &r), 0);
	assert_int_equal(pthread_create(&c, NULL, reader, &r2), 0);
	assert_int_equal(pthread_create(&b, NULL, releaser, &r), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	/* Each read either saw the file or a clean EBADF, never another file. */
	assert_int_equal(r.other, 0);
	assert_int_equal(r2.other, 0);
	assert_int_equal(r.ok_reads + r.ebadf_reads, 2000);
	assert_true(r.ebadf_reads > 0);
	assert_int_equal(handle_table_count(&f->s->handles), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_four_threads, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_release_races_read, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
