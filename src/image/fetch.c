/* SPDX-License-Identifier: Apache-2.0 */
/* Parallel blob downloads of one pull (fetch.h). */
#include "image/fetch.h"
#include "util/error.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Byte reports of one blob are at least this far apart (ns). */
#define REPORT_GAP_NS 100000000LL

struct item {
	struct digest d;
	uint64_t size, done, resumed;
	char kind[16];
	unsigned index, count;
	mvm_blob_state state;
	bool failed;
	mvm_error *err;
	long long last_report;
};

struct fetcher {
	struct registry *proto;
	struct store *s;
	struct fetch_report rep;
	unsigned jobs;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* an item finished, or one was queued */
	struct item *items;
	size_t n, cap, next; /* next: the first item no worker has taken */
	pthread_t threads[FETCH_MAX_JOBS];
	unsigned n_threads;
	bool stopping;
	atomic_bool cancel;
};

/* Under f->lock. */
static void report(struct fetcher *f, struct item *it)
{
	if (f->rep.blob == NULL)
		return;
	mvm_blob_progress p = {.digest = it->d.str,
			       .kind = it->kind,
			       .index = it->index,
			       .count = it->count,
			       .state = it->state,
			       .done = it->done,
			       .total = it->size,
			       .resumed = it->resumed};
	f->rep.blob(f->rep.ud, &p);
}

static void line_locked(struct fetcher *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_locked(struct fetcher *f, const char *fmt, ...)
{
	if (f->rep.line == NULL)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->rep.line(f->rep.ud, msg);
}

void fetcher_line(struct fetcher *f, const char *msg)
{
	pthread_mutex_lock(&f->lock);
	line_locked(f, "%s", msg);
	pthread_mutex_unlock(&f->lock);
}

struct progress_ctx {
	struct fetcher *f;
	size_t i;
};

static void on_bytes(void *ud, uint64_t done)
{
	struct progress_ctx *c = ud;
	struct fetcher *f = c->f;
	pthread_mutex_lock(&f->lock);
	struct item *it = &f->items[c->i];
	it->done = done;
	long long t = clock_now_ns();
	if (t - it->last_report >= REPORT_GAP_NS) {
		it->last_report = t;
		report(f, it);
	}
	pthread_mutex_unlock(&f->lock);
}

struct worker_arg {
	struct fetcher *f;
	struct registry *r;
};

static void *worker(void *arg)
{
	struct worker_arg *a = arg;
	struct fetcher *f = a->f;
	struct registry *r = a->r;
	free(a);
	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->stopping && f->next == f->n)
			pthread_cond_wait(&f->changed, &f->lock);
		if (f->stopping)
			break;
		size_t i = f->next++;
		struct item *it = &f->items[i];
		if (it->state != MVM_BLOB_QUEUED)
			continue; /* the store had it */
		it->state = MVM_BLOB_FETCHING;
		it->last_report = clock_now_ns();
		report(f, it);
		struct digest d = it->d;
		uint64_t size = it->size, resumed = 0, got = 0;
		pthread_mutex_unlock(&f->lock);

		struct progress_ctx ctx = {f, i};
		struct blob_fetch bf = {.on_bytes = on_bytes, .ud = &ctx, .cancel = &f->cancel,
					.resumed = &resumed};
		mvm_error *err = NULL;
		int rc = registry_get_blob(r, f->s, &d, size, &bf, &got, &err);

		pthread_mutex_lock(&f->lock);
		it = &f->items[i];
		it->resumed = resumed;
		if (rc == 0) {
			it->state = MVM_BLOB_FETCHED;
			it->done = got;
			report(f, it);
			if (resumed)
				line_locked(f, "Fetched blob %.19s (%llu bytes, continuing at %llu)",
					    d.str, (unsigned long long)got,
					    (unsigned long long)resumed);
			else
				line_locked(f, "Fetched blob %.19s (%llu bytes)", d.str,
					    (unsigned long long)got);
		} else {
			it->failed = true;
			it->err = err;
		}
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->lock);
	registry_close(r);
	return NULL;
}

/* A worker thread more, with its own client. Under f->lock. */
static int spawn(struct fetcher *f, mvm_error **err)
{
	struct worker_arg *a = malloc(sizeof(*a));
	if (a == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	a->f = f;
	a->r = registry_clone(f->proto, err);
	if (a->r == NULL) {
		free(a);
		return -1;
	}
	int e = pthread_create(&f->threads[f->n_threads], NULL, worker, a);
	if (e != 0) {
		registry_close(a->r);
		free(a);
		return mvm_err(err, MVM_ERR_IO, e, "start a download thread");
	}
	f->n_threads++;
	return 0;
}

struct fetcher *fetcher_new(struct registry *proto, struct store *s, unsigned jobs,
			    const struct fetch_report *rep, mvm_error **err)
{
	if (jobs > FETCH_MAX_JOBS) {
		mvm_err(err, MVM_ERR_INVALID, 0, "%u parallel downloads: at most %u", jobs,
			FETCH_MAX_JOBS);
		return NULL;
	}
	struct fetcher *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	f->proto = proto;
	f->s = s;
	f->jobs = jobs ? jobs : FETCH_DEFAULT_JOBS;
	if (rep)
		f->rep = *rep;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->changed, NULL);
	atomic_init(&f->cancel, false);
	return f;
}

void fetcher_free(struct fetcher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	atomic_store(&f->cancel, true);
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
	for (unsigned i = 0; i < f->n_threads; i++)
		pthread_join(f->threads[i], NULL);
	for (size_t i = 0; i < f->n; i++)
		mvm_error_free(f->items[i].err);
	free(f->items);
	pthread_cond_destroy(&f->changed);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static struct item *find(struct fetcher *f, const struct digest *d)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].d.str, d->str) == 0)
			return &f->items[i];
	return NULL;
}

int fetcher_add(struct fetcher *f, const struct digest *d, uint64_t size, const char *kind,
		unsigned index, unsigned count, mvm_error **err)
{
	if (size == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "blob %s: its descriptor gives no size, so a download of it could "
			       "not be bounded",
			       d->str);
	pthread_mutex_lock(&f->lock);
	int rc = 0;
	if (find(f, d) != NULL)
		goto out;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct item *items = realloc(f->items, cap * sizeof(*items));
		if (items == NULL) {
			rc = mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
			goto out;
		}
		f->items = items;
		f->cap = cap;
	}
	struct item *it = &f->items[f->n];
	*it = (struct item){.d = *d, .size = size, .index = index, .count = count};
	snprintf(it->kind, sizeof(it->kind), "%s", kind);
	if (store_has_blob(f->s, d)) {
		/* Nothing to fetch: it goes straight past the workers. */
		it->state = MVM_BLOB_PRESENT;
		it->done = size;
		f->n++;
		report(f, it);
		goto out;
	}
	it->state = MVM_BLOB_QUEUED;
	f->n++;
	report(f, it);
	if (f->n_threads < f->jobs) {
		/* With one worker at least, the blob is fetched all the same. */
		mvm_error *serr = NULL;
		if (spawn(f, &serr) < 0 && f->n_threads == 0) {
			mvm_err_merge(err, &serr);
			rc = -1;
		}
		mvm_error_free(serr);
	}
	pthread_cond_broadcast(&f->changed);
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int fetcher_wait(struct fetcher *f, const struct digest *d, mvm_error **err)
{
	pthread_mutex_lock(&f->lock);
	struct item *it = find(f, d);
	int rc = 0;
	if (it == NULL) {
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "blob %s was never queued", d->str);
	} else {
		size_t i = (size_t)(it - f->items);
		/* items may move while we wait (realloc in fetcher_add): index. */
		while (!f->items[i].failed && (f->items[i].state == MVM_BLOB_QUEUED ||
					       f->items[i].state == MVM_BLOB_FETCHING))
			pthread_cond_wait(&f->changed, &f->lock);
		if (f->items[i].failed) {
			rc = f->items[i].err ? -1
					     : mvm_err(err, MVM_ERR_IO, 0, "blob %s: its download failed",
						       d->str);
			mvm_err_merge(err, &f->items[i].err);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void fetcher_unpacked(struct fetcher *f, const struct digest *d)
{
	pthread_mutex_lock(&f->lock);
	struct item *it = find(f, d);
	if (it) {
		it->state = MVM_BLOB_UNPACKED;
		report(f, it);
	}
	pthread_mutex_unlock(&f->lock);
}
