/* SPDX-License-Identifier: Apache-2.0 */
/* PID 1 duties while the program runs. */
#ifndef MVM_INIT_SUPERVISE_H
#define MVM_INIT_SUPERVISE_H

#include "guest/init/stdin_relay.h"

#include <signal.h>
#include <sys/types.h>

/* The signals init blocks and receives through its signalfd. */
void init_supervise_sigset(sigset_t *set);

/* The signal a control byte asks for (MVM_CTRL_*), or 0 if unknown. */
int init_control_signal(unsigned char byte);

/* Waits until `program` exits and returns its status (code or
 * 128+signal). Meanwhile it reaps every child (orphans re-parented to
 * PID 1 too), forwards SIGINT and SIGTERM from `sigfd` (a signalfd for
 * init_supervise_sigset()) and the commands read from `ctrl_fd` (the
 * control console, non-blocking; -1 for none) to the program's process
 * group. No signal is lost: they stay blocked and queue in the signalfd.
 * With a relay, it also feeds the program's stdin (stdin_relay.h). */
struct tty_out;
/* With a terminal (tty not NULL) it also passes the program's output from
 * the pty to hvc0, sizes the pty on resize messages, and passes on what is
 * left once the program has exited. */
struct agent;
/* With an agent (guest/init/agent.h), its sessions are served in the same
 * loop, and the programs it started are reaped for it. After a stop
 * (MVM_CTRL_STOP) the agent's programs get up to INIT_STOP_GRACE_MS past
 * the program's end to end and have their status delivered. */
#define INIT_STOP_GRACE_MS 5000
/* With a port watch (guest/init/ports.h), its scans run in the loop too. */
struct port_watch;
/* program 0: the program is held (MVM_CFG_HOLD); returns INIT_RELEASED
 * once MVM_CTRL_GO comes (the same relay, terminal and agent then go on
 * with the program started), or 128+signal if a signal or a stop came
 * first. */
#define INIT_RELEASED 256
int init_supervise(pid_t program, int sigfd, int ctrl_fd, struct stdin_relay *relay,
		   struct tty_out *tty, struct agent *agent, struct port_watch *ports);

#endif
