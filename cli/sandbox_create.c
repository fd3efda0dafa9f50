/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm create` and `mvm start` (docs/sandbox.md): the sandbox commands
 * that check or run a VM, apart from the others (sandbox.c), which the
 * light `mvm` front runs without loading the VMM's libraries. */
#include "cli.h"
#include "cli/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- create ----------------------------------------------------------------- */

/* Whether argv[1 .. end) (the options, before the first operand) has opt. */
static bool has_option(int argc, char **argv, int end, const char *opt)
{
	size_t l = strlen(opt);
	for (int i = 1; i < end && i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strncmp(argv[i], opt, l) == 0 && (argv[i][l] == '\0' || argv[i][l] == '='))
			return true;
	}
	return false;
}

/* "KEY=VALUE\0..." of the config's "env" (*len bytes), or NULL. */
static char *env_of_config(const char *json, size_t *len)
{
	json_t *root = json ? json_loads(json, 0, NULL) : NULL;
	json_t *env = json_object_get(root, "env");
	char *blob = NULL;
	size_t n = 0;
	if (json_is_array(env)) {
		size_t i;
		json_t *e;
		blob = malloc(1);
		json_array_foreach(env, i, e)
		{
			const char *k = json_string_value(json_object_get(e, "key"));
			const char *v = json_string_value(json_object_get(e, "value"));
			if (k == NULL || v == NULL)
				continue;
			size_t add = strlen(k) + strlen(v) + 2;
			char *nb = blob ? realloc(blob, n + add) : NULL;
			if (nb == NULL) {
				free(blob);
				blob = NULL;
				break;
			}
			blob = nb;
			n += (size_t)sprintf(blob + n, "%s=%s", k, v) + 1;
		}
	}
	json_decref(root);
	*len = n;
	return blob;
}

int cmd_create(int argc, char **argv)
{
	/* `create --name NAME` then `mvm run`'s options and operands. */
	if (argc >= 2 && cli_is_help(argv[1])) {
		usage_create(stdout);
		return EXIT_SUCCESS;
	}
	const char *name = NULL;
	int first = 1;
	if (argc >= 3 && strcmp(argv[1], "--name") == 0) {
		name = argv[2];
		first = 3;
	} else if (argc >= 2 && strncmp(argv[1], "--name=", 7) == 0) {
		name = argv[1] + 7;
		first = 2;
	}
	if (name == NULL) {
		cli_error("create needs --name NAME first (see `mvm create --help`)");
		return EXIT_MVM_ERROR;
	}
	struct sbox s;
	if (sbox_at(name, false, &s) < 0)
		return EXIT_MVM_ERROR;
	/* Check them as `mvm run` would (argv[first - 1] stands for "run"). */
	int rargc = argc - first + 1;
	char **rargv = argv + first - 1;
	struct run_check chk = {0};
	if (cmd_run_check(rargc, rargv, &chk) != EXIT_SUCCESS)
		return EXIT_MVM_ERROR;
	int bad = 0;
	if (chk.tty) {
		cli_error("create: -t has no terminal in a sandbox (use `mvm exec -it NAME`)");
		bad++;
	}
	if (chk.dry_run) {
		cli_error("create: --dry-run is for `mvm run`");
		bad++;
	}
	if (has_option(rargc, rargv, chk.exec_index, "--vsock")) {
		cli_error("create: the sandbox has its own vsock socket; drop --vsock");
		bad++;
	}
	if (bad) {
		free(chk.config_json);
		return EXIT_MVM_ERROR;
	}
	/* The program's environment as run resolved it (image Env merged with
	 * -e): `mvm exec NAME` starts from it, as `docker exec` does. */
	size_t env_len = 0;
	char *env_blob = env_of_config(chk.config_json, &env_len);
	free(chk.config_json);
	if (env_blob == NULL) {
		cli_error("create: cannot read the run's environment");
		return EXIT_MVM_ERROR;
	}

	char parent[PATH_MAX], tmp[PATH_MAX];
	home_dir(parent, sizeof(parent));
	if (make_dirs(parent) < 0) {
		cli_error("create: %s: %s", parent, strerror(errno));
		return EXIT_MVM_ERROR;
	}
	/* Built aside, then renamed into place: two creates of one name
	 * race on the rename, and one of them loses cleanly. */
	int tn = snprintf(tmp, sizeof(tmp), "%s/.new-%s-%ld", parent, name, (long)getpid());
	if (tn < 0 || (size_t)tn >= sizeof(tmp) || mkdir(tmp, 0700) < 0) {
		cli_error("create: %s: %s", tmp, strerror(errno));
		return EXIT_MVM_ERROR;
	}
	/* An image sandbox keeps its writable layer in its home, so that a
	 * stop and a start keep the files (unless --upper names another). */
	char upper_dir[PATH_MAX];
	path_in(upper_dir, sizeof(upper_dir), s.home, "upper");
	bool own_upper = chk.image && !has_option(rargc, rargv, chk.exec_index - 1, "--upper");
	const char *extra[] = {"--upper", upper_dir};
	int n_extra = own_upper ? 2 : 0;
	size_t len = 0;
	for (int i = 0; i < n_extra; i++)
		len += strlen(extra[i]) + 1;
	for (int i = 1; i < rargc; i++)
		len += strlen(rargv[i]) + 1;
	char *blob = malloc(len + 1), *p = blob;
	for (int i = 0; blob && i < n_extra + rargc - 1; i++) {
		const char *arg = i < n_extra ? extra[i] : rargv[i - n_extra + 1];
		size_t l = strlen(arg) + 1;
		memcpy(p, arg, l);
		p += l;
	}
	char created[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	/* Relative paths in the options mean what they meant here. */
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, "/");
	char f1[PATH_MAX], f2[PATH_MAX], f3[PATH_MAX], f4[PATH_MAX], f5[PATH_MAX];
	path_in(f1, sizeof(f1), tmp, "args");
	path_in(f2, sizeof(f2), tmp, "created");
	path_in(f3, sizeof(f3), tmp, "upper");
	path_in(f4, sizeof(f4), tmp, "cwd");
	path_in(f5, sizeof(f5), tmp, "env");
	int rc = EXIT_MVM_ERROR;
	if (blob == NULL || write_file(f1, blob, len) < 0 ||
	    write_file(f2, created, strlen(created)) < 0 || write_file(f4, cwd, strlen(cwd)) < 0 ||
	    write_file(f5, env_blob, env_len) < 0 || (own_upper && mkdir(f3, 0700) < 0)) {
		cli_error("create: %s: %s", tmp, strerror(errno));
	} else if (rename(tmp, s.home) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			cli_error("a sandbox named `%s` exists already (`mvm rm %s` first)", name,
				  name);
		else
			cli_error("create: %s: %s", s.home, strerror(errno));
	} else {
		printf("%s\n", name);
		rc = EXIT_SUCCESS;
	}
	free(blob);
	free(env_blob);
	if (rc != EXIT_SUCCESS) {
		unlink(f1);
		unlink(f2);
		unlink(f4);
		unlink(f5);
		rmdir(f3);
		rmdir(tmp);
	}
	return rc;
}

/* ---- start ------------------------------------------------------------------ */

static int take_lock(const struct sbox *s)
{
	char p[PATH_MAX];
	path_in(p, sizeof(p), s->run, "lock");
	int lock = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		if (lock >= 0 && errno == EWOULDBLOCK)
			cli_error("sandbox `%s` is running already", s->name);
		else
			cli_error("start: %s: %s", p, strerror(errno));
		if (lock >= 0)
			close(lock);
		return -1;
	}
	return lock;
}

/* Runs the saved command line with a vsock and a control socket in a
 * process of its own (mvm_vm_spawn_detached), which inherits the lock and
 * so holds it for as long as it lives. */
int cmd_start(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && cli_is_help(argv[1])) {
			usage_sandbox(stdout);
			return EXIT_SUCCESS;
		}
		cli_error("start takes one sandbox name (see `mvm start --help`)");
		return EXIT_MVM_ERROR;
	}
	struct sbox s;
	if (sbox_at(argv[1], true, &s) < 0)
		return EXIT_MVM_ERROR;
	if (make_dirs(s.run) < 0) {
		cli_error("start: %s: %s", s.run, strerror(errno));
		return EXIT_MVM_ERROR;
	}
	int lock = take_lock(&s);
	if (lock < 0)
		return EXIT_MVM_ERROR;
	char status[PATH_MAX], sock[PATH_MAX], ctl[PATH_MAX], p[PATH_MAX];
	path_in(status, sizeof(status), s.home, "status");
	path_in(sock, sizeof(sock), s.run, "v.sock");
	path_in(ctl, sizeof(ctl), s.run, "ctl.sock");
	/* A crashed run's; ours now that we hold the lock. */
	unlink(status);
	unlink(sock);
	unlink(ctl);
	int nargs;
	char *blob, *cwd = NULL, **args = sbox_args(&s, &blob, &nargs), **run_argv = NULL;
	int rc = EXIT_MVM_ERROR, log = -1;
	path_in(p, sizeof(p), s.home, "cwd");
	if (args == NULL || (cwd = read_file(p, NULL)) == NULL)
		goto out;
	/* Relative paths in the saved options mean where create ran. */
	if (chdir(cwd) < 0) {
		cli_error("sandbox `%s`: the directory it was created in: %s: %s", s.name, cwd,
			  strerror(errno));
		goto out;
	}
	path_in(p, sizeof(p), s.home, "console.log");
	log = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	run_argv = calloc((size_t)nargs + 4, sizeof(*run_argv));
	if (log < 0 || run_argv == NULL) {
		cli_error("start: %s: %s", p, strerror(errno));
		goto out;
	}
	int k = 0;
	run_argv[k++] = "run";
	run_argv[k++] = "--vsock";
	run_argv[k++] = sock;
	for (int i = 0; i < nargs; i++)
		run_argv[k++] = args[i];
	mvm_detach_options o = {.control_path = ctl, .status_path = status, .log_fd = log};
	pid_t pid;
	fflush(NULL);
	rc = cmd_run_detached(k, run_argv, &o, &pid);
	if (rc == EXIT_SUCCESS) {
		char line[32];
		int n = snprintf(line, sizeof(line), "%ld\n", (long)pid);
		path_in(p, sizeof(p), s.run, "pid");
		write_file(p, line, (size_t)n);
		printf("%s\n", s.name);
	}
out:
	if (log >= 0)
		close(log);
	close(lock); /* the VM's process has its own reference */
	free(run_argv);
	free(args);
	free(blob);
	free(cwd);
	return rc;
}
