/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal JSON text writer: enough for mvm_vm_config_json(). Its names
 * start with jw_, apart from jansson's json_* (the image code links both). */
#ifndef MVM_CONFIG_JSON_WRITER_H
#define MVM_CONFIG_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_writer {
	char *data;
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed; later writes are ignored */
	bool need_comma;
};

void jw_begin_object(struct json_writer *w);
void jw_end_object(struct json_writer *w);
void jw_begin_array(struct json_writer *w);
void jw_end_array(struct json_writer *w);
/* Writes `"key":`; the next value belongs to it. */
void jw_key(struct json_writer *w, const char *key);
/* A JSON string, or null for s == NULL. See jw_write_escaped(). */
void jw_string(struct json_writer *w, const char *s);
void jw_uint(struct json_writer *w, uint64_t v);
void jw_bool(struct json_writer *w, bool v);
void jw_null(struct json_writer *w);

/* Appends the body of a JSON string for the bytes of s (no quotes):
 * `"` and `\` are escaped, control bytes 0x00-0x1f become \u00XX, well-formed
 * UTF-8 passes through unchanged (DEL too), and every byte that does not
 * start a well-formed UTF-8 sequence (stray continuation bytes, overlong
 * forms, surrogates, code points above U+10FFFF, truncated sequences)
 * becomes \ufffd, after which scanning resumes at the next byte. */
void jw_write_escaped(struct json_writer *w, const char *s);

/* Returns the text (caller frees) or NULL if an allocation failed. */
char *jw_finish(struct json_writer *w);

#endif
