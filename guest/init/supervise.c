/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/supervise.h"

#include "guest/init/agent.h"
#include "guest/init/msg.h"
#include "guest/init/ports.h"
#include "guest/init/status.h"
#include "guest/init/tty.h"
#include "guest/protocol.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void init_supervise_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

int init_control_signal(unsigned char byte)
{
	switch (byte) {
	case MVM_CTRL_SIGINT:
		return SIGINT;
	case MVM_CTRL_SIGTERM:
		return SIGTERM;
	case MVM_CTRL_SIGKILL:
		return SIGKILL;
	default:
		return 0;
	}
}

/* The program is a session leader, so its pid names its process group.
 * Until its setsid() has run the group does not exist yet: signal the
 * process itself then. */
static void forward(pid_t program, int sig)
{
	if (program <= 0)
		return; /* held: no program yet */
	init_debug("forwarding signal %d to %d", sig, (int)program);
	if (kill(-program, sig) < 0 && errno == ESRCH)
		kill(program, sig);
}

/* Returns true once the program has been reaped (status in *status).
 * The agent's programs go to it; orphans are only reaped. */
static bool reap(pid_t program, int *status, struct agent *agent)
{
	bool done = false;
	for (;;) {
		int ws;
		pid_t pid = waitpid(-1, &ws, WNOHANG);
		if (pid <= 0)
			break; /* 0: others still running; ECHILD: none left */
		if (pid == program) {
			*status = init_status_from_wait(ws);
			done = true;
		} else if (agent) {
			agent_child_exited(agent, pid, init_status_from_wait(ws));
		}
	}
	return done;
}

static bool handle_signals(int sigfd, pid_t program, int *status, struct agent *agent)
{
	struct signalfd_siginfo si[8];
	ssize_t n = read(sigfd, si, sizeof(si));
	bool done = false;
	for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(si[0]); i++) {
		if (si[i].ssi_signo == SIGCHLD)
			done |= reap(program, status, agent);
		else if (!done)
			forward(program, (int)si[i].ssi_signo);
	}
	return done;
}

/* Returns false when the channel is gone and should not be polled again.
 * *stopping: MVM_CTRL_STOP came. */
static bool handle_control(int ctrl_fd, pid_t program, struct control_parser *parser,
			   struct stdin_relay *relay, bool *stopping, int *held_end)
{
	unsigned char buf[64];
	/* Held, a byte at a time: what follows MVM_CTRL_GO is the
	 * program's, read by the next loop. */
	ssize_t n = read(ctrl_fd, buf, program == 0 ? 1 : sizeof(buf));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	for (ssize_t i = 0; i < n; i++) {
		unsigned char cmd = control_parse(parser, buf[i], relay);
		if (cmd == 0)
			continue;
		int sig = init_control_signal(cmd);
		if (program == 0 && (sig || cmd == MVM_CTRL_STOP || cmd == MVM_CTRL_GO)) {
			/* Held: the program starts, or never will. */
			*held_end = cmd == MVM_CTRL_GO ? INIT_RELEASED : 128 + (sig ? sig : SIGTERM);
			return true;
		}
		if (sig) {
			forward(program, sig);
		} else if (cmd == MVM_CTRL_STOP) {
			/* -1 from PID 1: every process but init itself. Not
			 * from anything else (a test on the host): there it
			 * would be every process of the user. */
			init_debug("stop: SIGTERM to every process");
			*stopping = true;
			forward(program, SIGTERM);
			if (getpid() == 1)
				kill(-1, SIGTERM);
		} else
			init_debug("ignoring control byte 0x%02x", buf[i]);
	}
	return true;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int init_supervise(pid_t program, int sigfd, int ctrl_fd, struct stdin_relay *relay,
		   struct tty_out *tty, struct agent *agent, struct port_watch *ports)
{
	int status = MVM_EXIT_SETUP_FAILED;
	/* A stop: the program may end before the agent's programs, which got
	 * SIGTERM too; they get INIT_STOP_GRACE_MS to end and report. */
	bool stopping = false, program_done = false;
	int64_t deadline = 0;
	struct control_parser parser = {.tty_fd = tty ? tty->master : -1};
	bool tty_open = tty != NULL;
	int held_end = -1;
	struct pollfd pfd[6 + AGENT_MAX_POLLFDS] = {{.fd = sigfd, .events = POLLIN},
						    {.fd = ctrl_fd, .events = POLLIN}};
	pfd[5] = (struct pollfd){.fd = port_watch_fd(ports), .events = POLLIN};
	for (;;) {
		/* A zero `events` still reports POLLHUP/POLLERR: use fd -1 to skip. */
		short src_ev = relay ? stdin_relay_src_events(relay) : 0;
		short dst_ev = relay ? stdin_relay_dst_events(relay) : 0;
		pfd[2] = (struct pollfd){.fd = src_ev ? relay->src : -1, .events = src_ev};
		pfd[3] = (struct pollfd){.fd = dst_ev ? relay->dst : -1, .events = dst_ev};
		pfd[4] = (struct pollfd){.fd = tty_open ? tty->master : -1, .events = POLLIN};
		int timeout = -1;
		if (program_done) {
			int64_t left = deadline - now_ms();
			if (left <= 0 || !agent_busy(agent))
				return status;
			timeout = (int)left;
		}
		size_t n_agent = agent ? agent_pollfds(agent, pfd + 6, AGENT_MAX_POLLFDS) : 0;
		if (poll(pfd, 6 + n_agent, timeout) < 0) {
			if (errno == EINTR)
				continue;
			init_err("poll: %s", strerror(errno));
			return MVM_EXIT_SETUP_FAILED;
		}
		if (pfd[4].revents && !tty_out_pump(tty))
			tty_open = false; /* no slave open: it would poll as HUP forever */
		if (n_agent)
			agent_serve(agent, pfd + 6, n_agent);
		if (pfd[5].revents)
			port_watch_tick(ports);
		if (pfd[0].revents && handle_signals(sigfd, program, &status, agent) &&
		    !program_done) {
			if (tty)
				tty_out_drain(tty);
			if (!stopping || !agent_busy(agent))
				return status;
			program_done = true;
			deadline = now_ms() + INIT_STOP_GRACE_MS;
		}
		/* A negative fd is skipped by poll(): that retires the channel. */
		if (pfd[1].revents &&
		    !handle_control(pfd[1].fd, program, &parser, relay, &stopping, &held_end))
			pfd[1].fd = -1;
		if (held_end >= 0)
			return held_end;
		if (pfd[2].revents)
			stdin_relay_read(relay);
		if (pfd[3].revents)
			stdin_relay_write(relay);
	}
}
