/* SPDX-License-Identifier: Apache-2.0 */
/* Starting the VM. Booting lands with the VMM; until then `mvm run` without
 * --dry-run says so instead of pretending. */
#include "cli.h"

int run_vm(mvm_vm *vm)
{
	cli_error("starting VMs is not implemented yet");
	return EXIT_MVM_ERROR;
}
