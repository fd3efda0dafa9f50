/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference's per-setting examples that build a VM on a TempDir root:
 * log_level(Debug), root_path, num_vcpus(2), ram_mib(1024), and build()
 * with exec_path("/usr/bin/python3") and args(["-c", "print('Hello from
 * MicroVm!')"]). A mkdtemp() directory stands in for TempDir.
 * Prints one JSON line per VM and exits 0 when all four build.
 */
#include <mvm.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum variant { LOG_DEBUG, ROOT_ONLY, TWO_VCPUS, PYTHON_EXEC, N_VARIANTS };

static int build_and_print(const char *root, enum variant v)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	if (b == NULL)
		return -1;
	if (v == LOG_DEBUG)
		mvm_builder_log_level(b, MVM_LOG_DEBUG, &err);
	mvm_builder_root_path(b, root, &err);
	mvm_builder_ram_mib(b, 1024, &err);
	if (v == TWO_VCPUS)
		mvm_builder_num_vcpus(b, 2, &err);
	if (v == PYTHON_EXEC) {
		const char *const args[] = {"-c", "print('Hello from MicroVm!')"};
		mvm_builder_exec_path(b, "/usr/bin/python3", &err);
		mvm_builder_args(b, args, 2, &err);
	}
	mvm_vm *vm = mvm_builder_build(b, &err);
	char *json = vm ? mvm_vm_config_json(vm, &err) : NULL;
	if (json)
		puts(json);
	for (size_t i = 0; i < mvm_error_count(err); i++)
		fprintf(stderr, "temp_root: %s\n", mvm_error_message_at(err, i));
	int r = err ? -1 : 0;
	free(json);
	mvm_error_free(err);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return r;
}

int main(void)
{
	char root[] = "/tmp/mvm-example-XXXXXX";
	if (mkdtemp(root) == NULL) {
		perror("temp_root: mkdtemp");
		return EXIT_FAILURE;
	}
	int failed = 0;
	for (int v = 0; v < N_VARIANTS; v++)
		failed |= build_and_print(root, (enum variant)v) < 0;
	rmdir(root);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
