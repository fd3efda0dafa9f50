/* SPDX-License-Identifier: Apache-2.0 */
#include "config/json_writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct json_writer *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	if (w->cap - w->len <= n) {
		size_t ncap = w->cap ? w->cap : 256;
		while (ncap - w->len <= n)
			ncap *= 2;
		char *d = realloc(w->data, ncap);
		if (d == NULL) {
			w->failed = true;
			return;
		}
		w->data = d;
		w->cap = ncap;
	}
	memcpy(w->data + w->len, s, n);
	w->len += n;
	w->data[w->len] = '\0';
}

static void put_str(struct json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Every value and key is preceded by a comma unless it opens its container. */
static void separate(struct json_writer *w)
{
	if (w->need_comma)
		put(w, ",", 1);
	w->need_comma = true;
}

void jw_begin_object(struct json_writer *w)
{
	separate(w);
	put(w, "{", 1);
	w->need_comma = false;
}

void jw_end_object(struct json_writer *w)
{
	put(w, "}", 1);
	w->need_comma = true;
}

void jw_begin_array(struct json_writer *w)
{
	separate(w);
	put(w, "[", 1);
	w->need_comma = false;
}

void jw_end_array(struct json_writer *w)
{
	put(w, "]", 1);
	w->need_comma = true;
}

void jw_key(struct json_writer *w, const char *key)
{
	separate(w);
	put(w, "\"", 1);
	jw_write_escaped(w, key);
	put(w, "\":", 2);
	w->need_comma = false;
}

void jw_string(struct json_writer *w, const char *s)
{
	if (s == NULL) {
		jw_null(w);
		return;
	}
	separate(w);
	put(w, "\"", 1);
	jw_write_escaped(w, s);
	put(w, "\"", 1);
}

void jw_uint(struct json_writer *w, uint64_t v)
{
	char buf[24];
	separate(w);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	put_str(w, buf);
}

void jw_bool(struct json_writer *w, bool v)
{
	separate(w);
	put_str(w, v ? "true" : "false");
}

void jw_null(struct json_writer *w)
{
	separate(w);
	put_str(w, "null");
}

/* Length of the well-formed UTF-8 sequence at s (Unicode 15, table 3-7),
 * or 0 if the lead byte s[0] >= 0x80 does not start one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of s[1] */
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL terminator fails this test, so we never read past it. */
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void jw_write_escaped(struct json_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t run = 0;
		while (p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
			run++;
		put(w, (const char *)p, run);
		p += run;
		if (*p == '\0')
			break;
		if (*p == '"' || *p == '\\') {
			char esc[2] = {'\\', (char)*p};
			put(w, esc, 2);
			p++;
		} else if (*p < 0x20) {
			char esc[7];
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(w, esc, 6);
			p++;
		} else {
			size_t n = utf8_sequence_length(p);
			if (n == 0) {
				put_str(w, "\\ufffd");
				p++;
			} else {
				put(w, (const char *)p, n);
				p += n;
			}
		}
	}
}

char *jw_finish(struct json_writer *w)
{
	if (w->failed || w->data == NULL) {
		free(w->data);
		*w = (struct json_writer){0};
		return NULL;
	}
	char *d = w->data;
	*w = (struct json_writer){0};
	return d;
}
