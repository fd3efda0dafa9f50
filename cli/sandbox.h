/* SPDX-License-Identifier: Apache-2.0 */
/* A named sandbox's places and state (sandbox.c), shared with create and
 * start (sandbox_create.c), which alone need the VMM. */
#ifndef MVM_CLI_SANDBOX_H
#define MVM_CLI_SANDBOX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_LEN 48

struct sbox {
	char name[NAME_MAX_LEN + 1];
	char home[PATH_MAX]; /* $MVM_HOME/sandboxes/NAME */
	char run[PATH_MAX];  /* runtime dir */
};

enum state { CREATED, RUNNING, EXITED, DEAD };
extern const char *const sandbox_state_names[];

struct status {
	enum state state;
	int exit_status; /* EXITED */
	long pid;	 /* RUNNING */
};

bool valid_name(const char *n);
/* $MVM_HOME/sandboxes (or under XDG_DATA_HOME or HOME); -1 printed. */
int home_dir(char *buf, size_t len);
/* mkdir -p of an absolute path, mode 0700 for what it makes. */
int make_dirs(const char *path);
/* Paths of sandbox NAME; with must_exist, fails (printed) when it is not
 * there. */
int sbox_at(const char *name, bool must_exist, struct sbox *s);
/* dir/file; sbox_at() kept dir short enough that it always fits. */
void path_in(char *buf, size_t len, const char *dir, const char *file);
/* Written whole to path.tmp, synced, renamed over path. */
int write_file(const char *path, const void *data, size_t len);
/* The file's bytes (NUL-ended, *len without it), or NULL. */
char *read_file(const char *path, size_t *len);
/* Running is "someone holds the lock"; the rest comes from the files. */
struct status sbox_status(const struct sbox *s);
/* The saved arguments, as an argv (borrowing from *blob). */
char **sbox_args(const struct sbox *s, char **blob, int *argc);
/* qsort() order of names. */
int sandbox_by_name(const void *a, const void *b);

#endif
