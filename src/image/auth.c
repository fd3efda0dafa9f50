/* SPDX-License-Identifier: Apache-2.0 */
/* Credentials from auth files (auth.h). */
#include "image/auth.h"
#include "util/error.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A helper's answer is a few hundred bytes; more is a broken helper. */
#define HELPER_OUT_MAX (64 * 1024)

/* Long enough for a helper that unlocks a keychain or asks a cloud
 * metadata service, short enough that a hung one does not hang the pull. */
static int helper_timeout_ms = 30000;

void auth_set_helper_timeout_ms(int ms)
{
	helper_timeout_ms = ms > 0 ? ms : 30000;
}

/* KEY names registry: "host", "https://host", "host/path", ... */
static bool key_matches(const char *key, const char *registry)
{
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	size_t n = strcspn(key, "/");
	const char *reg = registry;
	/* Docker Hub's entries are under index.docker.io. */
	if (strcmp(registry, "docker.io") == 0 && n == 15 && strncmp(key, "index.docker.io", 15) == 0)
		return true;
	return strlen(reg) == n && strncmp(key, reg, n) == 0;
}

static int decode_auth(const char *b64, char **userpwd, const char *file, mvm_error **err)
{
	size_t len = strlen(b64);
	if (len == 0 || len % 4 != 0 || len > 4096)
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: an \"auth\" that is not base64", file);
	unsigned char *out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	if (n < 0) {
		free(out);
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: an \"auth\" that is not base64", file);
	}
	/* DecodeBlock counts the padding as zero bytes. */
	while (n > 0 && b64[len - 1] == '=' && out[n - 1] == '\0') {
		n--;
		len--;
	}
	out[n] = '\0';
	if (memchr(out, '\0', (size_t)n) || !strchr((char *)out, ':')) {
		free(out);
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: an \"auth\" that is not user:password",
			       file);
	}
	*userpwd = (char *)out;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* An application may run with stdin or stdout closed, and then a pipe end
 * is fd 0 or 1: the child's dup2 onto 0 and 1 would overwrite the other
 * pipe's end before its own dup2 ran. */
static int above_stdio(int *fd)
{
	if (*fd > 2)
		return 0;
	int nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		return -1;
	close(*fd);
	*fd = nfd;
	return 0;
}

static void kill_helper(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* 1: EOF, 0: deadline passed, -2: more than cap bytes, -1: errno. buf
 * holds cap + 1 bytes, the last one to notice output beyond cap. */
static int read_helper(int fd, char *buf, size_t cap, size_t *len, long long deadline)
{
	*len = 0;
	for (;;) {
		long long left = deadline - clock_now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n;
		ssize_t r = read(fd, buf + *len, cap + 1 - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 1;
		*len += (size_t)r;
		if (*len > cap)
			return -2;
	}
}

/* A helper may close stdout and linger (or leave a child holding it):
 * its exit is waited for only until the same deadline. 1: *status, 0:
 * deadline passed (helper killed), -1: errno (ECHILD when the application
 * reaps children behind our back or ignores SIGCHLD). */
static int wait_helper(pid_t pid, long long deadline, int *status)
{
	long delay_us = 1000;
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 1;
		if (w < 0 && errno != EINTR)
			return -1;
		if (w == 0) {
			if (clock_now_ms() >= deadline) {
				kill_helper(pid);
				return 0;
			}
			struct timespec ts = {0, delay_us * 1000};
			nanosleep(&ts, NULL);
			if (delay_us < 50000)
				delay_us *= 2;
		}
	}
}

/* What docker-credential-helpers prints (credentials.errCredentialsNotFound)
 * for a server it holds nothing for; docker then pulls anonymously. */
static const char not_found_msg[] = "credentials not found in native keychain";

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Turns a helper's exit status and stdout into *userpwd. The messages
 * never quote a successful answer: it holds the secret. */
static int helper_answer(const char *prog, char *out, size_t len, int status, char **userpwd,
			 mvm_error **err)
{
	if (WIFSIGNALED(status))
		return mvm_err(err, MVM_ERR_IO, 0, "credential helper `%s` was killed by signal %d",
			       prog, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0) {
		const char *s = out + strspn(out, " \t\r\n");
		size_t n = strlen(s);
		while (n > 0 && strchr(" \t\r\n", s[n - 1]))
			n--;
		if (n == sizeof(not_found_msg) - 1 && memcmp(s, not_found_msg, n) == 0)
			return 0;
		/* The protocol's error is its first line of stdout (stderr
		 * went to /dev/null); cut and cleaned for a terminal. */
		char line[201];
		size_t m = strcspn(s, "\r\n");
		if (m > sizeof(line) - 1)
			m = sizeof(line) - 1;
		for (size_t i = 0; i < m; i++)
			line[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
		line[m] = '\0';
		/* A helper that printed its answer and then failed must not
		 * have the secret quoted. */
		if (strcasestr(line, "secret"))
			m = 0;
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "credential helper `%s` exited with status %d%s%s", prog,
			       WEXITSTATUS(status), m ? ": " : "", m ? line : "");
	}
	json_error_t je;
	json_t *root = json_loadb(out, len, 0, &je);
	json_t *u = json_object_get(root, "Username");
	json_t *p = json_object_get(root, "Secret");
	/* Not je.text: it quotes the output near the fault, the secret maybe. */
	const char *bad = NULL;
	if (!json_is_object(root))
		bad = "printed no JSON object";
	else if ((u && !json_is_string(u)) || (p && !json_is_string(p)))
		bad = "printed a Username or Secret that is not a string";
	const char *user = json_string_value(u) ? json_string_value(u) : "";
	const char *secret = json_string_value(p) ? json_string_value(p) : "";
	if (bad == NULL && (strchr(user, ':') || has_ctl(user) || has_ctl(secret)))
		bad = "printed a Username with ':' or a control character in Username or Secret";
	int rc = 0;
	if (bad)
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "credential helper `%s` %s", prog, bad);
	else if (*user != '\0' || *secret != '\0') {
		/* A Username of "<token>" makes Secret an identity token, which
		 * docker trades for a bearer token with OAuth; mvm does not,
		 * and sends it as the password of "<token>" like any other. */
		rc = 1;
		if (asprintf(userpwd, "%s:%s", user, secret) < 0) {
			*userpwd = NULL;
			rc = mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		}
	}
	/* Empty Username and Secret: the helper holds nothing, as above. */
	json_decref(root);
	return rc;
}

#define HELPER_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

/* docker-credential-NAME get, with server on stdin, as docker runs it
 * (docker-credential-helpers' client.Get). 1: *userpwd set, 0: the helper
 * has nothing for server, -1: error. */
static int run_helper(const char *name, const char *server, char **userpwd, mvm_error **err)
{
	size_t nlen = strlen(name);
	/* No '/': the name is only ever looked up in PATH. */
	if (nlen == 0 || nlen > 100 || strspn(name, HELPER_CHARS) != nlen)
		return mvm_err(
		    err, MVM_ERR_INVALID, 0,
		    "credential helper name \"%.100s\": only letters, digits, '.', '_' and '-' "
		    "are allowed",
		    name);
	char prog[128];
	snprintf(prog, sizeof(prog), "docker-credential-%s", name);
	char line[PIPE_BUF];
	size_t llen = strlen(server) + 1;
	if (llen > sizeof(line))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "credential helper `%s`: server \"%.64s...\" is too long", prog,
			       server);
	memcpy(line, server, llen - 1);
	line[llen - 1] = '\n';

	int in[2] = {-1, -1}, out[2] = {-1, -1};
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || above_stdio(&in[0]) < 0 ||
	    above_stdio(&in[1]) < 0 || above_stdio(&out[0]) < 0 || above_stdio(&out[1]) < 0) {
		int e = errno;
		close_fd(&in[0]);
		close_fd(&in[1]);
		close_fd(&out[0]);
		close_fd(&out[1]);
		return mvm_err(err, MVM_ERR_IO, e, "credential helper `%s`: pipe", prog);
	}
	/* The server goes into the pipe before the helper exists. The read
	 * end is still ours then, so the write cannot fail with EPIPE and raise
	 * SIGPIPE, which would kill an application keeping its default action,
	 * however early the helper exits: no thread's signal mask needs
	 * touching, nor a pending SIGPIPE consuming. At most PIPE_BUF bytes
	 * into an empty pipe never wait; O_NONBLOCK makes sure of it. */
	ssize_t w;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	do
		w = write(in[1], line, llen);
	while (w < 0 && errno == EINTR);
	int e = errno;
	close_fd(&in[1]);
	if (w != (ssize_t)llen) {
		close_fd(&in[0]);
		close_fd(&out[0]);
		close_fd(&out[1]);
		return mvm_err(err, MVM_ERR_IO, w < 0 ? e : 0,
			       "credential helper `%s`: writing its input", prog);
	}

	/* posix_spawn, not fork: the library runs in threaded programs. The
	 * helper gets an empty signal mask and SIGPIPE's default whatever the
	 * calling thread has (library threads block SIGPIPE), and its stderr
	 * goes to /dev/null: the library prints nothing. */
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, pipe_set;
	sigemptyset(&none);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	char get[] = "get";
	char *argv[] = {prog, get, NULL};
	pid_t pid = -1;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		goto spawned;
	rc = posix_spawnattr_init(&attr);
	if (rc != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto spawned;
	}
	rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&attr, &pipe_set);
	if (rc == 0)
		rc =
		    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawnp(&pid, prog, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
spawned:
	close_fd(&in[0]);
	close_fd(&out[1]);
	if (rc != 0) {
		close_fd(&out[0]);
		if (rc == ENOENT)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "credential helper `%s` is not in PATH", prog);
		/* posix_spawnp, as execvp: some PATH entry could not be searched
		 * or held a file that cannot be run. */
		if (rc == EACCES)
			return mvm_err(err, MVM_ERR_INVALID, EACCES,
				       "credential helper `%s`: not found in PATH, or not executable "
				       "there",
				       prog);
		return mvm_err(err, MVM_ERR_IO, rc, "credential helper `%s`", prog);
	}

	char *buf = malloc(HELPER_OUT_MAX + 1);
	if (buf == NULL) {
		close_fd(&out[0]);
		kill_helper(pid);
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	}
	long long deadline = clock_now_ms() + helper_timeout_ms;
	size_t len = 0;
	int rr = read_helper(out[0], buf, HELPER_OUT_MAX, &len, deadline);
	e = errno;
	close_fd(&out[0]);
	int status = 0;
	if (rr == 1) {
		int wr = wait_helper(pid, deadline, &status);
		if (wr <= 0) {
			e = errno;
			rr = wr == 0 ? 0 : -3;
		}
	} else {
		kill_helper(pid);
	}
	if (rr == 0)
		rc = mvm_err(err, MVM_ERR_IO, 0,
			     "credential helper `%s` did not finish within %g s, killed", prog,
			     helper_timeout_ms / 1000.0);
	else if (rr == -2)
		rc = mvm_err(err, MVM_ERR_INVALID, 0,
			     "credential helper `%s` printed more than %d KiB", prog,
			     HELPER_OUT_MAX / 1024);
	else if (rr == -1)
		rc =
		    mvm_err(err, MVM_ERR_IO, e, "credential helper `%s`: reading its output", prog);
	else if (rr == -3)
		rc = mvm_err(err, MVM_ERR_IO, e, "credential helper `%s`: waiting for its exit",
			     prog);
	else {
		buf[len] = '\0';
		rc = helper_answer(prog, buf, len, status, userpwd, err);
	}
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

/* The server name docker gives helpers: Docker Hub's is its old index
 * URL, under which `docker login` stores it. */
static const char *helper_server(const char *registry)
{
	return strcmp(registry, "docker.io") == 0 ? "https://index.docker.io/v1/" : registry;
}

/*
 * Within a file, docker's order (docker/cli cli/config/configfile/file.go,
 * getConfiguredCredentialStore, and credentials/native_store.go):
 * credHelpers[registry], else credsStore, else the "auths" entry. A
 * helper's answer is final for the file; the inline "auth" is not looked
 * at then, as docker ignores it. An empty credHelpers value means "no
 * helper" and goes to "auths", skipping credsStore, as in docker.
 * 1: found, 0: nothing for registry in this file (or no file), -1: error.
 */
static int lookup_in(const char *file, const char *registry, char **userpwd, mvm_error **err)
{
	if (access(file, F_OK) < 0)
		return 0;
	json_error_t je;
	json_t *root = json_load_file(file, 0, &je);
	if (root == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "auth file `%s`: %s", file, je.text);
	const char *key;
	json_t *v;
	const char *helper = NULL, *server = NULL;
	bool named = false;
	int rc = 0;
	json_object_foreach(json_object_get(root, "credHelpers"), key, v)
	{
		if (!key_matches(key, registry))
			continue;
		helper = json_string_value(v);
		/* The key as written: podman's helpers store Docker Hub's
		 * credentials under "docker.io", docker's under its URL. */
		server = key;
		named = true;
		break;
	}
	if (named && helper == NULL) {
		rc = mvm_err(err, MVM_ERR_INVALID, 0,
			     "auth file `%s`: credHelpers \"%s\" is not a string", file, key);
		goto out;
	}
	json_t *store = json_object_get(root, "credsStore");
	if (!named && store && !json_is_string(store)) {
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "auth file `%s`: credsStore is not a string",
			     file);
		goto out;
	}
	if (!named) {
		helper = json_string_value(store);
		server = helper_server(registry);
	}
	if (helper && *helper) {
		mvm_error *herr = NULL;
		rc = run_helper(helper, server, userpwd, &herr);
		if (rc < 0) {
			mvm_err_wrap(&herr, "auth file `%s`", file);
			mvm_err_merge(err, &herr);
		}
		goto out;
	}
	json_object_foreach(json_object_get(root, "auths"), key, v)
	{
		if (!key_matches(key, registry))
			continue;
		const char *b64 = json_string_value(json_object_get(v, "auth"));
		if (b64 == NULL)
			continue;
		rc = decode_auth(b64, userpwd, file, err) < 0 ? -1 : 1;
		break;
	}
out:
	json_decref(root);
	return rc;
}

int auth_lookup(const char *registry, char **userpwd, mvm_error **err)
{
	*userpwd = NULL;
	char files[4][4096];
	int n = 0;
	const char *env = getenv("REGISTRY_AUTH_FILE");
	if (env && *env)
		snprintf(files[n++], sizeof(files[0]), "%s", env);
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		snprintf(files[n++], sizeof(files[0]), "%s/containers/auth.json", xdg);
	const char *home = getenv("HOME");
	if (home && *home) {
		snprintf(files[n++], sizeof(files[0]), "%s/.config/containers/auth.json", home);
		snprintf(files[n++], sizeof(files[0]), "%s/.docker/config.json", home);
	}
	for (int i = 0; i < n; i++) {
		int rc = lookup_in(files[i], registry, userpwd, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}
