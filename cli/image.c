/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm load` and `mvm images`: the image store from the command line
 * (docs/images.md). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

mvm_store *cli_open_store(void)
{
	mvm_error *err = NULL;
	mvm_store *s = mvm_store_open(NULL, &err);
	if (s == NULL) {
		cli_print_errors(err);
		mvm_error_free(err);
	}
	return s;
}

int cmd_load(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"help", no_argument, NULL, 'h'},  {"quiet", no_argument, NULL, 'q'},
	    {"input", required_argument, NULL, 'i'}, {"name", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0}};
	bool quiet = false;
	const char *input = NULL, *name = NULL;
	optind = 1;
	for (int opt; (opt = cli_next_opt(argc, argv, "+:hqi:", longs)) != -1;) {
		switch (opt) {
		case 'h':
			usage_load(stdout);
			return EXIT_SUCCESS;
		case 'q':
			quiet = true;
			break;
		case 'i':
			input = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		default:
			return EXIT_MVM_ERROR;
		}
	}
	if (input == NULL && optind < argc)
		input = argv[optind++];
	/* As podman load: an archive on stdin when no path is given. */
	if (input == NULL && !isatty(STDIN_FILENO))
		input = "-";
	if (input == NULL || optind < argc) {
		cli_error(input ? "unexpected argument `%s`" : "no image to load (see `mvm load --help`)",
			  input ? argv[optind] : "");
		return EXIT_MVM_ERROR;
	}
	mvm_store *s = cli_open_store();
	if (s == NULL)
		return EXIT_MVM_ERROR;
	mvm_error *err = NULL;
	char **names = NULL;
	size_t n = 0;
	int rc = mvm_image_load(s, input, name, quiet ? NULL : cli_print_progress, NULL, &names, &n,
				&err);
	for (size_t i = 0; i < n; i++) {
		printf("Loaded image: %s\n", names[i]);
		free(names[i]);
	}
	free(names);
	cli_print_errors(err);
	mvm_error_free(err);
	mvm_store_free(s);
	return rc == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}

static void human_size(uint64_t b, char out[16])
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)b;
	unsigned u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(out, 16, u ? "%.3g %s" : "%.0f %s", v, units[u]);
}

/* "docker.io/library/alpine:latest" -> repository and tag columns. */
static void split_name(const char *name, char *repo, size_t repo_len, const char **tag)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	size_t n = colon ? (size_t)(colon - name) : strlen(name);
	snprintf(repo, repo_len, "%.*s", (int)n, name);
	*tag = colon ? colon + 1 : "<none>";
}

int cmd_images(int argc, char **argv)
{
	static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
					      {"quiet", no_argument, NULL, 'q'},
					      {"format", required_argument, NULL, 'f'},
					      {NULL, 0, NULL, 0}};
	bool quiet = false, json = false;
	optind = 1;
	for (int opt; (opt = cli_next_opt(argc, argv, "+:hq", longs)) != -1;) {
		switch (opt) {
		case 'h':
			usage_images(stdout);
			return EXIT_SUCCESS;
		case 'q':
			quiet = true;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
				cli_error("--format `%s`: want table or json", optarg);
				return EXIT_MVM_ERROR;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		default:
			return EXIT_MVM_ERROR;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument `%s`", argv[optind]);
		return EXIT_MVM_ERROR;
	}
	mvm_store *s = cli_open_store();
	if (s == NULL)
		return EXIT_MVM_ERROR;
	mvm_error *err = NULL;
	mvm_image_info *list = NULL;
	size_t n = 0;
	int rc = mvm_image_list(s, &list, &n, &err);
	if (rc == 0 && json) {
		printf("[");
		for (size_t i = 0; i < n; i++) {
			printf("%s\n  {\"name\": ", i ? "," : "");
			cli_print_json_string(list[i].name);
			printf(", \"id\": \"%s\", \"manifest\": \"%s\", \"created\": ", list[i].id,
			       list[i].manifest);
			cli_print_json_string(list[i].created);
			printf(", \"layers\": %u, \"size\": %llu, \"disk\": %llu}", list[i].layers,
			       (unsigned long long)list[i].size, (unsigned long long)list[i].disk);
		}
		printf("%s]\n", n ? "\n" : "");
	} else if (rc == 0 && quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%.12s\n", list[i].id + 7);
	} else if (rc == 0) {
		printf("%-40s %-12s %-12s %-20s %-10s %s\n", "REPOSITORY", "TAG", "IMAGE ID",
		       "CREATED", "SIZE", "ON DISK");
		for (size_t i = 0; i < n; i++) {
			char repo[512], size[16], disk[16];
			const char *tag;
			split_name(list[i].name, repo, sizeof(repo), &tag);
			human_size(list[i].size, size);
			human_size(list[i].disk, disk);
			printf("%-40s %-12s %-12.12s %-20.19s %-10s %s\n", repo, tag, list[i].id + 7,
			       list[i].created[0] ? list[i].created : "-", size, disk);
		}
	}
	mvm_image_list_free(list, n);
	cli_print_errors(err);
	mvm_error_free(err);
	mvm_store_free(s);
	return rc == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}

/* Options of the small image commands: only --help. Returns the index of
 * the first argument, or -1 (help shown: 0 status) / -2 (error). */
static int only_help(int argc, char **argv, void (*usage)(FILE *))
{
	static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	optind = 1;
	for (int opt; (opt = cli_next_opt(argc, argv, "+:h", longs)) != -1;) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		return -2;
	}
	return optind;
}

int cmd_inspect(int argc, char **argv)
{
	int first = only_help(argc, argv, usage_inspect);
	if (first < 0)
		return first == -1 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
	if (first >= argc) {
		cli_error("no image to inspect (see `mvm inspect --help`)");
		return EXIT_MVM_ERROR;
	}
	mvm_store *s = cli_open_store();
	if (s == NULL)
		return EXIT_MVM_ERROR;
	int status = EXIT_SUCCESS, shown = 0;
	/* A JSON array of what was found; nothing on stdout if none was. */
	for (int i = first; i < argc; i++) {
		mvm_error *err = NULL;
		char *json = mvm_image_inspect(s, argv[i], &err);
		if (json) {
			printf("%s\n%s", shown++ ? "," : "[", json);
			free(json);
		} else {
			cli_print_errors(err);
			status = EXIT_MVM_ERROR;
		}
		mvm_error_free(err);
	}
	if (shown)
		printf("\n]\n");
	mvm_store_free(s);
	return status;
}

int cmd_rmi(int argc, char **argv)
{
	int first = only_help(argc, argv, usage_rmi);
	if (first < 0)
		return first == -1 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
	if (first >= argc) {
		cli_error("no image to remove (see `mvm rmi --help`)");
		return EXIT_MVM_ERROR;
	}
	mvm_store *s = cli_open_store();
	if (s == NULL)
		return EXIT_MVM_ERROR;
	int status = EXIT_SUCCESS;
	for (int i = first; i < argc; i++) {
		mvm_error *err = NULL;
		char *name = NULL;
		if (mvm_image_resolve(s, argv[i], &name, &err) == 0 &&
		    mvm_image_remove(s, name, &err) == 0) {
			printf("Untagged: %s\n", name);
		} else {
			cli_print_errors(err);
			status = EXIT_MVM_ERROR;
		}
		free(name);
		mvm_error_free(err);
	}
	mvm_store_free(s);
	return status;
}

static int image_prune(int argc, char **argv)
{
	int first = only_help(argc, argv, usage_image);
	if (first < 0)
		return first == -1 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
	if (first < argc) {
		cli_error("unexpected argument `%s`", argv[first]);
		return EXIT_MVM_ERROR;
	}
	mvm_store *s = cli_open_store();
	if (s == NULL)
		return EXIT_MVM_ERROR;
	mvm_error *err = NULL;
	uint64_t freed = 0;
	int rc = mvm_image_prune(s, &freed, &err);
	if (rc == 0) {
		char size[16];
		human_size(freed, size);
		printf("Total reclaimed space: %s\n", size);
	}
	cli_print_errors(err);
	mvm_error_free(err);
	mvm_store_free(s);
	return rc == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("`mvm image` needs a command: ls, inspect, rm, prune, load");
		return EXIT_MVM_ERROR;
	}
	const char *sub = argv[1];
	if (cli_is_help(sub)) {
		usage_image(stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return cmd_images(argc - 1, argv + 1);
	if (strcmp(sub, "inspect") == 0)
		return cmd_inspect(argc - 1, argv + 1);
	if (strcmp(sub, "rm") == 0)
		return cmd_rmi(argc - 1, argv + 1);
	if (strcmp(sub, "load") == 0)
		return cmd_load(argc - 1, argv + 1);
	if (strcmp(sub, "prune") == 0)
		return image_prune(argc - 1, argv + 1);
	cli_error("unknown image command `%s` (see `mvm image --help`)", sub);
	return EXIT_MVM_ERROR;
}
