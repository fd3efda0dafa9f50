/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-runtime [GLOBAL OPTIONS] COMMAND [ARGS]: runc's command line, each
 * container a microVM (docs/oci.md). */
#include "oci/oci.h"

#include "mvm.h"
#include "oci/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fputs("Usage: mvm-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug]\n"
	      "                   [--systemd-cgroup] COMMAND [ARGS]\n"
	      "\n"
	      "An OCI runtime (runc's command line) whose containers are mvm microVMs.\n"
	      "\n"
	      "Commands:\n"
	      "  create [--bundle DIR] [--pid-file FILE] ID   check the bundle's config.json and\n"
	      "                   leave the VM's process waiting; its pid is the container's\n"
	      "  start ID         boot the VM and run process.args in it\n"
	      "  state ID         the state as JSON (created, running, stopped)\n"
	      "  kill [--all] ID [SIGNAL]   TERM or HUP: a clean shutdown of the guest; INT: to\n"
	      "                   the program; KILL: the VM ends (default TERM)\n"
	      "  delete [--force] ID   remove a stopped (or, forced, any) container\n"
	      "  ps [--format json] ID   the container's host process (the VM's)\n"
	      "  exec [--process FILE] [--detach] [--pid-file FILE] ID [CMD...]   another\n"
	      "                   program in the running guest, through mvm-init's agent\n"
	      "  features         what this runtime supports, as JSON\n"
	      "\n"
	      "State lives in --root (default $XDG_RUNTIME_DIR/mvm-runtime, /run/mvm-runtime\n"
	      "as root). docs/oci.md says how config.json maps onto a VM.\n",
	      out);
}

int main(int argc, char **argv)
{
	struct oci_globals g = {0};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
		const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
#define IS(n) (name_len == strlen(n) && strncmp(a, n, name_len) == 0)
		if (IS("--help") || IS("-h")) {
			usage(stdout);
			return 0;
		} else if (IS("--version") || IS("-v")) {
			printf("mvm-runtime version %s\nspec: 1.0.2\n", MVM_VERSION);
			return 0;
		} else if (IS("--debug")) {
			g.debug = true;
		} else if (IS("--systemd-cgroup")) {
			g.systemd_cgroup = true;
		} else if (IS("--rootless")) {
			if (!eq && val &&
			    (strcmp(val, "true") == 0 || strcmp(val, "false") == 0 ||
			     strcmp(val, "auto") == 0))
				i++;
		} else if (IS("--root") || IS("--log") || IS("--log-format") || IS("--criu") ||
			   IS("--cgroup-manager")) {
			if (val == NULL) {
				fprintf(stderr, "mvm-runtime: error: %.*s needs a value\n",
					(int)name_len, a);
				return 1;
			}
			if (IS("--root"))
				g.root = val;
			else if (IS("--log"))
				g.log = val;
			else if (IS("--log-format"))
				g.log_json = strcmp(val, "json") == 0;
			if (!eq)
				i++;
		} else {
			fprintf(stderr, "mvm-runtime: error: unknown global option `%s`\n", a);
			return 1;
		}
#undef IS
	}
	oci_log_setup(g.log, g.log_json);
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	static const struct {
		const char *name;
		int (*fn)(const struct oci_globals *g, int argc, char **argv);
	} cmds[] = {{"create", oci_create}, {"start", oci_start},      {"state", oci_state},
		    {"kill", oci_kill},	    {"delete", oci_delete},    {"ps", oci_ps},
		    {"exec", oci_exec},	    {"features", oci_features}};
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (strcmp(argv[i], cmds[k].name) == 0)
			return cmds[k].fn(&g, argc - i, argv + i);
	oci_log_error("unknown command `%s` (see mvm-runtime --help)", argv[i]);
	return 1;
}
