/* SPDX-License-Identifier: Apache-2.0 */
/* Blobs of one pull fetched by a few threads at once, each with its own
 * registry client, while the pulling thread waits for them one by one in
 * the order it needs them (a layer is unpacked while the next ones
 * arrive). The fetcher also serialises the pull's progress callbacks,
 * which its threads and the pulling thread all call. */
#ifndef MVM_IMAGE_FETCH_H
#define MVM_IMAGE_FETCH_H

#include "image/digest.h"
#include "image/registry.h"
#include "image/store.h"

#ifndef FETCH_DEFAULT_JOBS
#define FETCH_DEFAULT_JOBS 3
#endif
#define FETCH_MAX_JOBS 16

struct fetch_report {
	void (*line)(void *ud, const char *msg);
	mvm_blob_progress_fn blob;
	void *ud;
};

struct fetcher;

/* proto is the pulling thread's client; each worker clones it. rep is
 * copied; jobs 0 means FETCH_DEFAULT_JOBS. */
struct fetcher *fetcher_new(struct registry *proto, struct store *s, unsigned jobs,
			    const struct fetch_report *rep, mvm_error **err);
/* Cancels what is still running, joins the threads, frees f. */
void fetcher_free(struct fetcher *f);

/* Queues blob d of size bytes (its descriptor's; 0 refused) unless the
 * store has it or it is queued already. kind, index and count are what
 * progress reports show (index 0: not a layer). */
int fetcher_add(struct fetcher *f, const struct digest *d, uint64_t size, const char *kind,
		unsigned index, unsigned count, mvm_error **err);
/* Blocks until d (added before) is in the store; its error if it failed. */
int fetcher_wait(struct fetcher *f, const struct digest *d, mvm_error **err);
/* Reports a layer unpacked. */
void fetcher_unpacked(struct fetcher *f, const struct digest *d);
/* A progress line, in turn with the workers'. */
void fetcher_line(struct fetcher *f, const char *msg);

#endif
