/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

/* mvm-init is a single-threaded program of its own; its one switch lives
 * here rather than being passed through every set-up step. */
static bool verbose_enabled;

void init_msg_set_verbose(bool verbose)
{
	verbose_enabled = verbose;
}

bool init_msg_verbose(void)
{
	return verbose_enabled;
}

static void vmsg(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "mvm-init: ");
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* truncated: keep room for the newline */
	line[len++] = '\n';
	for (size_t off = 0; off < len;) {
		ssize_t w = write(2, line + off, len - off);
		if (w <= 0)
			return; /* nowhere else to report to */
		off += (size_t)w;
	}
}

void init_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void init_debug(const char *fmt, ...)
{
	if (!verbose_enabled)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}
