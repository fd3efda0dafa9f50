/* SPDX-License-Identifier: Apache-2.0 */
/* The agent: mvm-init starts programs in the running guest for host
 * clients that reach it over vsock (guest/protocol.h, "Agent";
 * docs/agent.md). It runs in init's poll loop: no thread, no fork of its
 * own but the programs'. Each session is one connection and one program,
 * with its stdin, stdout and stderr (or a terminal) relayed as frames,
 * with back-pressure both ways: output is read from the program only
 * while the frame for it fits the session's buffer to the client, and
 * the client's stdin only while the program takes it. */
#ifndef MVM_INIT_AGENT_H
#define MVM_INIT_AGENT_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENT_MAX_SESSIONS 32
/* pollfds the agent may ask for: the listener and 4 per session. */
#define AGENT_MAX_POLLFDS (1 + 4 * AGENT_MAX_SESSIONS)

struct agent;

/* Listens on vsock `port` (any CID). NULL, with errno, when it cannot:
 * the VM has no vsock device (EADDRNOTAVAIL, ENODEV, EAFNOSUPPORT) or
 * memory ran out. child_mask: the signal mask programs start with. */
struct agent *agent_new(uint32_t port, const sigset_t *child_mask);
/* The same on a listening socket of any family (tests use AF_UNIX);
 * takes listen_fd, which must be non-blocking. */
struct agent *agent_new_on(int listen_fd, const sigset_t *child_mask);
/* Ends every session (its program's group gets SIGKILL) and the
 * listener. */
void agent_free(struct agent *a);

/* The fds to poll now, into p[0..max); returns how many. */
size_t agent_pollfds(struct agent *a, struct pollfd *p, size_t max);
/* Serves p[0..n), as agent_pollfds() filled them and poll() answered. */
void agent_serve(struct agent *a, const struct pollfd *p, size_t n);
/* init reaped `pid`: true when it was one of the agent's programs (its
 * session reports `status` to the client once the output is out). */
bool agent_child_exited(struct agent *a, pid_t pid, int status);
/* True while a program of the agent runs or a client still has its
 * output or exit status to receive: a stopping guest waits for that. */
bool agent_busy(const struct agent *a);

#endif
