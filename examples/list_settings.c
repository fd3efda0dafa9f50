/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference's examples of the list settings' string forms:
 *   mapped_dirs(["/data:/mnt/data", "./:/app", "/shared"])
 *   port_map(["8080:80", "2222:22", "3000"])
 *   rlimits(["RLIMIT_NOFILE=1024:1024"])
 *   env(["APP_ENV=production", "LOG_LEVEL=info", "TZ=UTC",
 *        "ALLOWED_HOSTS=localhost,127.0.0.1"])
 * parsed with the C parsers and printed in their typed form. Then the same
 * strings go into a builder, as MicroVmBuilder::default().port_map(...)
 * does, without build() (the paths need not exist). Exits 0 if all parse.
 */
#include <mvm.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int report(mvm_error *err)
{
	for (size_t i = 0; i < mvm_error_count(err); i++)
		fprintf(stderr, "list_settings: %s\n", mvm_error_message_at(err, i));
	int failed = err != NULL;
	mvm_error_free(err);
	return failed;
}

static int show_mapped_dirs(void)
{
	const char *specs[] = {"/data:/mnt/data", "./:/app", "/shared"};
	mvm_error *err = NULL;
	for (size_t i = 0; i < 3; i++) {
		mvm_path_pair p;
		if (mvm_path_pair_parse(specs[i], &p, &err) < 0)
			continue;
		printf("mapped dir %-16s host=%s guest=%s\n", specs[i], p.host, p.guest);
		mvm_path_pair_clear(&p);
	}
	return report(err);
}

static int show_ports(void)
{
	const char *specs[] = {"8080:80", "2222:22", "3000"};
	mvm_error *err = NULL;
	for (size_t i = 0; i < 3; i++) {
		mvm_port_pair p;
		if (mvm_port_pair_parse(specs[i], &p, &err) == 0)
			printf("port map   %-16s host=%u guest=%u\n", specs[i], p.host, p.guest);
	}
	return report(err);
}

static int show_rlimits(void)
{
	const char *specs[] = {"RLIMIT_NOFILE=1024:1024", "7=1024:4096"};
	mvm_error *err = NULL;
	for (size_t i = 0; i < 2; i++) {
		mvm_rlimit r;
		if (mvm_rlimit_parse(specs[i], &r, &err) == 0)
			printf("rlimit     %-24s %s soft=%" PRIu64 " hard=%" PRIu64 "\n", specs[i],
			       mvm_rlimit_name(r.resource), r.soft, r.hard);
	}
	return report(err);
}

static int show_env(void)
{
	const char *specs[] = {"APP_ENV=production", "LOG_LEVEL=info", "TZ=UTC",
			       "ALLOWED_HOSTS=localhost,127.0.0.1"};
	mvm_error *err = NULL;
	for (size_t i = 0; i < 4; i++) {
		mvm_env_pair e;
		if (mvm_env_pair_parse(specs[i], &e, &err) < 0)
			continue;
		printf("env        key=%s value=%s\n", e.key, e.value);
		mvm_env_pair_clear(&e);
	}
	return report(err);
}

/* The setter-only snippets: workdir_path, exec_path, args, console_output. */
static int fill_builder(void)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	const char *const args[] = {"-m", "http.server", "8080", "--directory", "/data"};
	mvm_builder_port_map(b, "8080:80", &err);
	mvm_builder_port_map(b, "2222:22", &err);
	mvm_builder_port_map(b, "3000", &err);
	mvm_builder_rlimit(b, "RLIMIT_NOFILE=1024:1024", &err);
	mvm_builder_workdir_path(b, "/path/to/workdir", &err);
	mvm_builder_exec_path(b, "/usr/local/bin/myapp", &err);
	mvm_builder_args(b, args, 5, &err);
	mvm_builder_console_output(b, "/var/log/microvm.log", &err);
	mvm_builder_free(b);
	return report(err);
}

int main(void)
{
	int failed =
	    show_mapped_dirs() | show_ports() | show_rlimits() | show_env() | fill_builder();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
