/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference's build() notes: "The build will fail if required
 * configuration is missing / if the root path doesn't exist / if RAM or vCPU
 * values are invalid". Each case must fail with a message naming the
 * problem; one builder with all of them gets all of them in one error.
 * Exits 0 when every expectation holds.
 */
#include <mvm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int expect_failure(const char *what, mvm_builder *b, size_t problems, const char *needle)
{
	mvm_error *err = NULL;
	mvm_vm *vm = mvm_builder_build(b, &err);
	int ok = vm == NULL && mvm_error_count(err) == problems;
	if (ok && needle != NULL)
		ok = strstr(mvm_error_get_message(err), needle) != NULL;
	printf("%-28s %s\n", what, ok ? "fails as expected:" : "UNEXPECTED RESULT:");
	for (size_t i = 0; i < mvm_error_count(err); i++)
		printf("    %s\n", mvm_error_message_at(err, i));
	mvm_error_free(err);
	mvm_vm_free(vm);
	mvm_builder_free(b);
	return ok ? 0 : 1;
}

static mvm_builder *with(const char *root, uint32_t ram, unsigned vcpus)
{
	mvm_builder *b = mvm_builder_new();
	if (root)
		mvm_builder_root_path(b, root, NULL);
	if (ram != UINT32_MAX)
		mvm_builder_ram_mib(b, ram, NULL);
	mvm_builder_num_vcpus(b, vcpus, NULL);
	return b;
}

int main(void)
{
	int failed = 0;
	failed |= expect_failure("missing root path", with(NULL, 512, 1), 1, "root path");
	failed |= expect_failure("missing RAM", with("/tmp", UINT32_MAX, 1), 1, "RAM");
	failed |= expect_failure("root path does not exist", with("/nonexistent/root", 512, 1), 1,
				 "/nonexistent/root");
	failed |= expect_failure("zero RAM", with("/tmp", 0, 1), 1, "RAM size 0");
	failed |= expect_failure("zero vCPUs", with("/tmp", 512, 0), 1, "vCPU count 0");
	failed |= expect_failure("everything at once", with("/nonexistent/root", 0, 0), 3, NULL);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
