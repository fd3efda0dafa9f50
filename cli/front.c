/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm`, the command users run. It serves the commands that only talk to
 * running sandboxes (exec, ps, stats, stop, rm, logs) itself, and hands
 * every other one to mvm-core (main.c), which is the whole CLI. The split
 * is for start-up time: mvm-core loads some fifty shared libraries (curl,
 * libarchive, glib and what they pull in), 20 ms before main() on a fast
 * host and a third of a second under emulation; `mvm exec` in a loop
 * should cost what the exec costs. README.md, "Two binaries". */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mvm-core beside this binary, under the same suffix (mvm-san runs
 * mvm-core-san), else in ../libexec/mvm/ as installed; $MVM_CORE wins. */
static int find_core(char *buf, size_t len, char *tried, size_t tried_len)
{
	const char *env = getenv("MVM_CORE");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		snprintf(tried, tried_len, "%s ($MVM_CORE)", env);
		return access(buf, X_OK);
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(tried, tried_len, "/proc/self/exe: %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	const char *base = slash + 1;
	const char *suffix = strncmp(base, "mvm", 3) == 0 ? base + 3 : "";
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%.*s/mvm-core%s", PATH_MAX - 64, self, suffix) < len &&
	    access(buf, X_OK) == 0)
		return 0;
	snprintf(tried, tried_len, "%s", buf);
	if ((size_t)snprintf(buf, len, "%.*s/../libexec/mvm/mvm-core%s", PATH_MAX - 64, self,
			     suffix) >= len)
		return -1;
	size_t used = strlen(tried);
	snprintf(tried + used, tried_len - used, " and %s", buf);
	return access(buf, X_OK);
}

static int run_core(char **argv)
{
	char core[PATH_MAX], tried[2 * PATH_MAX + 64];
	if (find_core(core, sizeof(core), tried, sizeof(tried)) < 0) {
		cli_error("`%s` is mvm-core's to run, which is not installed (looked for %s)",
			  argv[1], tried);
		return EXIT_MVM_ERROR;
	}
	fflush(NULL);
	execv(core, argv);
	cli_error("cannot run %s: %s", core, strerror(errno));
	return EXIT_MVM_ERROR;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("no command given (see `mvm --help`)");
		return EXIT_MVM_ERROR;
	}
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} here[] = {
	    {"exec", cmd_exec}, {"ps", cmd_ps}, {"stats", cmd_stats},
	    {"stop", cmd_stop}, {"rm", cmd_rm}, {"logs", cmd_logs},
	};
	const char *cmd = argv[1];
	int status;
	if (cli_help_or_version(cmd, &status))
		return status;
	for (size_t i = 0; i < sizeof(here) / sizeof(here[0]); i++)
		if (strcmp(cmd, here[i].name) == 0)
			return here[i].fn(argc - 1, argv + 1);
	return run_core(argv);
}
