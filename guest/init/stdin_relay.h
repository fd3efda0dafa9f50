/* SPDX-License-Identifier: Apache-2.0 */
/* The program's stdin is a pipe that init fills from hvc0. A console never
 * reports end of file, so the host says on the control channel how many
 * bytes stdin had ("E<count>\n"); once that many have been passed on,
 * init closes the pipe and the program reads EOF, as `echo x | cat`
 * expects. */
#ifndef MVM_INIT_STDIN_RELAY_H
#define MVM_INIT_STDIN_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stdin_relay {
	int src; /* hvc0, non-blocking; -1 once input is finished */
	int dst; /* write end of the program's stdin pipe, non-blocking; -1 once closed */
	/* dst is a pty master that also carries the program's output: at
	 * the end of input it is only no longer written, not closed (a pty
	 * has no end of file; the program would see a hangup). */
	bool keep_dst;
	char buf[4096];
	size_t len, off;   /* bytes in buf, and how many of them were written */
	uint64_t relayed;  /* bytes read from src so far */
	bool eof_known;
	uint64_t eof_at;   /* total the host sent, once known */
};

void stdin_relay_init(struct stdin_relay *r, int src, int dst);
/* poll() events wanted on src and dst now (0: do not poll that fd). */
short stdin_relay_src_events(const struct stdin_relay *r);
short stdin_relay_dst_events(const struct stdin_relay *r);
/* src is readable / dst is writable. */
void stdin_relay_read(struct stdin_relay *r);
void stdin_relay_write(struct stdin_relay *r);
/* The host's input ended after `total` bytes. */
void stdin_relay_eof(struct stdin_relay *r, uint64_t total);

/* Parses the control stream byte by byte: returns a signal byte to act on
 * (MVM_CTRL_SIGINT...), or 0 while inside an "E<count>\n" message, whose
 * end calls stdin_relay_eof(), or a "W<rows>;<cols>\n" one, whose end
 * sets the size of the terminal tty_fd (when it is not -1). Keeps state
 * across reads. */
struct control_parser {
	bool in_eof, in_resize, second;
	bool overflow;
	uint64_t value, rows;
	int tty_fd;
};
unsigned char control_parse(struct control_parser *p, unsigned char byte, struct stdin_relay *r);

#endif
