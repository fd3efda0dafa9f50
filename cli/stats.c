/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm stats [--format json] [NAME...]`: what running sandboxes cost and
 * move, from their VMM processes (mvm_detached_stats()), as `docker stats
 * --no-stream` shows it. CPU % is measured over half a second. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SAMPLE_MS 500

struct row {
	const char *name;
	bool ok;
	mvm_vm_stats a, b;
};

static void human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]))
		v /= 1024, u++;
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

/* The process's CPU time over the wall time between the two samples. */
static double cpu_percent(const struct row *r)
{
	uint64_t wall = r->b.uptime_ns - r->a.uptime_ns;
	if (r->b.uptime_ns <= r->a.uptime_ns || r->b.process_cpu_ns < r->a.process_cpu_ns)
		return 0;
	return 100.0 * (double)(r->b.process_cpu_ns - r->a.process_cpu_ns) / (double)wall;
}

static bool sample(struct row *r, mvm_vm_stats *out)
{
	char ctl[4096];
	mvm_error *err = NULL;
	if (sandbox_control(r->name, ctl, sizeof(ctl)) < 0)
		return false;
	if (mvm_detached_stats(ctl, out, &err) < 0) {
		cli_error("stats: sandbox `%s`:", r->name);
		cli_print_errors(err);
		mvm_error_free(err);
		return false;
	}
	return true;
}

static void print_json(const struct row *r, size_t n)
{
	putchar('[');
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!r[i].ok)
			continue;
		printf("%s{\"name\":", first ? "" : ",");
		first = false;
		cli_print_json_string(r[i].name);
		printf(",\"cpu_percent\":%.1f", cpu_percent(&r[i]));
		uint64_t v;
		const char *name;
		for (size_t k = 0; (name = mvm_vm_stats_field(&r[i].b, k, &v)) != NULL; k++)
			printf(",\"%s\":%llu", name, (unsigned long long)v);
		putchar('}');
	}
	puts("]");
}

static void print_table(const struct row *r, size_t n)
{
	printf("%-20s %6s %9s %-19s %-19s %-19s %s\n", "NAME", "CPU %", "CPU TIME",
	       "MEM (RSS / RAM)", "NET (RX / TX)", "FS (READ / WRITE)", "UPTIME");
	for (size_t i = 0; i < n; i++) {
		if (!r[i].ok)
			continue;
		const mvm_vm_stats *s = &r[i].b;
		char rss[16], ram[16], rx[16], tx[16], rd[16], wr[16], mem[40], net[40], fs[40];
		human(s->process_rss_bytes, rss, sizeof(rss));
		human(s->ram_bytes, ram, sizeof(ram));
		human(s->net_rx_bytes, rx, sizeof(rx));
		human(s->net_tx_bytes, tx, sizeof(tx));
		human(s->fs_read_bytes, rd, sizeof(rd));
		human(s->fs_write_bytes, wr, sizeof(wr));
		snprintf(mem, sizeof(mem), "%s / %s", rss, ram);
		snprintf(net, sizeof(net), "%s / %s", rx, tx);
		snprintf(fs, sizeof(fs), "%s / %s", rd, wr);
		printf("%-20s %5.1f%% %8.2fs %-19s %-19s %-19s %.0fs\n", r[i].name,
		       cpu_percent(&r[i]), (double)s->process_cpu_ns / 1e9, mem, net, fs,
		       (double)s->uptime_ns / 1e9);
	}
}

int cmd_stats(int argc, char **argv)
{
	bool json = false;
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "--format") == 0 && first + 1 < argc &&
		    strcmp(argv[first + 1], "json") == 0) {
			json = true;
			first++;
		} else if (strcmp(argv[first], "--format=json") == 0) {
			json = true;
		} else if (cli_is_help(argv[first])) {
			usage_stats(stdout);
			return EXIT_SUCCESS;
		} else {
			cli_error("stats: unknown option `%s` (see `mvm stats --help`)",
				  argv[first]);
			return EXIT_MVM_ERROR;
		}
	}
	char **names = NULL;
	size_t n = 0;
	bool all = first >= argc;
	if (all && sandbox_running(&names, &n) < 0)
		return EXIT_MVM_ERROR;
	if (!all)
		n = (size_t)(argc - first);
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	if (rows == NULL) {
		cli_error("out of memory");
		return EXIT_MVM_ERROR;
	}
	int rc = EXIT_SUCCESS;
	for (size_t i = 0; i < n; i++) {
		rows[i].name = all ? names[i] : argv[first + (int)i];
		rows[i].ok = sample(&rows[i], &rows[i].a);
		if (!rows[i].ok)
			rc = EXIT_MVM_ERROR;
	}
	struct timespec ts = {0, SAMPLE_MS * 1000000L};
	if (n > 0)
		nanosleep(&ts, NULL);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].ok && !(rows[i].ok = sample(&rows[i], &rows[i].b)))
			rc = EXIT_MVM_ERROR;
	}
	size_t ok = 0;
	for (size_t i = 0; i < n; i++)
		ok += rows[i].ok;
	/* Nothing to show when every named sandbox failed: the errors say it. */
	if (ok > 0 || n == 0) {
		if (json)
			print_json(rows, n);
		else
			print_table(rows, n);
	}
	free(rows);
	for (size_t i = 0; i < (all ? n : 0); i++)
		free(names[i]);
	free(names);
	if (fflush(stdout) != 0)
		rc = EXIT_MVM_ERROR;
	return rc;
}
