/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `mvm run`'s command line (cli/run_options.c) and what it feeds: the input
 * is split at NUL bytes into argv ("run" first), parsed into a builder as
 * cmd_run() does, then the settings are validated (build()'s checks, which
 * only look at the host filesystem) and, when valid, printed as the
 * --dry-run JSON, which must stay one line of printable bytes whatever the
 * user typed. build() itself is not called: it would create a VM.
 */
#include "fuzz_common.h"
#include "cli/cli.h"
#include "config/builder.h"
#include "config/config_json.h"
#include "config/validate.h"

#define MAX_ARGS 64

/* cli/report.c prints; the fuzzer only needs the count run_options keeps. */
void cli_error(const char *fmt, ...)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Each argument its own allocation, so that ASan sees a read past
	 * one. */
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = strdup("run");
	size_t start = 0;
	for (size_t i = 0; i <= size && argc < MAX_ARGS; i++) {
		if (i == size || data[i] == '\0') {
			argv[argc] = malloc(i - start + 1);
			FZ_CHECK(argv[argc] != NULL);
			memcpy(argv[argc], data + start, i - start);
			argv[argc][i - start] = '\0';
			argc++;
			start = i + 1;
		}
	}
	argv[argc] = NULL;

	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	FZ_CHECK(b != NULL);
	mvm_builder_ram_mib(b, 512, &err);
	struct run_options o;
	run_options_parse(argc, argv, b, &o, &err);
	FZ_CHECK(o.exec_index >= 1 && o.exec_index <= argc);
	if (o.exec_index < argc) {
		mvm_builder_exec_path(b, argv[o.exec_index], &err);
		mvm_builder_args(b, (const char *const *)argv + o.exec_index + 1,
				 (size_t)(argc - o.exec_index - 1), &err);
	}
	struct mvm_config cfg;
	if (mvm_config_copy(&cfg, &b->cfg, &err) == 0) {
		if (config_validate(&cfg, &err) == 0) {
			char *json = config_json(&cfg, &err);
			if (json != NULL) {
				for (const char *p = json; *p; p++)
					FZ_CHECK((unsigned char)*p >= 0x20);
				free(json);
			}
		}
		mvm_config_clear(&cfg);
	}
	mvm_error_free(err);
	mvm_builder_free(b);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
