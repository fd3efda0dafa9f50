/* SPDX-License-Identifier: Apache-2.0 */
#include "util/override_stat.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Digits of one base only, at least one, value <= max; *p moves past them. */
static bool parse_uint(const char **p, const char *end, unsigned base, uint64_t max,
		       uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	while (s < end && *s >= '0' && *s < (char)('0' + base)) {
		v = v * base + (uint64_t)(*s - '0');
		if (v > max)
			return false;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static bool parse_prefix(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

/* "block-M-m" and "char-M-m"; Linux's limits: 12-bit major, 20-bit minor. */
static bool parse_device(const char **p, const char *end, dev_t *rdev)
{
	uint64_t maj, min;
	if (!parse_uint(p, end, 10, 0xfff, &maj) || !expect(p, end, '-') ||
	    !parse_uint(p, end, 10, 0xfffff, &min))
		return false;
	*rdev = makedev((unsigned)maj, (unsigned)min);
	return true;
}

static bool parse_type(const char **p, const char *end, mode_t *type, dev_t *rdev)
{
	static const struct {
		const char *word;
		mode_t type;
	} plain[] = {{"file", S_IFREG}, {"dir", S_IFDIR},	  {"symlink", S_IFLNK},
		     {"pipe", S_IFIFO}, {"socket", S_IFSOCK}};
	*rdev = 0;
	if (parse_prefix(p, end, "block-")) {
		*type = S_IFBLK;
		return parse_device(p, end, rdev);
	}
	if (parse_prefix(p, end, "char-")) {
		*type = S_IFCHR;
		return parse_device(p, end, rdev);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		const char *s = *p;
		if (parse_prefix(&s, end, plain[i].word) && s == end) {
			*p = s;
			*type = plain[i].type;
			return true;
		}
	}
	return false;
}

static bool valid_type(mode_t t)
{
	return t == S_IFREG || t == S_IFDIR || t == S_IFLNK || t == S_IFIFO || t == S_IFSOCK ||
	       t == S_IFCHR || t == S_IFBLK;
}

int override_stat_parse(const char *buf, size_t len, struct override_stat *o)
{
	if (len > 0 && buf[len - 1] == '\0')
		len--;
	if (len == 0 || len >= OVERRIDE_STAT_MAX || memchr(buf, '\0', len))
		return -1;
	const char *p = buf, *end = buf + len;
	uint64_t uid, gid, mode;
	/* UINT32_MAX is (uid_t)-1, "no change" to chown(): never an owner. */
	if (!parse_uint(&p, end, 10, UINT32_MAX - 1, &uid) || !expect(&p, end, ':') ||
	    !parse_uint(&p, end, 10, UINT32_MAX - 1, &gid) || !expect(&p, end, ':') ||
	    !parse_uint(&p, end, 8, 0177777, &mode))
		return -1;
	struct override_stat r = {.uid = (uint32_t)uid, .gid = (uint32_t)gid};
	mode_t mode_type = (mode_t)mode & S_IFMT;
	if (mode_type && !valid_type(mode_type))
		return -1;
	r.mode = (mode_t)mode;
	r.has_type = mode_type != 0;
	if (p < end) {
		mode_t type;
		dev_t rdev;
		if (!expect(&p, end, ':') || !parse_type(&p, end, &type, &rdev) || p != end)
			return -1;
		if (mode_type && mode_type != type)
			return -1;
		r.mode = type | ((mode_t)mode & 07777);
		r.has_type = true;
		r.rdev = rdev;
	}
	*o = r;
	return 0;
}

size_t override_stat_format(const struct override_stat *o, char buf[OVERRIDE_STAT_MAX])
{
	int n = snprintf(buf, OVERRIDE_STAT_MAX, "%u:%u:0%o", o->uid, o->gid,
			 (unsigned)(o->mode & 07777));
	if (o->has_type) {
		const char *word = NULL;
		switch (o->mode & S_IFMT) {
		case S_IFREG:
			word = "file";
			break;
		case S_IFDIR:
			word = "dir";
			break;
		case S_IFLNK:
			word = "symlink";
			break;
		case S_IFIFO:
			word = "pipe";
			break;
		case S_IFSOCK:
			word = "socket";
			break;
		case S_IFCHR:
		case S_IFBLK:
			n += snprintf(buf + n, OVERRIDE_STAT_MAX - (size_t)n, ":%s-%u-%u",
				      S_ISCHR(o->mode) ? "char" : "block", major(o->rdev),
				      minor(o->rdev));
			break;
		}
		if (word)
			n += snprintf(buf + n, OVERRIDE_STAT_MAX - (size_t)n, ":%s", word);
	}
	return (size_t)n;
}

mode_t override_host_mode(mode_t guest_mode, bool dir)
{
	return (guest_mode & 0777) | (dir ? 0700 : 0600);
}

bool override_xattr_reserved(const char *host_name)
{
	return strcmp(host_name, OVERRIDE_STAT_XATTR) == 0 ||
	       strncmp(host_name, OVERRIDE_GUEST_XATTR_PREFIX, strlen(OVERRIDE_GUEST_XATTR_PREFIX)) == 0;
}

int override_xattr_host_name(const char *guest, char *host, size_t host_len)
{
	const char *prefix = "";
	if (strncmp(guest, "user.", 5) == 0) {
		if (override_xattr_reserved(guest))
			prefix = OVERRIDE_GUEST_XATTR_PREFIX;
	} else if (strncmp(guest, "security.", 9) == 0 || strncmp(guest, "trusted.", 8) == 0) {
		prefix = OVERRIDE_GUEST_XATTR_PREFIX;
	} else {
		return -EOPNOTSUPP;
	}
	int n = snprintf(host, host_len, "%s%s", prefix, guest);
	return n < 0 || (size_t)n >= host_len ? -ERANGE : 0;
}
