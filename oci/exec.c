/* SPDX-License-Identifier: Apache-2.0 */
/* `exec`: another process in a running container, as podman exec and
 * containerd's shim ask it (docs/oci.md, "exec"): the process.json's
 * program runs in the guest through mvm-init's agent, over the VM's vsock
 * socket, and on the host a process of ours stands for it, relaying its
 * stdio and signals and ending with its status. With --detach that
 * process is left behind, a child of the client (which reaps it), and its
 * pid goes to --pid-file. */
#include "oci/oci.h"

#include "oci/log.h"
#include "oci/state.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct exec_req {
	json_t *root;
	const char **argv, **env;
	size_t argc, n_env;
	mvm_rlimit rlimits[16];
	size_t n_rlimits;
	mvm_exec_spec spec;
};

static void req_clear(struct exec_req *r)
{
	free(r->argv);
	free(r->env);
	json_decref(r->root);
	*r = (struct exec_req){0};
}

/* A strings array of the process object into *out (borrowing). */
static int strings(json_t *arr, const char *what, const char ***out, size_t *n, mvm_error **err)
{
	*out = NULL;
	*n = 0;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return mvm_err(err, MVM_ERR_INVALID, 0, "process.%s must be an array", what);
	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	if (*out == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "process.%s", what);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			return mvm_err(err, MVM_ERR_INVALID, 0, "process.%s[%zu] must be a string",
				       what, i);
		(*out)[(*n)++] = json_string_value(v);
	}
	return 0;
}

/* The OCI process object as an exec request; what it cannot carry is
 * refused by name, as create does. */
static int parse_process(json_t *p, struct exec_req *r, mvm_error **err)
{
	if (!json_is_object(p))
		return mvm_err(err, MVM_ERR_INVALID, 0, "--process: not a JSON object");
	if (strings(json_object_get(p, "args"), "args", &r->argv, &r->argc, err) < 0 ||
	    strings(json_object_get(p, "env"), "env", &r->env, &r->n_env, err) < 0)
		return -1;
	if (r->argc == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "process.args must not be empty");
	json_t *cwd = json_object_get(p, "cwd");
	if (cwd && !json_is_string(cwd))
		return mvm_err(err, MVM_ERR_INVALID, 0, "process.cwd must be a string");
	r->spec.argv = r->argv;
	r->spec.argc = r->argc;
	r->spec.env = r->env;
	r->spec.n_env = r->n_env;
	r->spec.workdir = cwd ? json_string_value(cwd) : NULL;
	json_t *user = json_object_get(p, "user");
	if (user) {
		json_t *uid = json_object_get(user, "uid"), *gid = json_object_get(user, "gid");
		if (!json_is_integer(uid) || !json_is_integer(gid) || json_integer_value(uid) < 0 ||
		    json_integer_value(gid) < 0 || json_integer_value(uid) >= UINT32_MAX ||
		    json_integer_value(gid) >= UINT32_MAX)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "process.user: uid and gid must be integers below 2^32-1");
		json_t *groups = json_object_get(user, "additionalGids");
		if (json_array_size(groups) > 0)
			return mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
				       "process.user.additionalGids: supplementary groups are not "
				       "supported yet");
		r->spec.has_user = true;
		r->spec.uid = (uint32_t)json_integer_value(uid);
		r->spec.gid = (uint32_t)json_integer_value(gid);
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(p, "rlimits"), i, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		char spec[128];
		if (type == NULL || r->n_rlimits == sizeof(r->rlimits) / sizeof(r->rlimits[0]))
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "process.rlimits[%zu]: bad or too many", i);
		snprintf(spec, sizeof(spec), "%s=%llu:%llu", type,
			 (unsigned long long)json_integer_value(json_object_get(v, "soft")),
			 (unsigned long long)json_integer_value(json_object_get(v, "hard")));
		if (mvm_rlimit_parse(spec, &r->rlimits[r->n_rlimits++], err) < 0)
			return -1;
	}
	r->spec.rlimits = r->rlimits;
	r->spec.n_rlimits = r->n_rlimits;
	if (json_is_true(json_object_get(p, "terminal"))) {
		json_t *size = json_object_get(p, "consoleSize");
		json_int_t rows = json_integer_value(json_object_get(size, "height"));
		json_int_t cols = json_integer_value(json_object_get(size, "width"));
		r->spec.tty = true;
		r->spec.rows = rows > 0 && rows <= 65535 ? (unsigned)rows : 0;
		r->spec.cols = cols > 0 && cols <= 65535 ? (unsigned)cols : 0;
	}
	return 0;
}

/* podman stops an exec by signalling its pid: SIGINT, SIGTERM and SIGHUP
 * go on to the guest program (mvm_exec_signal is thread-safe); SIGUSR2
 * ends the relay. */
struct relay {
	mvm_exec *x;
	sigset_t set;
	int tty; /* the terminal whose size follows, or -1 */
	volatile sig_atomic_t stop;
};

static void *relay_signals(void *arg)
{
	struct relay *r = arg;
	for (int sig; !r->stop;) {
		if (sigwait(&r->set, &sig) != 0 || r->stop || sig == SIGUSR2)
			continue;
		struct winsize ws;
		if (sig != SIGWINCH)
			mvm_exec_signal(r->x, sig, NULL);
		else if (r->tty >= 0 && ioctl(r->tty, TIOCGWINSZ, &ws) == 0 && ws.ws_row &&
			 ws.ws_col)
			mvm_exec_resize(r->x, ws.ws_row, ws.ws_col, NULL);
	}
	return NULL;
}

/* The host side of the guest program: its stdio and signals relayed, its
 * status returned. */
static int run_exec(const char *vsock, struct exec_req *r, int tty)
{
	struct relay rl = {.tty = tty};
	if (tty >= 0) {
		/* Its controlling terminal: the client's resizes come as
		 * SIGWINCH. */
		setsid();
		(void)!ioctl(tty, TIOCSCTTY, 0);
	}
	sigemptyset(&rl.set);
	sigaddset(&rl.set, SIGWINCH);
	sigaddset(&rl.set, SIGINT);
	sigaddset(&rl.set, SIGTERM);
	sigaddset(&rl.set, SIGHUP);
	sigaddset(&rl.set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &rl.set, NULL);
	mvm_error *err = NULL;
	int status = 125;
	rl.x = mvm_exec_start(vsock, &r->spec, &err);
	if (rl.x == NULL) {
		oci_log_errors("exec: ", err);
		mvm_error_free(err);
		return status;
	}
	pthread_t t;
	bool relaying = pthread_create(&t, NULL, relay_signals, &rl) == 0;
	int in = tty >= 0 ? tty : STDIN_FILENO, out = tty >= 0 ? tty : STDOUT_FILENO;
	if (mvm_exec_wait(rl.x, in, out, tty >= 0 ? -1 : STDERR_FILENO, &status, &err) < 0) {
		oci_log_errors("exec: ", err);
		mvm_error_free(err);
	}
	if (relaying) {
		rl.stop = 1;
		pthread_kill(t, SIGUSR2);
		pthread_join(t, NULL);
	}
	mvm_exec_free(rl.x);
	return status;
}

int oci_exec(const struct oci_globals *g, int argc, char **argv)
{
	const char *process = NULL, *pid_file = NULL, *console = NULL;
	bool detach = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--detach") == 0 || strcmp(a, "-d") == 0) {
			detach = true;
		} else if (strcmp(a, "--process") == 0 || strcmp(a, "-p") == 0) {
			process = val, i++;
		} else if (strncmp(a, "--process=", 10) == 0) {
			process = a + 10;
		} else if (strcmp(a, "--pid-file") == 0) {
			pid_file = val, i++;
		} else if (strncmp(a, "--pid-file=", 11) == 0) {
			pid_file = a + 11;
		} else if (strcmp(a, "--console-socket") == 0) {
			console = val, i++;
		} else if (strcmp(a, "--preserve-fds") == 0 && val && strcmp(val, "0") == 0) {
			i++;
		} else {
			oci_log_error("exec: unknown or unsupported option `%s`", a);
			return 1;
		}
	}
	if (i >= argc) {
		oci_log_error("exec needs a container id");
		return 1;
	}
	const char *id = argv[i++];
	struct exec_req r = {0};
	mvm_error *err = NULL;
	if (process) {
		json_error_t jerr;
		r.root = json_load_file(process, JSON_REJECT_DUPLICATES, &jerr);
		if (r.root == NULL) {
			oci_log_error("exec: --process %s: line %d: %s", process, jerr.line,
				      jerr.text);
			return 1;
		}
		if (i < argc) {
			oci_log_error("exec: --process and a command are exclusive");
			req_clear(&r);
			return 1;
		}
	} else {
		/* runc exec ID CMD ARGS...: a process of those args alone. */
		if (i >= argc) {
			oci_log_error("exec needs --process FILE or a command");
			return 1;
		}
		r.root = json_pack("{s:[]}", "args");
		for (int k = i; k < argc; k++)
			json_array_append_new(json_object_get(r.root, "args"),
					      json_string(argv[k]));
	}
	if (parse_process(r.root, &r, &err) < 0) {
		oci_log_errors("exec: ", err);
		mvm_error_free(err);
		req_clear(&r);
		return 1;
	}
	if (r.spec.tty != (console != NULL)) {
		oci_log_error(console
				  ? "exec: --console-socket given, but process.terminal is false"
				  : "exec: process.terminal needs --console-socket");
		req_clear(&r);
		return 1;
	}
	char root[PATH_MAX], vsock[PATH_MAX];
	struct oci_state s;
	if (oci_root_dir(g->root, root, sizeof(root), &err) < 0 ||
	    oci_state_find(root, id, &s, &err) < 0) {
		oci_log_errors("", err);
		mvm_error_free(err);
		req_clear(&r);
		return 1;
	}
	const char *status = oci_status(&s);
	oci_state_path(&s, OCI_VSOCK_FILE, vsock, sizeof(vsock));
	oci_state_clear(&s);
	if (strcmp(status, "running") != 0) {
		oci_log_error("exec: container %s is %s: container not running", id, status);
		req_clear(&r);
		return 1;
	}
	r.spec.connect_timeout_ms = 60000; /* the VM may still be booting */
	int tty = -1;
	if (console && oci_open_terminal(console, &tty, &err) < 0) {
		oci_log_errors("exec: ", err);
		mvm_error_free(err);
		req_clear(&r);
		return 1;
	}
	if (!detach) {
		int rc = run_exec(vsock, &r, tty);
		req_clear(&r);
		return rc;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		oci_log_error("exec: fork: %s", strerror(errno));
		req_clear(&r);
		return 1;
	}
	if (pid == 0)
		_exit(run_exec(vsock, &r, tty));
	if (tty >= 0)
		close(tty);
	req_clear(&r);
	if (pid_file && oci_write_pid_file(pid_file, pid, &err) < 0) {
		oci_log_errors("exec: ", err);
		mvm_error_free(err);
		kill(pid, SIGKILL);
		return 1;
	}
	return 0;
}
