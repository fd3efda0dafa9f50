/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>

/* Messages quote values the user gave, which may hold newlines or escape
 * sequences; printing them raw could forge extra lines or drive the
 * terminal. */
static void put_escaped(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

static void print_line(const char *level, const char *msg)
{
	fprintf(stderr, "mvm: %s: ", level);
	put_escaped(stderr, msg);
	fputc('\n', stderr);
}

void cli_print_errors(const mvm_error *err)
{
	for (size_t i = 0; i < mvm_error_count(err); i++)
		print_line("error", mvm_error_message_at(err, i));
}

__attribute__((format(printf, 2, 0))) static void print_format(const char *level, const char *fmt,
									va_list ap)
{
	char *msg = NULL;
	int r = vasprintf(&msg, fmt, ap);
	print_line(level, r < 0 ? "out of memory" : msg);
	free(msg);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_format("error", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_format("warn", fmt, ap);
	va_end(ap);
}

void cli_log(void *userdata, mvm_log_level level, const char *msg)
{
	print_line(mvm_log_level_name(level), msg);
}
