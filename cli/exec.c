/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm exec`: a program in a running VM, through its agent (docs/agent.md). */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

struct exec_opts {
	bool interactive, tty, help;
	const char *workdir;
	const char *user;
	const char **env;
	size_t n_env;
	unsigned timeout_s;
	int errors;
};

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || v > UINT32_MAX || *s == '-' || *s == '+')
		return false;
	*out = (uint32_t)v;
	return true;
}

static int parse(int argc, char **argv, struct exec_opts *o)
{
	static const struct option longs[] = {
	    {"interactive", no_argument, NULL, 'i'}, {"tty", no_argument, NULL, 't'},
	    {"env", required_argument, NULL, 'e'},   {"workdir", required_argument, NULL, 'w'},
	    {"user", required_argument, NULL, 'u'},  {"timeout", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},	     {NULL, 0, NULL, 0},
	};
	optind = 1;
	int opt;
	while ((opt = cli_next_opt(argc, argv, "+:ite:w:u:h", longs)) != -1) {
		uint32_t v;
		switch (opt) {
		case 'i':
			o->interactive = true;
			break;
		case 't':
			o->tty = true;
			break;
		case 'e': {
			const char **n = realloc(o->env, (o->n_env + 1) * sizeof(*n));
			if (n == NULL) {
				o->errors++;
				break;
			}
			o->env = n;
			o->env[o->n_env++] = optarg;
			break;
		}
		case 'w':
			o->workdir = optarg;
			break;
		case 'u':
			o->user = optarg; /* resolved in the guest, by its agent */
			break;
		case 'T':
			if (!parse_u32(optarg, &v) || v > 3600) {
				cli_error("invalid --timeout `%s`: seconds, 0 to 3600", optarg);
				o->errors++;
			} else {
				o->timeout_s = v;
			}
			break;
		case 'h':
			o->help = true;
			break;
		default:
			o->errors++;
		}
	}
	return optind;
}

/* Signals for the program, on a thread of their own: mvm_exec_signal()
 * and mvm_exec_resize() are thread-safe. */
struct sig_relay {
	mvm_exec *x;
	sigset_t set;
	bool tty;
	volatile sig_atomic_t stop; /* then SIGUSR2 wakes it to end */
};

static void *relay_signals(void *arg)
{
	struct sig_relay *r = arg;
	for (;;) {
		int sig;
		if (sigwait(&r->set, &sig) != 0)
			continue;
		if (r->stop)
			return NULL;
		if (sig == SIGUSR2)
			continue;
		mvm_error *err = NULL;
		if (sig == SIGWINCH) {
			struct winsize ws;
			if (r->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row &&
			    ws.ws_col)
				mvm_exec_resize(r->x, ws.ws_row, ws.ws_col, &err);
		} else {
			mvm_exec_signal(r->x, sig, &err);
		}
		mvm_error_free(err);
	}
	return NULL;
}

int cmd_exec(int argc, char **argv)
{
	struct exec_opts o = {0};
	int first = parse(argc, argv, &o);
	if (o.help) {
		usage_exec(stdout);
		free(o.env);
		return EXIT_SUCCESS;
	}
	if (!o.errors && argc - first < 2) {
		cli_error("exec needs a VM's vsock socket and a command (see `mvm exec --help`)");
		o.errors++;
	}
	if (o.errors) {
		free(o.env);
		return EXIT_MVM_ERROR;
	}
	mvm_exec_spec spec = {.argv = (const char *const *)argv + first + 1,
			      .argc = (size_t)(argc - first - 1),
			      .env = o.env,
			      .n_env = o.n_env,
			      .workdir = o.workdir,
			      .user = o.user,
			      .tty = o.tty,
			      .connect_timeout_ms = o.timeout_s * 1000};
	struct winsize ws = {0};
	if (o.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		spec.rows = ws.ws_row;
		spec.cols = ws.ws_col;
	}
	/* Blocked before any thread exists: the relay thread takes them. */
	struct sig_relay r = {.tty = o.tty};
	sigemptyset(&r.set);
	sigaddset(&r.set, SIGINT);
	sigaddset(&r.set, SIGTERM);
	sigaddset(&r.set, SIGHUP);
	sigaddset(&r.set, SIGWINCH);
	sigaddset(&r.set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &r.set, NULL);

	mvm_error *err = NULL;
	int status = EXIT_MVM_ERROR;
	/* SOCKET or NAME: a path has a '/'. A sandbox's program environment
	 * is the exec's base; -e replaces a key of it or adds one. */
	char sock[4096];
	const char *target = argv[first];
	char **base = NULL, *base_blob = NULL;
	const char **merged = NULL;
	size_t n_base = 0;
	if (strchr(target, '/') == NULL) {
		if (sandbox_socket(target, sock, sizeof(sock)) < 0 ||
		    sandbox_env(target, &base, &n_base, &base_blob) < 0) {
			free(o.env);
			return EXIT_MVM_ERROR;
		}
		target = sock;
		merged = calloc(n_base + o.n_env + 1, sizeof(*merged));
		size_t m = 0;
		for (size_t i = 0; merged && i < n_base; i++) {
			size_t kl = strcspn(base[i], "=");
			bool replaced = false;
			for (size_t j = 0; j < o.n_env && !replaced; j++)
				replaced =
				    strncmp(o.env[j], base[i], kl) == 0 && o.env[j][kl] == '=';
			if (!replaced)
				merged[m++] = base[i];
		}
		for (size_t j = 0; merged && j < o.n_env; j++)
			merged[m++] = o.env[j];
		if (merged) {
			spec.env = merged;
			spec.n_env = m;
		}
	}
	mvm_exec *x = mvm_exec_start(target, &spec, &err);
	if (x == NULL) {
		cli_print_errors(err);
		mvm_error_free(err);
		free(merged);
		free(base);
		free(base_blob);
		free(o.env);
		return EXIT_MVM_ERROR;
	}
	r.x = x;
	pthread_t t;
	bool relaying = pthread_create(&t, NULL, relay_signals, &r) == 0;
	/* -it on a terminal: ours goes raw, the guest's terminal does the
	 * line discipline (Ctrl-C is a byte for it). */
	struct termios saved;
	bool restore = false;
	if (o.tty && o.interactive && isatty(STDIN_FILENO))
		restore = cli_raw_terminal(&saved);
	int rc = mvm_exec_wait(x, o.interactive ? STDIN_FILENO : -1, STDOUT_FILENO, STDERR_FILENO,
			       &status, &err);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	if (rc < 0)
		cli_print_errors(err);
	mvm_error_free(err);
	if (relaying) {
		r.stop = 1;
		pthread_kill(t, SIGUSR2);
		pthread_join(t, NULL);
	}
	mvm_exec_free(x);
	free(merged);
	free(base);
	free(base_blob);
	free(o.env);
	return status;
}
