/* SPDX-License-Identifier: Apache-2.0 */
/* registries.conf (registries.h). The file is TOML, and podman's own
 * files hold [[registry]] blocks, mirrors and multi-line strings; only two
 * keys are wanted, but the rest must be skipped by its syntax, not by its
 * lines, or a line inside some other array or string would be misread as
 * a key. So this is a small TOML scanner that keeps nothing it skips. */
#include "image/registries.h"
#include "image/ref.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Podman's files are a few KiB; the bounds keep a hostile or mistaken file
 * from costing memory or time on every command that names an image. */
#define CONF_MAX_BYTES (1u << 20)
#define CONF_MAX_SEARCH 64
#define CONF_MAX_ALIASES 4096
#define CONF_MAX_DEPTH 32 /* nesting of arrays and inline tables skipped */

const char *registries_system_conf = "/etc/containers/registries.conf";

struct alias {
	char *name;   /* "fedora" */
	char *target; /* "registry.fedoraproject.org/fedora" */
};

struct conf {
	char **search;
	size_t n_search;
	struct alias *aliases;
	size_t n_aliases;
};

struct scan {
	const char *p;
	unsigned line;
	const char *path;
	mvm_error **err;
};

static void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n_search; i++)
		free(c->search[i]);
	free(c->search);
	for (size_t i = 0; i < c->n_aliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].target);
	}
	free(c->aliases);
	memset(c, 0, sizeof(*c));
}

__attribute__((format(printf, 3, 4))) static int bad(struct scan *s, unsigned line, const char *fmt,
						     ...)
{
	char msg[REF_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mvm_err(s->err, MVM_ERR_INVALID, 0, "`%s` line %u: %s", s->path, line, msg);
}

/* How much of the text at p an error message quotes. */
static int quote_len(const char *p)
{
	size_t n = strcspn(p, "\r\n");
	return n > 24 ? 24 : (int)n;
}

static void skip_blank(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t')
		s->p++;
}

static bool at_newline(const char *p)
{
	return *p == '\n' || (p[0] == '\r' && p[1] == '\n');
}

static void take_newline(struct scan *s)
{
	s->p += *s->p == '\r' ? 2 : 1;
	s->line++;
}

/* Blanks, newlines and comments: what may stand between array items. */
static void skip_space(struct scan *s)
{
	for (;;) {
		skip_blank(s);
		if (*s->p == '#')
			s->p += strcspn(s->p, "\n");
		if (!at_newline(s->p))
			return;
		take_newline(s);
	}
}

/* After a value or a table header only a comment may follow. */
static int end_line(struct scan *s)
{
	skip_blank(s);
	if (*s->p == '#')
		s->p += strcspn(s->p, "\n");
	if (*s->p == '\0')
		return 0;
	if (!at_newline(s->p))
		return bad(s, s->line, "unexpected `%.*s` after the value", quote_len(s->p), s->p);
	take_newline(s);
	return 0;
}

/* A one-line string, basic ("...") or literal ('...'). The hosts and names
 * read here never need an escape, so none is decoded. */
static int read_string(struct scan *s, char *out, size_t size)
{
	char quote = *s->p;
	const char *start = s->p + 1;
	size_t n = strcspn(start, quote == '"' ? "\"\\\r\n" : "'\r\n");
	if (start[n] == '\\')
		return bad(s, s->line, "escape sequences are not supported here (`%.*s`)",
			   quote_len(start), start);
	if (start[n] != quote)
		return bad(s, s->line, "unterminated string `%.*s`", quote_len(s->p), s->p);
	if (n >= size)
		return bad(s, s->line, "a string longer than %zu bytes", size - 1);
	memcpy(out, start, n);
	out[n] = '\0';
	s->p = start + n + 1;
	return 0;
}

/* A key, bare or quoted, perhaps dotted ("a.b"). The first two parts go to
 * k0 and k1; *parts counts them all. */
static int read_key(struct scan *s, char k0[REF_MAX], char k1[REF_MAX], size_t *parts)
{
	*parts = 0;
	for (;;) {
		char part[REF_MAX];
		if (*s->p == '"' || *s->p == '\'') {
			if (read_string(s, part, sizeof(part)) < 0)
				return -1;
		} else {
			size_t n = strspn(s->p, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
			if (n == 0)
				return bad(s, s->line, "expected a key, found `%.*s`",
					   quote_len(s->p), s->p);
			if (n >= sizeof(part))
				return bad(s, s->line, "a key longer than %zu bytes",
					   sizeof(part) - 1);
			memcpy(part, s->p, n);
			part[n] = '\0';
			s->p += n;
		}
		if (*parts < 2)
			memcpy(*parts == 0 ? k0 : k1, part, sizeof(part));
		(*parts)++;
		skip_blank(s);
		if (*s->p != '.')
			return 0;
		s->p++;
		skip_blank(s);
	}
}

/* """...""" or '''...''', which may span lines. */
static int skip_long_string(struct scan *s)
{
	char quote = *s->p;
	unsigned line = s->line;
	s->p += 3;
	for (;;) {
		if (*s->p == '\0')
			return bad(s, line, "unterminated multi-line string");
		if (quote == '"' && *s->p == '\\' && s->p[1] != '\0') {
			s->p++;
		} else if (s->p[0] == quote && s->p[1] == quote && s->p[2] == quote) {
			s->p += 3;
			/* Up to two more quotes belong to the string. */
			for (int i = 0; i < 2 && *s->p == quote; i++)
				s->p++;
			return 0;
		}
		if (*s->p == '\n')
			s->line++;
		s->p++;
	}
}

static int skip_value(struct scan *s, unsigned depth);

static int skip_array(struct scan *s, unsigned depth)
{
	unsigned line = s->line;
	s->p++;
	for (;;) {
		skip_space(s);
		if (*s->p == ']')
			break;
		if (skip_value(s, depth + 1) < 0)
			return -1;
		skip_space(s);
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == ']')
			break;
		if (*s->p == '\0')
			return bad(s, line, "unterminated array");
		return bad(s, s->line, "expected `,` or `]` in an array, found `%.*s`",
			   quote_len(s->p), s->p);
	}
	s->p++;
	return 0;
}

/* { k = v, ... }, on one line as TOML wants. */
static int skip_inline_table(struct scan *s, unsigned depth)
{
	s->p++;
	skip_blank(s);
	if (*s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		char k0[REF_MAX], k1[REF_MAX];
		size_t parts;
		if (read_key(s, k0, k1, &parts) < 0)
			return -1;
		if (*s->p != '=')
			return bad(s, s->line, "expected `=` after the key `%s`", k0);
		s->p++;
		skip_blank(s);
		if (skip_value(s, depth + 1) < 0)
			return -1;
		skip_blank(s);
		if (*s->p == '}') {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return bad(s, s->line,
				   "expected `,` or `}` in an inline table, found `%.*s`",
				   quote_len(s->p), s->p);
		s->p++;
		skip_blank(s);
	}
}

/* The value of a key mvm does not read, skipped by its syntax. */
static int skip_value(struct scan *s, unsigned depth)
{
	if (depth > CONF_MAX_DEPTH)
		return bad(s, s->line, "values nested more than %d deep", CONF_MAX_DEPTH);
	char c = *s->p;
	if ((c == '"' || c == '\'') && s->p[1] == c && s->p[2] == c)
		return skip_long_string(s);
	if (c == '"') {
		const char *p = s->p + 1;
		while (*p && *p != '"' && !at_newline(p))
			p += *p == '\\' && p[1] && !at_newline(p + 1) ? 2 : 1;
		if (*p != '"')
			return bad(s, s->line, "unterminated string `%.*s`", quote_len(s->p), s->p);
		s->p = p + 1;
		return 0;
	}
	if (c == '\'') {
		const char *end = s->p + 1 + strcspn(s->p + 1, "'\r\n");
		if (*end != '\'')
			return bad(s, s->line, "unterminated string `%.*s`", quote_len(s->p), s->p);
		s->p = end + 1;
		return 0;
	}
	if (c == '[')
		return skip_array(s, depth);
	if (c == '{')
		return skip_inline_table(s, depth);
	/* Numbers, booleans, dates ("1979-05-27 07:32:00Z" has a space). */
	size_t n = strcspn(s->p, ",]}#\r\n");
	while (n > 0 && (s->p[n - 1] == ' ' || s->p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return bad(s, s->line, "missing value");
	s->p += n;
	return 0;
}

static int read_search(struct scan *s, struct conf *c)
{
	unsigned line = s->line;
	if (*s->p != '[')
		return bad(s, line, "unqualified-search-registries must be an array of strings");
	s->p++;
	for (;;) {
		skip_space(s);
		if (*s->p == ']')
			break;
		if (*s->p == '\0')
			return bad(s, line, "unterminated array (no closing `]`)");
		if (*s->p != '"' && *s->p != '\'')
			return bad(s, s->line, "expected a registry as a string, found `%.*s`",
				   quote_len(s->p), s->p);
		char reg[REF_MAX];
		unsigned at = s->line;
		if (read_string(s, reg, sizeof(reg)) < 0)
			return -1;
		if (!image_ref_valid_registry(reg))
			return bad(s, at,
				   "`%s` is not a registry: host[:port], with a '.' or a port, or "
				   "localhost",
				   reg);
		if (c->n_search == CONF_MAX_SEARCH)
			return bad(s, at, "more than %d unqualified-search-registries",
				   CONF_MAX_SEARCH);
		char **grown = realloc(c->search, (c->n_search + 1) * sizeof(*grown));
		if (grown == NULL)
			return mvm_err(s->err, MVM_ERR_NOMEM, 0, "out of memory");
		c->search = grown;
		if ((c->search[c->n_search] = strdup(reg)) == NULL)
			return mvm_err(s->err, MVM_ERR_NOMEM, 0, "out of memory");
		c->n_search++;
		skip_space(s);
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p == ']')
			break;
		if (*s->p == '\0')
			return bad(s, line, "unterminated array (no closing `]`)");
		return bad(s, s->line, "expected `,` or `]` after `%s`, found `%.*s`", reg,
			   quote_len(s->p), s->p);
	}
	s->p++;
	return 0;
}

/* Podman's rules: the key is a short name and the target a full one, both
 * without a tag or digest, which the name being resolved brings. */
static int read_alias(struct scan *s, struct conf *c, const char *name)
{
	unsigned line = s->line;
	if (*s->p != '"' && *s->p != '\'')
		return bad(s, line, "alias `%s`: the target must be a string", name);
	char target[REF_MAX];
	if (read_string(s, target, sizeof(target)) < 0)
		return -1;
	struct image_ref r;
	mvm_error *perr = NULL;
	if (image_ref_parse(name, &r, &perr) < 0) {
		bad(s, line, "alias `%s`: %s", name, mvm_error_get_message(perr));
		mvm_error_free(perr);
		return -1;
	}
	if (image_ref_is_qualified(name))
		return bad(s, line, "alias `%s` names a registry; an alias is a short name", name);
	if (image_ref_name_len(name) != strlen(name))
		return bad(s, line, "alias `%s` has a tag or digest; an alias is a name only",
			   name);
	if (image_ref_parse(target, &r, &perr) < 0) {
		bad(s, line, "alias `%s`: %s", name, mvm_error_get_message(perr));
		mvm_error_free(perr);
		return -1;
	}
	if (!image_ref_is_qualified(target))
		return bad(s, line, "alias `%s`: the target `%s` must begin with its registry",
			   name, target);
	if (image_ref_name_len(target) != strlen(target))
		return bad(
		    s, line,
		    "alias `%s`: the target `%s` has a tag or digest (the name's own is used)",
		    name, target);
	for (size_t i = 0; i < c->n_aliases; i++)
		if (strcmp(c->aliases[i].name, name) == 0)
			return bad(s, line, "alias `%s` is defined twice", name);
	if (c->n_aliases == CONF_MAX_ALIASES)
		return bad(s, line, "more than %d aliases", CONF_MAX_ALIASES);
	struct alias *grown = realloc(c->aliases, (c->n_aliases + 1) * sizeof(*grown));
	if (grown == NULL)
		return mvm_err(s->err, MVM_ERR_NOMEM, 0, "out of memory");
	c->aliases = grown;
	struct alias *a = &c->aliases[c->n_aliases];
	a->name = strdup(name);
	a->target = strdup(target);
	if (a->name == NULL || a->target == NULL) {
		free(a->name);
		free(a->target);
		return mvm_err(s->err, MVM_ERR_NOMEM, 0, "out of memory");
	}
	c->n_aliases++;
	return 0;
}

enum table { TABLE_TOP, TABLE_ALIASES, TABLE_OTHER };

/* [name] or [[name]]: which table the keys below belong to. */
static int read_header(struct scan *s, enum table *t)
{
	unsigned line = s->line;
	bool array = s->p[1] == '[';
	s->p += array ? 2 : 1;
	skip_blank(s);
	char k0[REF_MAX], k1[REF_MAX];
	size_t parts;
	if (read_key(s, k0, k1, &parts) < 0)
		return -1;
	if (s->p[0] != ']' || (array && s->p[1] != ']'))
		return bad(s, line, "table header `%s` without its closing `%s`", k0,
			   array ? "]]" : "]");
	s->p += array ? 2 : 1;
	*t = !array && parts == 1 && strcmp(k0, "aliases") == 0 ? TABLE_ALIASES : TABLE_OTHER;
	return end_line(s);
}

static int parse(struct scan *s, struct conf *c)
{
	enum table t = TABLE_TOP;
	unsigned search_line = 0;
	for (;;) {
		skip_space(s);
		if (*s->p == '\0')
			return 0;
		if (*s->p == '[') {
			if (read_header(s, &t) < 0)
				return -1;
			continue;
		}
		unsigned line = s->line;
		char k0[REF_MAX], k1[REF_MAX];
		size_t parts;
		if (read_key(s, k0, k1, &parts) < 0)
			return -1;
		if (*s->p != '=')
			return bad(s, line, "expected `=` after the key `%s`", k0);
		s->p++;
		skip_blank(s);
		int rc;
		if (t == TABLE_TOP && parts == 1 &&
		    strcmp(k0, "unqualified-search-registries") == 0) {
			if (search_line)
				return bad(
				    s, line,
				    "unqualified-search-registries is set again (first on line "
				    "%u)",
				    search_line);
			search_line = line;
			rc = read_search(s, c);
		} else if (t == TABLE_ALIASES && parts == 1) {
			rc = read_alias(s, c, k0);
		} else if (t == TABLE_TOP && parts == 2 && strcmp(k0, "aliases") == 0) {
			rc = read_alias(s, c, k1);
		} else {
			rc = skip_value(s, 0);
		}
		if (rc < 0 || end_line(s) < 0)
			return -1;
	}
}

/* The file's text, NUL-terminated. */
static int read_text(int fd, const char *path, char **text, mvm_error **err)
{
	size_t len = 0, cap = 4096;
	cleanup_free char *buf = malloc(cap);
	if (buf == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	for (;;) {
		if (len + 1 == cap) {
			cap *= 2;
			char *grown = realloc(buf, cap);
			if (grown == NULL)
				return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
			buf = grown;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mvm_err_sys(err, "read `%s`", path);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONF_MAX_BYTES)
			return mvm_err(err, MVM_ERR_INVALID, 0, "`%s` is larger than %u KiB", path,
				       CONF_MAX_BYTES >> 10);
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s` holds a NUL byte: not a text file",
			       path);
	*text = steal_pointer(&buf);
	return 0;
}

/* Opens the first file there is. 0 with *fd -1 when there is none. */
static int open_conf(char path[PATH_MAX], int *fd, mvm_error **err)
{
	*fd = -1;
	const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
	if (env && *env) {
		if (snprintf(path, PATH_MAX, "%s", env) >= PATH_MAX)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "CONTAINERS_REGISTRIES_CONF is too long");
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		return *fd < 0 ? mvm_err_sys(err, "CONTAINERS_REGISTRIES_CONF `%s`", path) : 0;
	}
	char files[2][PATH_MAX];
	size_t n = 0;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int len = -1;
	if (xdg && *xdg)
		len = snprintf(files[n], PATH_MAX, "%s/containers/registries.conf", xdg);
	else if (home && *home)
		len = snprintf(files[n], PATH_MAX, "%s/.config/containers/registries.conf", home);
	if (len >= PATH_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "the path of the user's registries.conf is too long");
	if (len > 0)
		n++;
	snprintf(files[n++], PATH_MAX, "%s", registries_system_conf);
	for (size_t i = 0; i < n; i++) {
		*fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (*fd >= 0) {
			memcpy(path, files[i], PATH_MAX);
			return 0;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return mvm_err_sys(err, "open `%s`", files[i]);
	}
	return 0;
}

static int conf_load(struct conf *c, mvm_error **err)
{
	memset(c, 0, sizeof(*c));
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	if (open_conf(path, &fd, err) < 0)
		return -1;
	if (fd < 0)
		return 0;
	cleanup_free char *text = NULL;
	if (read_text(fd, path, &text, err) < 0)
		return -1;
	struct scan s = {.p = text, .line = 1, .path = path, .err = err};
	if (parse(&s, c) < 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}

/* Appends the full form of ref unless the list has it already (a registry
 * listed twice is tried once). */
static int add_candidate(char ***list, size_t *n, const char *ref, mvm_error **err)
{
	struct image_ref r;
	if (image_ref_parse(ref, &r, err) < 0)
		return -1;
	char full[REF_MAX];
	image_ref_format(&r, full);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], full) == 0)
			return 0;
	char **grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (grown == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	*list = grown;
	if ((grown[*n] = strdup(full)) == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	(*n)++;
	return 0;
}

static int short_candidates(const char *name, const struct conf *c, char ***list, size_t *n,
			    mvm_error **err)
{
	size_t bare = image_ref_name_len(name);
	const char *suffix = name + bare; /* ":tag", "@digest" or "" */
	char ref[REF_MAX * 2];
	for (size_t i = 0; i < c->n_aliases; i++) {
		const char *a = c->aliases[i].name;
		if (strlen(a) != bare || strncmp(a, name, bare) != 0)
			continue;
		snprintf(ref, sizeof(ref), "%s%s", c->aliases[i].target, suffix);
		return add_candidate(list, n, ref, err);
	}
	if (c->n_search == 0) {
		snprintf(ref, sizeof(ref), "%s/%s", REF_DEFAULT_REGISTRY, name);
		return add_candidate(list, n, ref, err);
	}
	for (size_t i = 0; i < c->n_search; i++) {
		snprintf(ref, sizeof(ref), "%s/%s", c->search[i], name);
		if (add_candidate(list, n, ref, err) < 0)
			return -1;
	}
	return 0;
}

/* conf_text NULL: no file; else its text, read from conf_path. */
static int candidates(const char *name, const char *conf_text, const char *conf_path,
		      bool read_file, char ***out, size_t *n, mvm_error **err)
{
	*out = NULL;
	*n = 0;
	struct image_ref r;
	if (image_ref_parse(name, &r, err) < 0)
		return -1;
	char **list = NULL;
	size_t len = 0;
	int rc;
	if (image_ref_is_qualified(name)) {
		rc = add_candidate(&list, &len, name, err);
	} else {
		struct conf c;
		memset(&c, 0, sizeof(c));
		if (read_file) {
			rc = conf_load(&c, err);
		} else if (conf_text) {
			struct scan sc = {.p = conf_text, .line = 1, .path = conf_path, .err = err};
			rc = parse(&sc, &c);
		} else {
			rc = 0;
		}
		if (rc == 0)
			rc = short_candidates(name, &c, &list, &len, err);
		conf_free(&c);
	}
	if (rc < 0) {
		image_ref_candidates_free(list, len);
		return mvm_err_wrap(err, "image `%.80s`", name);
	}
	*out = list;
	*n = len;
	return 0;
}

int image_ref_candidates(const char *name, char ***out, size_t *n, mvm_error **err)
{
	return candidates(name, NULL, NULL, true, out, n, err);
}

int image_ref_candidates_from(const char *name, const char *conf_text, const char *conf_path,
			      char ***out, size_t *n, mvm_error **err)
{
	return candidates(name, conf_text, conf_path ? conf_path : "registries.conf", false, out,
			  n, err);
}

void image_ref_candidates_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}
