/* SPDX-License-Identifier: Apache-2.0 */
/* No global state: builders in separate threads build separate VMs, each
 * with its own settings, problems and log lines. */
#include "test_util.h"

#include <pthread.h>

#define THREADS 8
#define ROUNDS 200

struct worker {
	int id;
	int log_lines;
	int failures; /* a count, not cmocka asserts: those are not thread-safe */
};

static void count_line(void *userdata, mvm_log_level level, const char *msg)
{
	struct worker *w = userdata;
	w->log_lines++;
}

static int one_round(struct worker *w, int round)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	char spec[64], want[128];
	mvm_builder_log_callback(b, count_line, w, &err);
	mvm_builder_log_level(b, MVM_LOG_DEBUG, &err);
	mvm_builder_root_path(b, "/", &err);
	mvm_builder_ram_mib(b, (uint32_t)(w->id * 1000 + round + 1), &err);
	snprintf(spec, sizeof(spec), "%d:%d", 1000 + w->id, 2000 + round);
	mvm_builder_port_map(b, spec, &err);
	/* Every other round carries a per-thread problem. */
	if (round % 2)
		mvm_builder_num_vcpus(b, (unsigned)(300 + w->id), &err);
	int ok = err == NULL;
	mvm_vm *vm = mvm_builder_build(b, &err);
	if (round % 2) {
		snprintf(want, sizeof(want), "vCPU count %d", 300 + w->id);
		ok = ok && vm == NULL && mvm_error_count(err) == 1 && error_mentions(err, want);
	} else {
		char *json = vm ? mvm_vm_config_json(vm, &err) : NULL;
		snprintf(want, sizeof(want), "\"ram_mib\":%d,", w->id * 1000 + round + 1);
		ok = ok && json && strstr(json, want);
		snprintf(want, sizeof(want), "{\"host\":%d,\"guest\":%d}", 1000 + w->id,
			 2000 + round);
		ok = ok && json && strstr(json, want);
		free(json);
	}
	mvm_error_free(err);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return ok;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int r = 0; r < ROUNDS; r++)
		if (!one_round(w, r))
			w->failures++;
	return NULL;
}

static void test_builders_in_threads(void **state)
{
	pthread_t t[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.id = i + 1};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].failures, 0);
		/* Each successful build logged one debug line, to its own
		 * callback only; failed builds log their problem count. */
		assert_int_equal(w[i].log_lines, ROUNDS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builders_in_threads),
	};
	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
