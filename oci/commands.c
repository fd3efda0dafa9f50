/* SPDX-License-Identifier: Apache-2.0 */
/* The runc commands (docs/oci.md, "Commands"). The container's process is
 * the VM's own (mvm_vm_spawn_detached): create leaves it waiting on the
 * state directory's FIFO, start lets it boot the VM and run the program,
 * and it ends with the program's status, so the client that reaps it (conmon,
 * containerd's shim) learns the container's exit code from it. */
#include "oci/oci.h"

#include "oci/log.h"
#include "oci/netns.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "util/error.h"
#include "util/fs_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *prefix, mvm_error *e)
{
	oci_log_errors(prefix, e);
	mvm_error_free(e);
	return 1;
}

static int rm_state_dir(const struct oci_state *s)
{
	static const char *const files[] = {"state.json",    "start",  "started",
					    "ctl.sock",	     "status", OCI_VSOCK_FILE,
					    "state.json.tmp"};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		oci_state_path(s, files[i], p, sizeof(p));
		unlink(p);
	}
	return rmdir(s->dir);
}

int oci_create(const struct oci_globals *g, int argc, char **argv)
{
	static const struct option longs[] = {{"bundle", required_argument, NULL, 'b'},
					      {"pid-file", required_argument, NULL, 'p'},
					      {"console-socket", required_argument, NULL, 'c'},
					      {"no-pivot", no_argument, NULL, 'P'},
					      {"no-new-keyring", no_argument, NULL, 'K'},
					      {"preserve-fds", required_argument, NULL, 'f'},
					      {NULL, 0, NULL, 0}};
	const char *bundle = ".", *pid_file = NULL, *console = NULL;
	optind = 1;
	opterr = 0;
	for (int opt; (opt = getopt_long(argc, argv, "+b:", longs, NULL)) != -1;) {
		switch (opt) {
		case 'b':
			bundle = optarg;
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'c':
			console = optarg;
			break;
		case 'P':
		case 'K':
			break; /* no pivot_root or keyring on the host to skip */
		case 'f':
			if (strcmp(optarg, "0") != 0) {
				oci_log_error(
				    "--preserve-fds %s: passing fds into the guest is not "
				    "supported",
				    optarg);
				return 1;
			}
			break;
		default:
			oci_log_error("create: unknown or incomplete option `%s`",
				      argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc - 1) {
		oci_log_error("create needs exactly one container id");
		return 1;
	}
	const char *id = argv[optind];
	mvm_error *err = NULL;
	char root[PATH_MAX], abs_bundle[PATH_MAX];
	if (oci_root_dir(g->root, root, sizeof(root), &err) < 0)
		return fail("create: ", err);
	if (realpath(bundle, abs_bundle) == NULL) {
		oci_log_error("create: bundle `%s`: %s", bundle, strerror(errno));
		return 1;
	}
	if (!oci_valid_id(id)) {
		oci_log_error("create: container id `%s`: 1 to %d of letters, digits, _+-.", id,
			      OCI_ID_MAX);
		return 1;
	}
	struct oci_state s = {0};
	snprintf(s.id, sizeof(s.id), "%s", id);
	int rc = 1, slave = -1;
	mvm_builder *b = NULL;
	mvm_vm *vm = NULL;
	struct oci_spec spec = {0};
	/* The state directory first: the VM's vsock socket goes into it,
	 * and build() checks that its directory exists. A failed create
	 * removes it again. */
	/* Its parents too, as runc does: containerd's shim names a
	 * directory per namespace (/run/containerd/runc/NS). */
	if (fs_mkdir_p(root, &err) < 0) {
		fail("create: --root: ", err);
		goto out;
	}
	if ((size_t)snprintf(s.dir, sizeof(s.dir), "%.*s/%s", PATH_MAX - OCI_ID_MAX - 64, root,
			     id) >= sizeof(s.dir)) {
		oci_log_error("create: --root `%s`: too long", root);
		s.dir[0] = '\0';
		goto out;
	}
	if (mkdir(s.dir, 0700) < 0) {
		oci_log_error(errno == EEXIST ? "create: container %s exists already"
					      : "create: container %s: %m",
			      id);
		s.dir[0] = '\0';
		goto out;
	}
	b = mvm_builder_new();
	if (b == NULL || oci_spec_load(abs_bundle, b, &spec, &err) < 0) {
		fail("create: ", err);
		goto out;
	}
	/* The namespace first: the guest's address depends on what is in it,
	 * and the VM's process, forked below, inherits it. */
	uint32_t guest_ip;
	if (oci_enter_netns(&spec, &err) < 0 ||
	    (spec.netns && (oci_guest_ip(&guest_ip, &err) < 0 ||
			    mvm_builder_assigned_ipv4(b, guest_ip, &err) < 0))) {
		fail("create: ", err);
		goto out;
	}
	if (spec.terminal != (console != NULL)) {
		oci_log_error(console
				  ? "create: --console-socket given, but process.terminal is false"
				  : "create: process.terminal needs --console-socket");
		goto out;
	}
	if (spec.terminal && (oci_open_terminal(console, &slave, &err) < 0 ||
			      mvm_builder_stdio(b, slave, slave, slave, &err) < 0)) {
		fail("create: ", err);
		goto out;
	}
	/* exec reaches the guest through the VM's vsock socket. */
	char vsock_path[PATH_MAX];
	oci_state_path(&s, OCI_VSOCK_FILE, vsock_path, sizeof(vsock_path));
	if (mvm_builder_vsock(b, vsock_path, &err) < 0) {
		fail("create: ", err);
		goto out;
	}
	if (g->debug && spec.accepted[0])
		fprintf(stderr, "mvm-runtime: %s: left to the VM boundary: %s\n", id,
			spec.accepted);
	vm = mvm_builder_build(b, &err);
	if (vm == NULL) {
		fail("create: ", err);
		goto out;
	}
	if (g->debug) {
		/* The VM as built, for whoever reads --debug (and the tests). */
		char *json = mvm_vm_config_json(vm, NULL);
		if (json)
			fprintf(stderr, "mvm-runtime: %s: VM %s\n", id, json);
		free(json);
	}
	snprintf(s.bundle, sizeof(s.bundle), "%s", abs_bundle);
	snprintf(s.rootfs, sizeof(s.rootfs), "%s", spec.root);
	s.annotations = spec.annotations;
	spec.annotations = NULL;
	time_t now = time(NULL);
	struct tm tm;
	strftime(s.created, sizeof(s.created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	char fifo[PATH_MAX], ctl[PATH_MAX], status[PATH_MAX];
	oci_state_path(&s, "start", fifo, sizeof(fifo));
	oci_state_path(&s, "ctl.sock", ctl, sizeof(ctl));
	oci_state_path(&s, "status", status, sizeof(status));
	/* O_RDWR: the VM's process holds a writer itself, so its read waits
	 * for start's byte instead of seeing end of file. */
	int gate = mkfifo(fifo, 0600) == 0 ? open(fifo, O_RDWR | O_CLOEXEC) : -1;
	if (gate < 0) {
		oci_log_error("create: %s: %s", fifo, strerror(errno));
		goto out;
	}
	/* The container's stdio is ours (the client's pipes): the VM's
	 * process keeps fds 0, 1 and 2 as they are. */
	mvm_detach_options o = {.control_path = ctl,
				.status_path = status,
				.log_fd = -1,
				.wait_for_start = true,
				.start_fd = gate,
				.boot_before_start = !spec.boot_at_start,
				.has_terminal = slave >= 0,
				.terminal_fd = slave};
	pid_t pid;
	if (mvm_vm_spawn_detached(vm, &o, &pid, &err) < 0) {
		close(gate);
		fail("create: ", err);
		goto out;
	}
	close(gate);
	s.pid = pid;
	s.start_time = oci_pid_start_time(pid);
	if (oci_state_save(&s, &err) < 0 ||
	    (pid_file && oci_write_pid_file(pid_file, pid, &err) < 0)) {
		kill(pid, SIGKILL);
		fail("create: ", err);
		goto out;
	}
	rc = 0;
out:
	mvm_builder_free(b);
	oci_spec_clear(&spec);
	if (slave >= 0)
		close(slave); /* the VM's process has its own */
	if (rc != 0 && s.dir[0])
		rm_state_dir(&s);
	oci_state_clear(&s);
	mvm_vm_free(vm);
	return rc;
}

static int find(const struct oci_globals *g, const char *id, struct oci_state *s)
{
	char root[PATH_MAX];
	mvm_error *err = NULL;
	if (oci_root_dir(g->root, root, sizeof(root), &err) < 0 ||
	    oci_state_find(root, id, s, &err) < 0) {
		fail("", err);
		return -1;
	}
	return 0;
}

static int one_id(int argc, char **argv, const char *cmd)
{
	if (argc != 2 || argv[1][0] == '-') {
		oci_log_error("%s needs exactly one container id", cmd);
		return -1;
	}
	return 0;
}

int oci_start(const struct oci_globals *g, int argc, char **argv)
{
	struct oci_state s;
	if (one_id(argc, argv, "start") < 0 || find(g, argv[1], &s) < 0)
		return 1;
	const char *status = oci_status(&s);
	int rc = 1;
	if (strcmp(status, "created") != 0) {
		oci_log_error("cannot start container %s: it is %s, not created", s.id, status);
		goto out;
	}
	char fifo[PATH_MAX], started[PATH_MAX];
	oci_state_path(&s, "start", fifo, sizeof(fifo));
	oci_state_path(&s, "started", started, sizeof(started));
	/* Marked first: a fast program may be gone before we return, and
	 * state must then say stopped, never created. */
	int mark = open(started, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (mark < 0 || fd < 0 || write(fd, "s", 1) != 1) {
		oci_log_error("cannot start container %s: %s", s.id, strerror(errno));
		unlink(started);
	} else {
		rc = 0;
	}
	if (mark >= 0)
		close(mark);
	if (fd >= 0)
		close(fd);
out:
	oci_state_clear(&s);
	return rc;
}

int oci_state(const struct oci_globals *g, int argc, char **argv)
{
	struct oci_state s;
	if (one_id(argc, argv, "state") < 0 || find(g, argv[1], &s) < 0)
		return 1;
	const char *status = oci_status(&s);
	/* Through jansson: a bundle path may hold any byte. */
	json_t *j = json_pack(
	    "{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "ociVersion", "1.0.2", "id", s.id, "pid",
	    (json_int_t)(strcmp(status, "stopped") == 0 ? 0 : s.pid), "status", status, "bundle",
	    s.bundle, "rootfs", s.rootfs, "created", s.created, "owner", "");
	json_t *ann = s.annotations ? json_loads(s.annotations, 0, NULL) : NULL;
	if (j && ann)
		json_object_set_new(j, "annotations", ann);
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (text == NULL) {
		oci_log_error("state %s: out of memory", s.id);
		oci_state_clear(&s);
		return 1;
	}
	puts(text);
	free(text);
	oci_state_clear(&s);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* A number, or a name with or without SIG, in any case. */
static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {{"HUP", SIGHUP},	{"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
		     {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"PIPE", SIGPIPE},
		     {"ALRM", SIGALRM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"WINCH", SIGWINCH}};
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && *end == '\0')
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	return -1;
}

int oci_kill(const struct oci_globals *g, int argc, char **argv)
{
	int i = 1;
	while (i < argc && (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0))
		i++; /* one process per container: the VM's */
	if (i >= argc || i + 2 < argc) {
		oci_log_error("kill needs a container id and at most one signal");
		return 1;
	}
	const char *sigstr = i + 1 < argc ? argv[i + 1] : "TERM";
	int sig = parse_signal(sigstr);
	if (sig < 0) {
		oci_log_error("kill: `%s` is not a signal", sigstr);
		return 1;
	}
	struct oci_state s;
	if (find(g, argv[i], &s) < 0)
		return 1;
	const char *status = oci_status(&s);
	int rc = 1;
	if (strcmp(status, "stopped") == 0) {
		oci_log_error("container %s: container not running", s.id);
	} else if (strcmp(status, "running") == 0 && sig != SIGTERM && sig != SIGINT &&
		   sig != SIGHUP && sig != SIGKILL) {
		/* The VM's process takes these four (docs/oci.md, "Signals"). */
		oci_log_error("kill %s: signal %d reaches no guest process: mvm passes on TERM and "
			      "HUP (a clean shutdown), INT and KILL",
			      s.id, sig);
	} else if (kill((pid_t)s.pid, sig) < 0) {
		oci_log_error("kill %s: %s", s.id, strerror(errno));
	} else {
		rc = 0;
	}
	oci_state_clear(&s);
	return rc;
}

int oci_delete(const struct oci_globals *g, int argc, char **argv)
{
	bool force = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) {
			force = true;
		} else {
			oci_log_error("delete: unknown option `%s`", argv[i]);
			return 1;
		}
	}
	if (i != argc - 1) {
		oci_log_error("delete needs exactly one container id");
		return 1;
	}
	char root[PATH_MAX];
	struct oci_state s;
	mvm_error *err = NULL;
	if (oci_root_dir(g->root, root, sizeof(root), &err) < 0)
		return fail("", err);
	if (oci_state_find(root, argv[i], &s, &err) < 0) {
		/* runc: a forced delete of what is not there succeeds. */
		if (force && mvm_error_get_code(err) == MVM_ERR_STATE) {
			mvm_error_free(err);
			return 0;
		}
		return fail("", err);
	}
	const char *status = oci_status(&s);
	int rc = 1;
	if (strcmp(status, "running") == 0 && !force) {
		oci_log_error("cannot delete container %s that is not stopped: %s", s.id, status);
		goto out;
	}
	if (strcmp(status, "stopped") != 0) {
		/* created (runc deletes it unforced) or forced: the VM's process
		 * goes, and we wait until it has. */
		kill((pid_t)s.pid, SIGKILL);
		for (int t = 0; t < 1000 && strcmp(oci_status(&s), "stopped") != 0; t++) {
			struct timespec ts = {0, 10 * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	if (rm_state_dir(&s) < 0 && errno != ENOENT) {
		oci_log_error("delete %s: %s: %s", s.id, s.dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	oci_state_clear(&s);
	return rc;
}

int oci_ps(const struct oci_globals *g, int argc, char **argv)
{
	int i = 1;
	bool json = false;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			json = strcmp(argv[++i], "json") == 0;
		else if (strcmp(argv[i], "--format=json") == 0)
			json = true;
	}
	if (i != argc - 1) {
		oci_log_error("ps needs exactly one container id");
		return 1;
	}
	struct oci_state s;
	if (find(g, argv[i], &s) < 0)
		return 1;
	bool alive = strcmp(oci_status(&s), "stopped") != 0;
	/* The processes in the guest are not host processes: the VM's is. */
	if (json)
		alive ? printf("[%ld]\n", s.pid) : printf("[]\n");
	else
		alive ? printf("PID\n%ld\n", s.pid) : printf("PID\n");
	oci_state_clear(&s);
	return 0;
}

int oci_features(const struct oci_globals *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.1.0\",\n"
	       "  \"hooks\": [],\n  \"mountOptions\": [\"bind\", \"rbind\"],\n"
	       "  \"annotations\": {\n    \"org.mvm.vm\": \"true\"\n  }\n}\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
