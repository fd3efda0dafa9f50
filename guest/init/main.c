/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mvm-init: PID 1 of an mvm guest. It starts as /init of the in-memory
 * initramfs the VMM packed, reads its settings from MVM_CFG_PATH (never
 * from the kernel command line), builds the file system tree, runs the
 * one program and reports its exit status to the VMM. docs/init.md has
 * the whole sequence.
 */
#include "guest/init/config_reader.h"
#include "guest/init/console.h"
#include "guest/init/env.h"
#include "guest/init/mounts.h"
#include "guest/init/msg.h"
#include "guest/init/net.h"
#include "guest/init/ports.h"
#include "guest/init/report.h"
#include "guest/init/agent.h"
#include "guest/init/run.h"
#include "guest/init/stdin_relay.h"
#include "guest/init/supervise.h"
#include "guest/init/tty.h"
#include "guest/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_LEN (64u << 20) /* far above any real blob */

/* fd 0 = /dev/null, fds 1 and 2 = /dev/hvc1: init's messages reach the
 * host's stderr, and every later open() gets an fd above 2. */
static void setup_own_stdio(void)
{
	int null = open("/dev/null", O_RDWR);
	int hvc = open(MVM_HVC_STDERR, O_RDWR | O_NOCTTY);
	if (hvc < 0)
		hvc = open("/dev/console", O_RDWR | O_NOCTTY);
	if (null >= 0 && null != 0) {
		dup2(null, 0);
		close(null);
	}
	if (hvc >= 0) {
		/* Raw like hvc0: the program's stderr shares this console, and
		 * OPOST/ONLCR would turn its "\n" into "\r\n". */
		init_console_make_raw(hvc);
		if (hvc != 1)
			dup2(hvc, 1);
		if (hvc != 2)
			dup2(hvc, 2);
		if (hvc > 2)
			close(hvc);
	}
}

static void *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < 0 || (unsigned long long)st.st_size > CONFIG_MAX_LEN) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	char *buf = malloc(size ? size : 1);
	size_t off = 0;
	while (buf && off < size) {
		ssize_t n = read(fd, buf + off, size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (buf && off != size) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	*len = size;
	return buf;
}

static int load_config(struct init_config *cfg)
{
	size_t len = 0;
	void *blob = read_file(MVM_CFG_PATH, &len);
	if (!blob) {
		init_err("read %s: %s", MVM_CFG_PATH, strerror(errno));
		return -1;
	}
	char why[256];
	int rc = init_config_parse(blob, len, cfg, why, sizeof(why));
	free(blob);
	if (rc < 0) {
		init_err("%s: %s", MVM_CFG_PATH, why);
		return -1;
	}
	init_msg_set_verbose(cfg->log_level >= INIT_LOG_DEBUG);
	init_debug("config: %zu args, %zu env, %zu rlimits, %zu mounts%s", cfg->n_args, cfg->n_env,
		   cfg->n_rlimits, cfg->n_mounts, cfg->has_net ? ", net" : "");
	return 0;
}

/* hvc0 carries the program's stdin and stdout, hvc2 the host's control
 * bytes: both raw so that every byte arrives unchanged. */
static int open_consoles(int *hvc0, int *hvc2)
{
	*hvc0 = open(MVM_HVC_STDOUT, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*hvc0 < 0) {
		init_err("open %s: %s", MVM_HVC_STDOUT, strerror(errno));
		return -1;
	}
	if (init_console_make_raw(*hvc0) < 0)
		init_debug("raw mode on %s: %s", MVM_HVC_STDOUT, strerror(errno));
	*hvc2 = open(MVM_HVC_CONTROL, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (*hvc2 < 0)
		init_debug("open %s: %s (no control channel)", MVM_HVC_CONTROL, strerror(errno));
	else if (init_console_make_raw(*hvc2) < 0)
		init_debug("raw mode on %s: %s", MVM_HVC_CONTROL, strerror(errno));
	return 0;
}

/* Everything from the config to the program's exit and the report. */
static __attribute__((noreturn)) void run(void)
{
	struct init_config cfg;
	if (load_config(&cfg) < 0) {
		int fd2[] = {2};
		init_report_exit(MVM_EXIT_SETUP_FAILED, fd2, 1);
	}
	clearenv(); /* init's own env (from the kernel) is not the program's */
	int status = MVM_EXIT_SETUP_FAILED;
	int hvc0 = -1, hvc2 = -1, sigfd = -1, hvc0_in = -1, tty_master = -1, tty_slave = -1;
	int stdin_pipe[2] = {-1, -1};
	char **envp = NULL;
	struct agent *agent = NULL;
	struct port_watch *ports = NULL;
	sigset_t blocked, child_mask;

	if (init_switch_root(&cfg) < 0 || init_mount_system() < 0 || init_apply_system(&cfg) < 0 ||
	    init_mount_shares(&cfg) < 0 ||
	    init_net_setup(cfg.has_net ? &cfg.net : NULL) < 0 || init_apply_read_only(&cfg) < 0 ||
	    open_consoles(&hvc0, &hvc2) < 0)
		goto out;
	if (!(envp = init_env_build(cfg.env, cfg.n_env))) {
		init_err("environment: %s", strerror(ENOMEM));
		goto out;
	}
	/* Blocked before fork(), so a program that dies at once still
	 * queues its SIGCHLD in the signalfd. */
	init_supervise_sigset(&blocked);
	/* SIGPIPE stays blocked in init (a program that closes its stdin
	 * gives EPIPE, not death of PID 1); the program gets the old mask. */
	sigset_t with_pipe = blocked;
	sigaddset(&with_pipe, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &with_pipe, &child_mask) < 0 ||
	    (sigfd = signalfd(-1, &blocked, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		init_err("signalfd: %s", strerror(errno));
		goto out;
	}
	/* init's own reader of hvc0: a separate open file, so that its
	 * O_NONBLOCK does not leak into the program's blocking stdout. */
	hvc0_in = open(MVM_HVC_STDOUT, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (hvc0_in < 0 || pipe2(stdin_pipe, O_CLOEXEC) < 0 ||
	    fcntl(stdin_pipe[1], F_SETFL, O_NONBLOCK) < 0) {
		init_err("stdin pipe: %s", strerror(errno));
		goto out;
	}
	/* Both consoles are attached and raw: the host may send input now. */
	if (hvc2 >= 0) {
		const char ready = MVM_CTRL_READY;
		if (write(hvc2, &ready, 1) != 1)
			init_err("%s: cannot announce readiness: %s", MVM_HVC_CONTROL,
				 strerror(errno));
	}
	struct init_stdio io = {.in = stdin_pipe[0], .out = hvc0, .err = 2};
	if (cfg.has_tty) {
		/* The pty replaces the pipe and hvc0 as the program's stdio; its
		 * stderr joins stdout there, as with `docker run -t`. */
		if (init_tty_open(cfg.tty_rows, cfg.tty_cols, &tty_master, &tty_slave) < 0) {
			init_err("terminal: %s", strerror(errno));
			goto out;
		}
		io = (struct init_stdio){.in = tty_slave, .out = tty_slave, .err = tty_slave};
	}
	/* Before the program: the agent's port is taken by init, not by
	 * anything the program might bind first. */
	agent = agent_new(MVM_AGENT_PORT, &child_mask);
	if (agent == NULL)
		init_debug("agent: not listening on vsock port %u: %s", MVM_AGENT_PORT,
			   strerror(errno));
	if (cfg.publish && hvc2 >= 0 && (ports = port_watch_new(hvc2)) == NULL)
		init_err("cannot watch for listening ports: %s", strerror(errno));
	struct stdin_relay relay;
	stdin_relay_init(&relay, hvc0_in, tty_master >= 0 ? tty_master : stdin_pipe[1]);
	relay.keep_dst = tty_master >= 0;
	struct tty_out out = {.master = tty_master, .out = hvc0};
	/* Held (MVM_CFG_HOLD): the guest is up; input, sizes and the agent
	 * are served while it waits for MVM_CTRL_GO. */
	bool released = true;
	if (cfg.hold) {
		init_debug("holding the program until the host says go");
		status = init_supervise(0, sigfd, hvc2, &relay, tty_master >= 0 ? &out : NULL,
					agent, ports);
		released = status == INIT_RELEASED;
	}
	pid_t pid = released ? init_run_start(&cfg, envp, &io, &child_mask, &status) : -1;
	close(stdin_pipe[0]);
	stdin_pipe[0] = -1;
	if (tty_slave >= 0) {
		close(tty_slave); /* the program holds it: its last close ends the output */
		tty_slave = -1;
	}
	if (pid > 0)
		status = init_supervise(pid, sigfd, hvc2, &relay, tty_master >= 0 ? &out : NULL,
					agent, ports);
	if (tty_master < 0)
		stdin_pipe[1] = relay.dst;
out:
	port_watch_free(ports);
	agent_free(agent);
	free(envp);
	init_config_free(&cfg);
	/* hvc0 stays open: init_report_exit() drains it. */
	if (hvc2 >= 0)
		close(hvc2);
	if (hvc0_in >= 0)
		close(hvc0_in);
	for (int i = 0; i < 2; i++)
		if (stdin_pipe[i] >= 0)
			close(stdin_pipe[i]);
	if (sigfd >= 0)
		close(sigfd);
	if (tty_slave >= 0)
		close(tty_slave);
	if (tty_master >= 0)
		close(tty_master);
	int drain[] = {hvc0, 2};
	init_report_exit(status, drain, 2);
}

int main(void)
{
	if (getpid() != 1) {
		fprintf(stderr, "mvm-init: must run as PID 1 of an mvm guest\n");
		return MVM_EXIT_SETUP_FAILED;
	}
	/* The initramfs has no device nodes; without /dev nothing can be
	 * reported except through the exit port. */
	if (init_mount_devtmpfs("/dev") == 0)
		setup_own_stdio();
	/* Ctrl-Alt-Del becomes SIGINT to init, which forwards it. */
	reboot(RB_DISABLE_CAD);
	run();
}
