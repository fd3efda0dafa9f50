/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

#include <stdlib.h>

int cmd_kvm_probe(void)
{
	mvm_error *err = NULL;
	if (mvm_kvm_probe(&err) < 0) {
		cli_print_errors(err);
		mvm_error_free(err);
		return EXIT_MVM_ERROR;
	}
	puts("mvm: KVM can run guests");
	return EXIT_SUCCESS;
}
