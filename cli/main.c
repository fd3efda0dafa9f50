/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-core: the whole CLI (the `mvm` front, front.c, hands it every
 * command it does not serve itself). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("no command given (see `mvm --help`)");
		return EXIT_MVM_ERROR;
	}
	const char *cmd = argv[1];
	int status;
	if (cli_help_or_version(cmd, &status))
		return status;
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc - 1, argv + 1);
	if (strcmp(cmd, "create") == 0)
		return cmd_create(argc - 1, argv + 1);
	if (strcmp(cmd, "start") == 0)
		return cmd_start(argc - 1, argv + 1);
	if (strcmp(cmd, "stop") == 0)
		return cmd_stop(argc - 1, argv + 1);
	if (strcmp(cmd, "rm") == 0)
		return cmd_rm(argc - 1, argv + 1);
	if (strcmp(cmd, "ps") == 0)
		return cmd_ps(argc - 1, argv + 1);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(argc - 1, argv + 1);
	if (strcmp(cmd, "logs") == 0)
		return cmd_logs(argc - 1, argv + 1);
	if (strcmp(cmd, "cp") == 0)
		return cmd_cp(argc - 1, argv + 1);
	if (strcmp(cmd, "pull") == 0)
		return cmd_pull(argc - 1, argv + 1);
	if (strcmp(cmd, "load") == 0)
		return cmd_load(argc - 1, argv + 1);
	if (strcmp(cmd, "images") == 0)
		return cmd_images(argc - 1, argv + 1);
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(argc - 1, argv + 1);
	if (strcmp(cmd, "rmi") == 0)
		return cmd_rmi(argc - 1, argv + 1);
	if (strcmp(cmd, "image") == 0)
		return cmd_image(argc - 1, argv + 1);
	if (strcmp(cmd, "kvm-probe") == 0)
		return cmd_kvm_probe();
	cli_error("unknown command `%s` (see `mvm --help`)", cmd);
	return EXIT_MVM_ERROR;
}
