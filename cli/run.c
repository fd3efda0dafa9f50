/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm run`: options -> builder -> build() -> dry run or start. */
#include "cli.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* EXEC and its arguments; without EXEC a root directory runs a shell and
 * an image its Entrypoint and Cmd, as `docker run IMAGE` does. */
static void set_program(mvm_builder *b, int argc, char **argv, const struct run_options *o,
			mvm_error **err)
{
	int exec_index = o->exec_index;
	if (exec_index >= argc) {
		/* An image brings its own command. */
		if (o->image == NULL)
			mvm_builder_exec_path(b, "/bin/sh", err);
		return;
	}
	mvm_builder_exec_path(b, argv[exec_index], err);
	mvm_builder_args(b, (const char *const *)argv + exec_index + 1,
			 (size_t)(argc - exec_index - 1), err);
}

/* -t: the guest's terminal starts at the size of ours. Without one there
 * is nothing to put in raw mode or to follow, as docker says ("the input
 * device is not a TTY"); a dry run needs none. */
static void set_tty(mvm_builder *b, struct run_options *o, mvm_error **err)
{
	struct winsize ws = {0};
	if (!isatty(STDIN_FILENO) && !o->dry_run) {
		cli_error("-t: stdin is not a terminal (drop -t, or run mvm from one)");
		o->n_errors++;
		return;
	}
	if (isatty(STDIN_FILENO))
		ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
	mvm_builder_tty(b, true, ws.ws_row, ws.ws_col, err);
}

static int print_config(const mvm_vm *vm)
{
	mvm_error *err = NULL;
	char *json = mvm_vm_config_json(vm, &err);
	if (json == NULL) {
		cli_print_errors(err);
		mvm_error_free(err);
		return EXIT_MVM_ERROR;
	}
	puts(json);
	free(json);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}

/* RUN: start it; CHECK: only build, for `mvm create` (what it learned in
 * *check); DETACH: start it in a process of its own, for `mvm start`. */
enum run_mode { RUN, CHECK, DETACH };

static int run_with(int argc, char **argv, enum run_mode mode, struct run_check *check,
		    const mvm_detach_options *detach, pid_t *pid)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	if (b == NULL) {
		cli_error("out of memory");
		return EXIT_MVM_ERROR;
	}
	mvm_builder_log_callback(b, cli_log, NULL, &err);
	mvm_builder_ram_mib(b, 512, &err); /* the CLI's default; --memory overrides */

	struct run_options o;
	run_options_parse(argc, argv, b, &o, &err);
	if (o.show_help) {
		usage_run(stdout);
		mvm_error_free(err);
		mvm_builder_free(b);
		return EXIT_SUCCESS;
	}
	set_program(b, argc, argv, &o, &err);
	if (o.tty)
		set_tty(b, &o, &err);

	/* Build even after bad options, so one run lists every problem. */
	mvm_vm *vm = mvm_builder_build(b, &err);
	mvm_builder_free(b);
	int status;
	if (check != NULL) {
		*check = (struct run_check){.image = o.image != NULL,
					    .tty = o.tty,
					    .dry_run = o.dry_run,
					    .exec_index = o.exec_index};
		if (vm != NULL && err == NULL && o.n_errors == 0)
			check->config_json = mvm_vm_config_json(vm, &err);
	}
	if (err != NULL || o.n_errors > 0)
		status = EXIT_MVM_ERROR;
	else if (mode == CHECK)
		status = EXIT_SUCCESS;
	else if (mode == DETACH)
		status = mvm_vm_spawn_detached(vm, detach, pid, &err) == 0 ? EXIT_SUCCESS
									  : EXIT_MVM_ERROR;
	else if (o.dry_run)
		status = print_config(vm);
	else
		status = run_vm(vm, o.tty);
	cli_print_errors(err);
	mvm_error_free(err);
	mvm_vm_free(vm);
	return status;
}

int cmd_run(int argc, char **argv)
{
	return run_with(argc, argv, RUN, NULL, NULL, NULL);
}

int cmd_run_check(int argc, char **argv, struct run_check *check)
{
	return run_with(argc, argv, CHECK, check, NULL, NULL);
}

int cmd_run_detached(int argc, char **argv, const mvm_detach_options *o, pid_t *pid)
{
	return run_with(argc, argv, DETACH, NULL, o, pid);
}
