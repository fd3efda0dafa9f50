/* SPDX-License-Identifier: Apache-2.0 */
/* The program's terminal with MVM_CFG_TTY: a pty whose slave is its stdin,
 * stdout and stderr, and whose master init relays to and from hvc0, as
 * `docker run -t` gives a container one. hvc0 itself stays raw: the line
 * discipline that turns a 0x03 byte into SIGINT, echoes input and maps
 * "\n" to "\r\n" is the pty's, as on any terminal. */
#ifndef MVM_INIT_TTY_H
#define MVM_INIT_TTY_H

#include <stdbool.h>
#include <stddef.h>

/* A new pty of rows x cols (0: 24 x 80): *master non-blocking and
 * close-on-exec, *slave close-on-exec (the child dups it onto 0..2).
 * Returns -1 with errno. */
int init_tty_open(unsigned rows, unsigned cols, int *master, int *slave);

/* Sets the size; the kernel signals SIGWINCH to the foreground group.
 * Best effort (fd -1: no terminal). */
void init_tty_resize(int master, unsigned rows, unsigned cols);

/* Program output, master to out (hvc0). */
struct tty_out {
	int master, out;
	char buf[4096];
};

/* Reads what the master has and writes it all to out (blocking). Returns
 * false once the master has nothing more to give (every slave closed). */
bool tty_out_pump(struct tty_out *t);
/* After the program exited: passes on what is left without waiting for
 * processes that still hold the terminal. */
void tty_out_drain(struct tty_out *t);

#endif
