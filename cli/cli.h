/* SPDX-License-Identifier: Apache-2.0 */
/* The mvm command line: declarations shared by the files in cli/. */
#ifndef MVM_CLI_H
#define MVM_CLI_H

#include "mvm.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* As docker run: 125 when mvm itself fails; 126 (cannot execute) and 127
 * (not found) are kept for the guest program; else the program's status. */
#define EXIT_MVM_ERROR 125
/* A thread of mvm made a system call its seccomp list forbids: 128 + SIGSYS,
 * the status of a process the signal had killed. */
#define EXIT_SECCOMP 159

/* `mvm run ...`; argv[0] is "run". Returns the process exit status. */
int cmd_run(int argc, char **argv);
/* The same options built but not started (`mvm create`): 0, or 125 after
 * printing every problem. *check says what they asked for. */
struct run_check {
	bool image;	/* an IMAGE operand, not --root */
	bool tty;	/* -t */
	bool dry_run;
	int exec_index; /* argv index of the IMAGE or EXEC operand's command */
	char *config_json; /* what run would start (mvm_vm_config_json); free() it */
};
int cmd_run_check(int argc, char **argv, struct run_check *check);
/* `mvm run ARGS` in a process of its own (mvm_vm_spawn_detached), for
 * `mvm start`: EXIT_SUCCESS with *pid once the VM runs, or an error. */
int cmd_run_detached(int argc, char **argv, const mvm_detach_options *o, pid_t *pid);
/* Named sandboxes (sandbox.c). */
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
/* `mvm cp` (cp.c). */
int cmd_cp(int argc, char **argv);
/* The vsock socket of running sandbox NAME into buf, or -1 after printing
 * why (no such sandbox, not running). */
int sandbox_socket(const char *name, char *buf, size_t len);
/* Its control socket (mvm_detached_stats()), the same way. */
int sandbox_control(const char *name, char *buf, size_t len);
/* The names of the running sandboxes, sorted; free each and the array. */
int sandbox_running(char ***names, size_t *n);
/* The environment sandbox NAME's program got ("KEY=VALUE" in *blob, NUL-
 * separated; *n of them, pointers in *env): the base of an exec's. 0, or
 * -1 after printing why. free() *env and *blob. */
int sandbox_env(const char *name, char ***env, size_t *n, char **blob);

/* `mvm load ...` and `mvm images ...` (image.c); argv[0] is the command. */
int cmd_load(int argc, char **argv);
int cmd_images(int argc, char **argv);
/* `mvm inspect`, `mvm rmi` and `mvm image ls|inspect|rm|prune|load`. */
int cmd_inspect(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_pull(int argc, char **argv);
/* `mvm exec` (exec.c). */
int cmd_exec(int argc, char **argv);

/* getopt_long quietly; returns the option, or prints and returns -2 on an
 * unknown option or a missing argument. (image.c) */
int cli_next_opt(int argc, char **argv, const char *shorts, const struct option *longs);
/* The image store of MVM_HOME, or NULL after printing why. */
mvm_store *cli_open_store(void);
/* "-h" or "--help" (image.c). */
bool cli_is_help(const char *arg);
/* `mvm --help` or `mvm --version` (the first argument): printed, true. */
bool cli_help_or_version(const char *arg, int *status);
/* Writes s to stdout as a JSON string, quotes and escapes included. */
void cli_print_json_string(const char *s);
/* Prints a progress line of the library to stderr. */
void cli_print_progress(void *ud, const char *msg);

/* `mvm kvm-probe`: 0 if KVM here can run guests, else one error line. */
int cmd_kvm_probe(void);

/* Options of `mvm run`, applied to a builder as they are read. */
struct run_options {
	bool dry_run;
	bool show_help;
	bool tty;	   /* -t: the program gets a terminal (run_vm puts ours in raw mode) */
	int exec_index;	   /* argv index of EXEC, or argc when none was given */
	bool has_root;	   /* --root given: no IMAGE operand */
	const char *image; /* the IMAGE operand, or NULL */
	unsigned n_errors; /* bad options the CLI itself found (already printed) */
};

/* Reads the options of `mvm run` into b. The library's problems are appended
 * to *err, the CLI's own are printed and counted in o->n_errors; reading goes
 * on either way, so that all problems are reported at once. */
void run_options_parse(int argc, char **argv, mvm_builder *b, struct run_options *o,
		       mvm_error **err);

/* Starts the built VM and waits for it; returns the exit status for mvm.
 * (run_vm.c) */
int run_vm(mvm_vm *vm, bool tty);
struct termios;
/* Puts stdin's terminal in raw mode (every key passes, Ctrl-C included),
 * saving its settings for tcsetattr(); false, with a warning, when it
 * cannot. (run_vm.c) */
bool cli_raw_terminal(struct termios *saved);

/* Prints "mvm: error: MSG", one line per problem, to stderr. Control bytes in
 * messages (they quote user values) are escaped so each stays one line. */
void cli_print_errors(const mvm_error *err);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mvm_log_fn that prints "mvm: LEVEL: MSG" to stderr. */
void cli_log(void *userdata, mvm_log_level level, const char *msg);

void usage_main(FILE *out);
void usage_run(FILE *out);
void usage_exec(FILE *out);
void usage_create(FILE *out);
void usage_sandbox(FILE *out);
void usage_stats(FILE *out);
void usage_cp(FILE *out);
void usage_load(FILE *out);
void usage_images(FILE *out);
void usage_inspect(FILE *out);
void usage_rmi(FILE *out);
void usage_image(FILE *out);
void usage_pull(FILE *out);

#endif
