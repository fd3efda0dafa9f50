/* SPDX-License-Identifier: Apache-2.0 */
#include "oci/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_path;
static bool log_json;

void oci_log_setup(const char *path, bool json)
{
	log_path = path;
	log_json = json;
}

static void json_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void emit(const char *msg)
{
	fprintf(stderr, "mvm-runtime: error: %s\n", msg);
	if (log_path == NULL)
		return;
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (log_json) {
		char when[40];
		time_t now = time(NULL);
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		fputs("{\"level\":\"error\",\"msg\":\"", f);
		json_escaped(f, msg);
		fprintf(f, "\",\"time\":\"%s\"}\n", when);
	} else {
		fprintf(f, "error: %s\n", msg);
	}
	fclose(f);
}

void oci_log_error(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(msg);
}

void oci_log_errors(const char *prefix, const mvm_error *e)
{
	char msg[8192];
	size_t used = (size_t)snprintf(msg, sizeof(msg), "%s", prefix ? prefix : "");
	for (size_t i = 0; e && i < mvm_error_count(e) && used < sizeof(msg); i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "; " : "",
					 mvm_error_message_at(e, i));
	emit(msg);
}
