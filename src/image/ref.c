/* SPDX-License-Identifier: Apache-2.0 */
/* Reference parsing (ref.h): the grammar of distribution's reference
 * package, and podman's short-name rules for docker.io. */
#include "image/ref.h"
#include "image/digest.h"
#include "util/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+ ((.|_|__|-+) [a-z0-9]+)* */
static bool valid_component(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		if (s[i] == '.' && is_lower_alnum(s[i + 1]))
			continue;
		if (s[i] == '-' && (s[i + 1] == '-' || is_lower_alnum(s[i + 1])))
			continue;
		if (s[i] == '_') {
			if (s[i + 1] == '_')
				i++;
			if (!is_lower_alnum(s[i + 1]))
				return false;
			continue;
		}
		return false;
	}
	return true;
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '_';
		if (!word && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* A host[:port] as the first component: it holds a '.' or a ':' or is
 * "localhost" (distribution's rule for telling a registry from a user). */
static bool looks_like_registry(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && memcmp(s, "localhost", 9) == 0);
}

static bool valid_registry(const char *s, size_t n)
{
	if (n == 0 || n >= 256)
		return false;
	/* A port is digits only ("host:5000"); an IPv6 host is bracketed. */
	const char *colon = memrchr(s, ':', n);
	const char *bracket = memrchr(s, ']', n);
	if (colon && (!bracket || colon > bracket)) {
		if (colon + 1 == s + n)
			return false;
		for (const char *p = colon + 1; p < s + n; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

bool image_ref_is_qualified(const char *s)
{
	size_t n = strcspn(s, "/@");
	return s[n] == '/' && looks_like_registry(s, n);
}

size_t image_ref_name_len(const char *s)
{
	size_t n = strcspn(s, "@");
	const char *slash = memrchr(s, '/', n);
	const char *from = slash ? slash : s;
	const char *colon = memrchr(from, ':', n - (size_t)(from - s));
	return colon ? (size_t)(colon - s) : n;
}

bool image_ref_valid_registry(const char *s)
{
	size_t n = strlen(s);
	return looks_like_registry(s, n) && valid_registry(s, n);
}

int image_ref_parse(const char *s, struct image_ref *r, mvm_error **err)
{
	memset(r, 0, sizeof(*r));
	size_t len = strlen(s);
	if (len == 0 || len >= REF_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0, "image reference `%.80s`: %s", s,
			       len ? "too long" : "empty");
	char buf[REF_MAX];
	memcpy(buf, s, len + 1);
	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		struct digest d;
		if (digest_parse(at + 1, &d, err) < 0)
			return mvm_err_wrap(err, "image reference `%s`", s);
		snprintf(r->digest, sizeof(r->digest), "%s", d.str);
	}
	/* The tag is after the last ':' that follows the last '/'. */
	char *slash = strrchr(buf, '/');
	char *colon = strrchr(slash ? slash : buf, ':');
	if (colon) {
		*colon = '\0';
		if (!valid_tag(colon + 1))
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "image reference `%s`: tag `%s` is not valid", s, colon + 1);
		snprintf(r->tag, sizeof(r->tag), "%s", colon + 1);
	} else if (!at) {
		snprintf(r->tag, sizeof(r->tag), "latest");
	}
	const char *name = buf;
	const char *first_slash = strchr(buf, '/');
	if (first_slash && looks_like_registry(buf, (size_t)(first_slash - buf))) {
		size_t n = (size_t)(first_slash - buf);
		if (!valid_registry(buf, n))
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "image reference `%s`: registry `%.*s` is not valid", s, (int)n,
				       buf);
		memcpy(r->registry, buf, n);
		name = first_slash + 1;
	} else {
		snprintf(r->registry, sizeof(r->registry), REF_DEFAULT_REGISTRY);
	}
	/* docker.io's official images live under library/. */
	int n = snprintf(r->repository, sizeof(r->repository), "%s%s",
			 strcmp(r->registry, REF_DEFAULT_REGISTRY) == 0 && !strchr(name, '/')
				 ? "library/"
				 : "",
			 name);
	if (n < 0 || (size_t)n >= sizeof(r->repository))
		return mvm_err(err, MVM_ERR_INVALID, 0, "image reference `%.80s`: name too long", s);
	for (const char *c = r->repository; *c;) {
		const char *end = strchrnul(c, '/');
		if (!valid_component(c, (size_t)(end - c)))
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "image reference `%s`: `%.*s` is not a valid name component "
				       "(lowercase letters, digits and . _ - inside)",
				       s, (int)(end - c), c);
		c = *end ? end + 1 : end;
		if (*end && !*c)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "image reference `%s`: a name ends with `/`", s);
	}
	return 0;
}

void image_ref_format(const struct image_ref *r, char out[REF_MAX])
{
	if (r->tag[0])
		snprintf(out, REF_MAX, "%s/%s:%s", r->registry, r->repository, r->tag);
	else
		snprintf(out, REF_MAX, "%s/%s@%s", r->registry, r->repository, r->digest);
}
