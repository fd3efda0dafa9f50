/* SPDX-License-Identifier: Apache-2.0 */
/* Named sandboxes (docs/sandbox.md): their places and state, and `mvm
 * stop`, `rm`, `ps` and `logs` (`create` and `start` are in
 * sandbox_create.c). A sandbox is a saved `mvm run` command line; `start`
 * runs it in a process of its own that outlives the CLI, with a vsock
 * socket for `mvm exec NAME`.
 *
 *   $MVM_HOME/sandboxes/NAME/      what persists
 *       args        the run options and operands, NUL-separated
 *       created     when (RFC 3339)
 *       console.log the program's and mvm's output, appended per start
 *       status      the last run's exit status (absent while it runs)
 *       upper/      an image sandbox's writable layer, kept across starts
 *   $XDG_RUNTIME_DIR/mvm/NAME/     what dies with the VM (/run/mvm as root)
 *       lock        flock()ed by the VM's process as long as it lives
 *       pid         that process
 *       v.sock      its vsock socket (`mvm exec`, `mvm cp`)
 *       ctl.sock    its control socket (`mvm stats`, `mvm stop`)
 *
 * The lock is the truth about "running": a VM process that crashed or was
 * killed releases it with its last fd, so `ps` never trusts a stale pid. */
#include "cli.h"
#include "cli/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- places ------------------------------------------------------------- */

bool valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

int home_dir(char *buf, size_t len)
{
	const char *h = getenv("MVM_HOME"), *x = getenv("XDG_DATA_HOME"), *u = getenv("HOME");
	int n = h && *h	  ? snprintf(buf, len, "%s/sandboxes", h)
		: x && *x ? snprintf(buf, len, "%s/mvm/sandboxes", x)
		: u && *u ? snprintf(buf, len, "%s/.local/share/mvm/sandboxes", u)
			  : -1;
	if (n < 0 || (size_t)n >= len || buf[0] != '/') {
		cli_error(
		    "no place for sandboxes: set MVM_HOME (an absolute path), XDG_DATA_HOME or "
		    "HOME");
		return -1;
	}
	return 0;
}

static int run_root(char *buf, size_t len)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	int n = x && *x		 ? snprintf(buf, len, "%s/mvm", x)
		: geteuid() == 0 ? snprintf(buf, len, "/run/mvm")
				 : snprintf(buf, len, "/tmp/mvm-%u", (unsigned)geteuid());
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* mkdir -p of an absolute path, mode 0700 for what it makes. */
int make_dirs(const char *path)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}


/* Paths of sandbox NAME; with must_exist, fails (printed) when it is not
 * there. */
int sbox_at(const char *name, bool must_exist, struct sbox *s)
{
	if (!valid_name(name)) {
		cli_error("invalid sandbox name `%s`: 1 to %d of [a-zA-Z0-9_.-], starting with a "
			  "letter or digit",
			  name, NAME_MAX_LEN);
		return -1;
	}
	char home[PATH_MAX], run[PATH_MAX];
	if (home_dir(home, sizeof(home)) < 0 || run_root(run, sizeof(run)) < 0)
		return -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if ((size_t)snprintf(s->home, sizeof(s->home), "%s/%s", home, name) >=
		sizeof(s->home) - 64 ||
	    (size_t)snprintf(s->run, sizeof(s->run), "%s/%s", run, name) >= sizeof(s->run) - 64) {
		cli_error("sandbox `%s`: path too long", name);
		return -1;
	}
	struct stat st;
	if (must_exist && stat(s->home, &st) < 0) {
		cli_error("no sandbox `%s` (see `mvm ps`)", name);
		return -1;
	}
	return 0;
}

/* dir/file; sbox_at() kept dir short enough that it always fits. */
void path_in(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

/* ---- small files ------------------------------------------------------------ */

int write_file(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	bool ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The file's bytes (NUL-ended, *len without it), or NULL. */
char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL)
			break;
		if (n + 1 >= cap) {
			char *nb = cap < (1u << 20) ? realloc(buf, cap *= 2) : NULL;
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

/* ---- state ------------------------------------------------------------------ */

const char *const sandbox_state_names[] = {"created", "running", "exited", "dead"};


/* Running is "someone holds the lock"; the rest comes from the files. */
struct status sbox_status(const struct sbox *s)
{
	struct status st = {.state = CREATED, .exit_status = -1};
	char p[PATH_MAX];
	path_in(p, sizeof(p), s->run, "lock");
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			st.state = RUNNING;
			path_in(p, sizeof(p), s->run, "pid");
			char *pid = read_file(p, NULL);
			st.pid = pid ? strtol(pid, NULL, 10) : 0;
			free(pid);
			close(fd);
			return st;
		}
		close(fd);
	}
	path_in(p, sizeof(p), s->home, "status");
	char *status = read_file(p, NULL);
	if (status) {
		st.state = EXITED;
		st.exit_status = atoi(status);
		free(status);
		return st;
	}
	/* Started once (a pid file), no status, not running: it died without
	 * a word (killed, or the host lost power). */
	path_in(p, sizeof(p), s->run, "pid");
	if (access(p, F_OK) == 0)
		st.state = DEAD;
	return st;
}

/* The saved arguments, as an argv (borrowing from *blob). */
char **sbox_args(const struct sbox *s, char **blob, int *argc)
{
	char p[PATH_MAX];
	path_in(p, sizeof(p), s->home, "args");
	size_t len;
	*blob = read_file(p, &len);
	if (*blob == NULL)
		return NULL;
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += (*blob)[i] == '\0';
	char **argv = calloc((size_t)n + 1, sizeof(*argv));
	if (argv == NULL)
		return NULL;
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		argv[i] = *blob + off;
		off += strlen(argv[i]) + 1;
	}
	*argc = n;
	return argv;
}

/* ---- stop, rm ---------------------------------------------------------------- */

/* Waits up to ms for the sandbox to stop running. */
static bool wait_stopped(const struct sbox *s, int ms)
{
	for (int t = 0; t <= ms; t += 50) {
		if (sbox_status(s).state != RUNNING)
			return true;
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* The guest's init shuts it down (SIGTERM to every guest process), then
 * after `seconds` SIGKILL. The status file says what happened. */
static int stop_one(const struct sbox *s, int seconds)
{
	struct status st = sbox_status(s);
	if (st.state != RUNNING || st.pid <= 0)
		return 0;
	char ctl[PATH_MAX];
	path_in(ctl, sizeof(ctl), s->run, "ctl.sock");
	mvm_error *err = NULL;
	/* Its process does the same on SIGTERM: the way left when the
	 * control socket is not answering. */
	if (mvm_detached_stop(ctl, &err) < 0)
		kill((pid_t)st.pid, SIGTERM);
	mvm_error_free(err);
	if (wait_stopped(s, seconds * 1000))
		return 0;
	kill((pid_t)st.pid, SIGKILL);
	if (!wait_stopped(s, 10000)) {
		cli_error("sandbox `%s` (pid %ld) did not stop", s->name, st.pid);
		return -1;
	}
	char p[PATH_MAX];
	path_in(p, sizeof(p), s->home, "status");
	write_file(p, "137\n", 4);
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	int seconds = 10, i = 1;
	if (argc >= 2 && cli_is_help(argv[1])) {
		usage_sandbox(stdout);
		return EXIT_SUCCESS;
	}
	if (argc >= 3 && (strcmp(argv[1], "--time") == 0 || strcmp(argv[1], "-t") == 0)) {
		char *end;
		long v = strtol(argv[2], &end, 10);
		if (*end || end == argv[2] || v < 0 || v > 3600) {
			cli_error("invalid --time `%s`: seconds, 0 to 3600", argv[2]);
			return EXIT_MVM_ERROR;
		}
		seconds = (int)v;
		i = 3;
	}
	if (i >= argc) {
		cli_error("stop needs a sandbox name");
		return EXIT_MVM_ERROR;
	}
	int rc = EXIT_SUCCESS;
	for (; i < argc; i++) {
		struct sbox s;
		if (sbox_at(argv[i], true, &s) < 0 || stop_one(&s, seconds) < 0)
			rc = EXIT_MVM_ERROR;
		else
			printf("%s\n", s.name);
	}
	return rc;
}

/* rm -rf that also enters directories the guest made unreadable. */
static int open_up(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static int remove_tree(const char *path)
{
	nftw(path, open_up, 32, FTW_PHYS);
	return nftw(path, remove_one, 32, FTW_PHYS | FTW_DEPTH);
}

int cmd_rm(int argc, char **argv)
{
	bool force = false;
	int i = 1;
	if (argc >= 2 && cli_is_help(argv[1])) {
		usage_sandbox(stdout);
		return EXIT_SUCCESS;
	}
	if (argc >= 2 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--force") == 0)) {
		force = true;
		i = 2;
	}
	if (i >= argc) {
		cli_error("rm needs a sandbox name");
		return EXIT_MVM_ERROR;
	}
	int rc = EXIT_SUCCESS;
	for (; i < argc; i++) {
		struct sbox s;
		if (sbox_at(argv[i], true, &s) < 0) {
			rc = EXIT_MVM_ERROR;
			continue;
		}
		if (sbox_status(&s).state == RUNNING) {
			if (!force) {
				cli_error("sandbox `%s` is running (`mvm stop %s`, or rm -f)",
					  s.name, s.name);
				rc = EXIT_MVM_ERROR;
				continue;
			}
			if (stop_one(&s, 0) < 0) {
				rc = EXIT_MVM_ERROR;
				continue;
			}
		}
		/* Out of the way first (atomic), then deleted: a create of the
		 * same name may follow at once. */
		char gone[PATH_MAX];
		char parent[PATH_MAX];
		home_dir(parent, sizeof(parent));
		/* A leading dot: no sandbox name, so `ps` never lists it. */
		int gn =
		    snprintf(gone, sizeof(gone), "%s/.rm-%s-%ld", parent, s.name, (long)getpid());
		if (gn < 0 || (size_t)gn >= sizeof(gone) || rename(s.home, gone) < 0) {
			cli_error("rm: %s: %s", s.home, strerror(errno));
			rc = EXIT_MVM_ERROR;
			continue;
		}
		struct stat st;
		if (remove_tree(gone) < 0 || (lstat(s.run, &st) == 0 && remove_tree(s.run) < 0))
			cli_warn("rm: %s: some files were left: %s", gone, strerror(errno));
		printf("%s\n", s.name);
	}
	return rc;
}

/* ---- ps, logs ----------------------------------------------------------------- */

int sandbox_by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_ps(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		    strcmp(argv[i + 1], "json") == 0)
			json = true, i++;
		else if (strcmp(argv[i], "--format=json") == 0)
			json = true;
		else if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			continue; /* every sandbox is listed anyway */
		else if (cli_is_help(argv[i])) {
			usage_sandbox(stdout);
			return EXIT_SUCCESS;
		} else {
			cli_error("ps: unknown argument `%s`", argv[i]);
			return EXIT_MVM_ERROR;
		}
	}
	char home[PATH_MAX];
	if (home_dir(home, sizeof(home)) < 0)
		return EXIT_MVM_ERROR;
	char **names = NULL;
	size_t n = 0;
	DIR *d = opendir(home);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!valid_name(e->d_name))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*nn));
		if (nn == NULL)
			break;
		names = nn;
		names[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), sandbox_by_name);
	if (json)
		putchar('[');
	else
		printf("%-20s %-12s %-8s %-20s %s\n", "NAME", "STATUS", "PID", "CREATED",
		       "COMMAND");
	for (size_t i = 0; i < n; i++) {
		struct sbox s;
		if (names[i] == NULL || sbox_at(names[i], false, &s) < 0)
			continue;
		struct status st = sbox_status(&s);
		char p[PATH_MAX], status[32], cmd[256] = "";
		path_in(p, sizeof(p), s.home, "created");
		char *created = read_file(p, NULL);
		char *blob;
		int nargs = 0;
		char **args = sbox_args(&s, &blob, &nargs);
		for (int k = 0; args && k < nargs; k++) {
			size_t l = strlen(cmd);
			snprintf(cmd + l, sizeof(cmd) - l, "%s%s", k ? " " : "", args[k]);
		}
		if (st.state == EXITED)
			snprintf(status, sizeof(status), "exited (%d)", st.exit_status);
		else
			snprintf(status, sizeof(status), "%s", sandbox_state_names[st.state]);
		if (json) {
			printf("%s{\"name\":", i ? "," : "");
			cli_print_json_string(s.name);
			printf(",\"state\":\"%s\",\"exit_status\":", sandbox_state_names[st.state]);
			if (st.state == EXITED)
				printf("%d", st.exit_status);
			else
				printf("null");
			printf(",\"pid\":");
			if (st.state == RUNNING)
				printf("%ld", st.pid);
			else
				printf("null");
			printf(",\"created\":");
			cli_print_json_string(created ? created : "");
			printf(",\"args\":[");
			for (int k = 0; args && k < nargs; k++) {
				if (k)
					putchar(',');
				cli_print_json_string(args[k]);
			}
			printf("]}");
		} else {
			char pid[16] = "-";
			if (st.state == RUNNING)
				snprintf(pid, sizeof(pid), "%ld", st.pid);
			printf("%-20s %-12s %-8s %-20s %s\n", s.name, status, pid,
			       created ? created : "-", cmd);
		}
		free(created);
		free(args);
		free(blob);
	}
	if (json)
		puts("]");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}

int cmd_logs(int argc, char **argv)
{
	bool follow = false;
	int i = 1;
	if (argc >= 2 && cli_is_help(argv[1])) {
		usage_sandbox(stdout);
		return EXIT_SUCCESS;
	}
	if (argc >= 2 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--follow") == 0)) {
		follow = true;
		i = 2;
	}
	if (argc != i + 1) {
		cli_error("logs takes one sandbox name");
		return EXIT_MVM_ERROR;
	}
	struct sbox s;
	if (sbox_at(argv[i], true, &s) < 0)
		return EXIT_MVM_ERROR;
	char p[PATH_MAX];
	path_in(p, sizeof(p), s.home, "console.log");
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			   ? EXIT_SUCCESS
			   : (cli_error("logs: %s: %s", p, strerror(errno)), EXIT_MVM_ERROR);
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				break;
			continue;
		}
		fflush(stdout);
		/* At the end: done, unless following a sandbox that runs. */
		if (!follow || sbox_status(&s).state != RUNNING) {
			/* One more read: what it wrote before it stopped. */
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				fwrite(buf, 1, (size_t)n, stdout);
			break;
		}
		struct timespec ts = {0, 200 * 1000000};
		nanosleep(&ts, NULL);
	}
	close(fd);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}

static int running_path(const char *name, const char *file, char *buf, size_t len)
{
	struct sbox s;
	if (sbox_at(name, true, &s) < 0)
		return -1;
	if (sbox_status(&s).state != RUNNING) {
		cli_error("sandbox `%s` is not running (`mvm start %s`)", name, name);
		return -1;
	}
	path_in(buf, len, s.run, file);
	return 0;
}

int sandbox_socket(const char *name, char *buf, size_t len)
{
	return running_path(name, "v.sock", buf, len);
}

int sandbox_control(const char *name, char *buf, size_t len)
{
	return running_path(name, "ctl.sock", buf, len);
}

int sandbox_running(char ***names, size_t *n)
{
	char home[PATH_MAX];
	*names = NULL;
	*n = 0;
	if (home_dir(home, sizeof(home)) < 0)
		return -1;
	DIR *d = opendir(home);
	for (struct dirent *e; d && (e = readdir(d));) {
		struct sbox s;
		if (!valid_name(e->d_name) || sbox_at(e->d_name, false, &s) < 0 ||
		    sbox_status(&s).state != RUNNING)
			continue;
		char **nn = realloc(*names, (*n + 1) * sizeof(*nn));
		if (nn == NULL || (nn[*n] = strdup(e->d_name)) == NULL) {
			if (nn)
				*names = nn;
			break;
		}
		*names = nn;
		(*n)++;
	}
	if (d)
		closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), sandbox_by_name);
	return 0;
}

int sandbox_env(const char *name, char ***env, size_t *n, char **blob)
{
	struct sbox s;
	if (sbox_at(name, true, &s) < 0)
		return -1;
	char p[PATH_MAX];
	path_in(p, sizeof(p), s.home, "env");
	size_t len = 0;
	*blob = read_file(p, &len);
	*n = 0;
	*env = NULL;
	if (*blob == NULL)
		return 0; /* a sandbox of an older mvm: no saved environment */
	for (size_t i = 0; i < len; i++)
		*n += (*blob)[i] == '\0';
	*env = calloc(*n + 1, sizeof(**env));
	if (*env == NULL) {
		free(*blob);
		*blob = NULL;
		*n = 0;
		cli_error("out of memory");
		return -1;
	}
	size_t off = 0;
	for (size_t i = 0; i < *n; i++) {
		(*env)[i] = *blob + off;
		off += strlen((*env)[i]) + 1;
	}
	return 0;
}
