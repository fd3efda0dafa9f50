/* SPDX-License-Identifier: Apache-2.0 */
/* `mvm pull`, and its progress: on a terminal one line per blob and a
 * total, redrawn in place; elsewhere the library's plain lines, so that
 * logs stay readable (docs/images.md, "Pulling"). */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROWS 256
#define REDRAW_GAP_NS 100000000LL

struct row {
	char digest[20]; /* "sha256:" and 12 hex digits */
	char kind[16];
	unsigned index, count;
	mvm_blob_state state;
	uint64_t done, total, resumed;
};

struct display {
	FILE *out;
	struct row rows[MAX_ROWS];
	unsigned n, drawn; /* rows, and lines on the screen to go back over */
	long long last;
	unsigned width;
};

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void human(uint64_t n, char out[16])
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, 16, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 16, "%.1f %s", v, units[u]);
}

static const char *state_name(mvm_blob_state s)
{
	switch (s) {
	case MVM_BLOB_QUEUED:
		return "waiting";
	case MVM_BLOB_FETCHING:
		return "fetching";
	case MVM_BLOB_FETCHED:
		return "fetched";
	case MVM_BLOB_PRESENT:
		return "present";
	case MVM_BLOB_UNPACKED:
		return "unpacked";
	}
	return "?";
}

/* One line, cut to the terminal's width so that no line wraps (the
 * redraw counts lines). */
static void put_line(struct display *d, const char *text)
{
	size_t len = strlen(text);
	if (d->width > 1 && len > d->width - 1)
		len = d->width - 1;
	fprintf(d->out, "\033[K%.*s\n", (int)len, text);
}

static void draw(struct display *d)
{
	if (d->drawn)
		fprintf(d->out, "\r\033[%uA", d->drawn);
	uint64_t done = 0, total = 0;
	char line[256], a[16], b[16];
	for (unsigned i = 0; i < d->n; i++) {
		struct row *r = &d->rows[i];
		char what[24];
		if (r->index)
			snprintf(what, sizeof(what), "layer %u/%u", r->index, r->count);
		else
			snprintf(what, sizeof(what), "%s", r->kind);
		human(r->done, a);
		human(r->total, b);
		if (r->state == MVM_BLOB_FETCHING && r->total) {
			unsigned pct = (unsigned)(r->done * 100 / r->total);
			char bar[21];
			unsigned fill = pct / 5;
			for (unsigned k = 0; k < 20; k++)
				bar[k] = k < fill ? '=' : (k == fill ? '>' : ' ');
			bar[20] = '\0';
			snprintf(line, sizeof(line), "%-12s %s  [%s] %s / %s %3u%%", what, r->digest,
				 bar, a, b, pct);
		} else {
			snprintf(line, sizeof(line), "%-12s %s  %-8s %s%s", what, r->digest,
				 state_name(r->state), b,
				 r->resumed ? "  (continued an earlier pull)" : "");
		}
		put_line(d, line);
		done += r->state == MVM_BLOB_QUEUED || r->state == MVM_BLOB_FETCHING ? r->done
											  : r->total;
		total += r->total;
	}
	human(done, a);
	human(total, b);
	snprintf(line, sizeof(line), "%-12s %s / %s %3u%%", "total", a, b,
		 total ? (unsigned)(done * 100 / total) : 100);
	put_line(d, line);
	d->drawn = d->n + 1;
	fflush(d->out);
	d->last = now_ns();
}

static void on_blob(void *ud, const mvm_blob_progress *p)
{
	struct display *d = ud;
	struct row *r = NULL;
	for (unsigned i = 0; i < d->n && r == NULL; i++)
		if (strncmp(d->rows[i].digest, p->digest, sizeof(d->rows[i].digest) - 1) == 0)
			r = &d->rows[i];
	bool changed = r == NULL || r->state != p->state;
	if (r == NULL) {
		if (d->n == MAX_ROWS)
			return;
		r = &d->rows[d->n++];
		snprintf(r->digest, sizeof(r->digest), "%.19s", p->digest);
		snprintf(r->kind, sizeof(r->kind), "%s", p->kind);
	}
	r->index = p->index;
	r->count = p->count;
	r->state = p->state;
	r->done = p->done;
	r->total = p->total;
	r->resumed = p->resumed;
	if (changed || now_ns() - d->last >= REDRAW_GAP_NS)
		draw(d);
}

int cmd_pull(int argc, char **argv)
{
	static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
					      {"quiet", no_argument, NULL, 'q'},
					      {"platform", required_argument, NULL, 'p'},
					      {"tls-verify", required_argument, NULL, 't'},
					      {NULL, 0, NULL, 0}};
	bool quiet = false, tls_verify = true;
	const char *platform = NULL;
	optind = 1;
	for (int opt; (opt = cli_next_opt(argc, argv, "+:hq", longs)) != -1;) {
		switch (opt) {
		case 'h':
			usage_pull(stdout);
			return EXIT_SUCCESS;
		case 'q':
			quiet = true;
			break;
		case 'p':
			platform = optarg;
			break;
		case 't':
			if (strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0) {
				cli_error("--tls-verify `%s`: want true or false", optarg);
				return EXIT_MVM_ERROR;
			}
			tls_verify = strcmp(optarg, "true") == 0;
			break;
		default:
			return EXIT_MVM_ERROR;
		}
	}
	if (optind + 1 != argc) {
		cli_error(optind < argc ? "one image at a time (`%s` is one too many)"
					: "no image to pull (see `mvm pull --help`)%s",
			  optind < argc ? argv[optind + 1] : "");
		return EXIT_MVM_ERROR;
	}
	mvm_store *s = cli_open_store();
	if (s == NULL)
		return EXIT_MVM_ERROR;
	const char *term = getenv("TERM");
	bool tty = !quiet && isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
	static struct display d;
	d = (struct display){.out = stderr};
	struct winsize ws;
	if (tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0)
		d.width = ws.ws_col;
	mvm_pull_options o = {.flags = tls_verify ? 0 : MVM_PULL_INSECURE,
			      .platform = platform,
			      /* On a terminal the rows say all the plain lines would. */
			      .progress = quiet || tty ? NULL : cli_print_progress,
			      .blob_progress = tty ? on_blob : NULL,
			      .userdata = &d};
	mvm_error *err = NULL;
	char *name = NULL;
	int rc = mvm_image_pull_with(s, argv[optind], &o, &name, &err);
	if (tty && d.n)
		draw(&d);
	if (rc == 0)
		printf("%s\n", name);
	free(name);
	cli_print_errors(err);
	mvm_error_free(err);
	mvm_store_free(s);
	return rc == 0 ? EXIT_SUCCESS : EXIT_MVM_ERROR;
}
