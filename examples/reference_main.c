/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The main example of the reference's MicroVmBuilder page, through the C API:
 *
 *   MicroVmBuilder::default()
 *       .log_level(LogLevel::Debug).root_path("/tmp").num_vcpus(2).ram_mib(1024)
 *       .mapped_dirs(["/home:/guest/mount".parse()?]).port_map(["8080:80".parse()?])
 *       .rlimits(["RLIMIT_NOFILE=1024:1024".parse()?]).workdir_path("/workdir")
 *       .exec_path("/bin/example").args(["arg1", "arg2"])
 *       .env(["KEY1=VALUE1".parse()?, "KEY2=VALUE2".parse()?])
 *       .console_output("/tmp/console.log").build()?;
 *
 * Prints the built configuration as JSON and exits 0.
 */
#include <mvm.h>

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	if (b == NULL)
		return 1;
	/* Setters append problems to err; build() adds its own. */
	mvm_builder_log_level(b, MVM_LOG_DEBUG, &err);
	mvm_builder_root_path(b, "/tmp", &err);
	mvm_builder_num_vcpus(b, 2, &err);
	mvm_builder_ram_mib(b, 1024, &err);
	mvm_builder_mapped_dir(b, "/home:/guest/mount", &err);
	mvm_builder_port_map(b, "8080:80", &err);
	mvm_builder_rlimit(b, "RLIMIT_NOFILE=1024:1024", &err);
	mvm_builder_workdir_path(b, "/workdir", &err);
	mvm_builder_exec_path(b, "/bin/example", &err);
	const char *const args[] = {"arg1", "arg2"};
	mvm_builder_args(b, args, 2, &err);
	mvm_builder_env(b, "KEY1=VALUE1", &err);
	mvm_builder_env(b, "KEY2=VALUE2", &err);
	mvm_builder_console_output(b, "/tmp/console.log", &err);
	mvm_vm *vm = mvm_builder_build(b, &err);
	mvm_builder_free(b);

	char *json = vm ? mvm_vm_config_json(vm, &err) : NULL;
	int status = EXIT_SUCCESS;
	if (err != NULL) {
		for (size_t i = 0; i < mvm_error_count(err); i++)
			fprintf(stderr, "reference_main: %s\n", mvm_error_message_at(err, i));
		status = EXIT_FAILURE;
	} else {
		puts(json);
	}
	free(json);
	mvm_error_free(err);
	mvm_vm_free(vm);
	return status;
}
