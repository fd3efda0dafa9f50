/* SPDX-License-Identifier: Apache-2.0 */
/* The virtio consoles seen from the guest side. */
#ifndef MVM_INIT_CONSOLE_H
#define MVM_INIT_CONSOLE_H

/* Puts a tty into raw mode, so that host stdin and program output pass
 * through byte for byte: no ISIG (a 0x03 byte in piped data must not
 * become SIGINT; the host forwards Ctrl-C over the control channel
 * instead), no ICANON/ECHO, no ICRNL/IXON, no OPOST/ONLCR. Returns -1
 * with errno (ENOTTY for a non-tty). */
int init_console_make_raw(int fd);

#endif
