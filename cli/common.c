/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers every command uses: options, help, JSON strings,
 * progress lines. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void cli_print_progress(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "%s\n", msg);
}

int cli_next_opt(int argc, char **argv, const char *shorts, const struct option *longs)
{
	opterr = 0;
	int opt = getopt_long(argc, argv, shorts, longs, NULL);
	if (opt == '?') {
		cli_error("unknown option `%s`", argv[optind - 1]);
		return -2;
	}
	if (opt == ':') {
		cli_error("option `%s` needs a value", argv[optind - 1]);
		return -2;
	}
	return opt;
}

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

void cli_print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

bool cli_help_or_version(const char *arg, int *status)
{
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0) {
		usage_main(stdout);
		*status = EXIT_SUCCESS;
		return true;
	}
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
		printf("mvm %s\n", MVM_VERSION);
		*status = EXIT_SUCCESS;
		return true;
	}
	return false;
}
