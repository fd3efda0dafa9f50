/* SPDX-License-Identifier: Apache-2.0 */
/* The distribution API over libcurl (registry.h). */
#include "image/registry.h"
#include "image/auth.h"
#include "util/error.h"

#include <curl/curl.h>
#include <jansson.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MANIFEST_MAX (4u << 20)
#define TOKEN_MAX (64u << 10)
/* Tries of a blob download that makes no progress (docs/images.md). */
#define BLOB_TRIES 4

#define ACCEPT_MANIFESTS                                                                           \
	"Accept: application/vnd.oci.image.index.v1+json, "                                        \
	"application/vnd.oci.image.manifest.v1+json, "                                             \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                              \
	"application/vnd.docker.distribution.manifest.v2+json"

struct registry {
	CURL *curl;
	char base[300];  /* "https://host" or "http://host" */
	char repo[256];
	bool tls_verify;
	char *auth;      /* "Authorization: Bearer ..." once a token is had */
	char *userpwd;   /* "user:password" from an auth file, or NULL */
	bool basic;      /* the registry asked for Basic: send userpwd */
	bool send_creds; /* this request carries userpwd (basic auth) */
	char challenge[1024]; /* the last WWW-Authenticate: Bearer ... */
	CURLcode last_rc;     /* of the last transfer */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void init_curl(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct request {
	struct registry *r;
	/* Body in memory (max bytes) or into a store writer. */
	char *buf;
	size_t len, max;
	struct store_writer *w;
	const struct blob_fetch *f;
	mvm_error *werr;
	bool too_big, cancelled;
	char content_type[256];
	/* Of the answer whose headers came last (a redirect sends several). */
	long status;
	int64_t range_start; /* from Content-Range, -1 without one */
	bool body_seen;
};

/* The first body bytes of a blob's answer decide where they go: a 206
 * continues the writer's bytes, a 200 replaces them (the server ignored
 * the range), and what an error status carries is no blob at all. */
static bool blob_body_start(struct request *q)
{
	if (q->status != 200 && q->status != 206)
		return false;
	uint64_t have = store_writer_size(q->w);
	if (q->status == 200 && have > 0 && store_writer_restart(q->w, &q->werr) < 0)
		return false;
	if (q->status == 206 && (q->range_start < 0 || (uint64_t)q->range_start != have)) {
		mvm_err(&q->werr, MVM_ERR_IO, 0,
			"the registry answered a request for the bytes from %llu with the bytes "
			"from %lld",
			(unsigned long long)have, (long long)q->range_start);
		return false;
	}
	q->len = (size_t)store_writer_size(q->w);
	return true;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct request *q = ud;
	size_t len = size * n;
	if (q->w) {
		if (q->status != 200 && q->status != 206)
			return len; /* an error page */
		if (!q->body_seen) {
			q->body_seen = true;
			if (!blob_body_start(q))
				return 0;
		}
		if (q->f && q->f->cancel && atomic_load(q->f->cancel)) {
			q->cancelled = true;
			return 0;
		}
		/* No more than the manifest said the blob holds. */
		if (q->len + len > q->max) {
			q->too_big = true;
			return 0;
		}
		if (store_writer_write(q->w, p, len, &q->werr) < 0)
			return 0;
		q->len += len;
		if (q->f && q->f->on_bytes)
			q->f->on_bytes(q->f->ud, q->len);
		return len;
	}
	if (q->len + len > q->max) {
		q->too_big = true;
		return 0;
	}
	char *b = realloc(q->buf, q->len + len + 1);
	if (b == NULL)
		return 0;
	memcpy(b + q->len, p, len);
	q->buf = b;
	q->len += len;
	b[q->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct request *q = ud;
	size_t len = size * n;
	char line[1200];
	size_t k = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, p, k);
	line[k] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		/* A new answer (after a redirect or a 100): forget the last. */
		const char *sp = strchr(line, ' ');
		q->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		q->range_start = -1;
	} else if (strncasecmp(line, "content-range:", 14) == 0) {
		unsigned long long start;
		if (sscanf(line + 14, " bytes %llu-", &start) == 1 && start <= INT64_MAX)
			q->range_start = (int64_t)start;
	} else if (strncasecmp(line, "www-authenticate:", 17) == 0) {
		const char *v = line + 17;
		v += strspn(v, " \t");
		snprintf(q->r->challenge, sizeof(q->r->challenge), "%s", v);
	} else if (strncasecmp(line, "content-type:", 13) == 0) {
		const char *v = line + 13;
		v += strspn(v, " \t");
		snprintf(q->content_type, sizeof(q->content_type), "%.*s", (int)strcspn(v, "; "), v);
	}
	return len;
}

/* Stops a transfer that is waiting for bytes once the pull is cancelled. */
static int on_xferinfo(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	struct request *q = ud;
	if (atomic_load(q->f->cancel)) {
		q->cancelled = true;
		return 1;
	}
	return 0;
}

/* One GET; *status is the HTTP status. Returns -1 only when no answer came. */
static int get(struct registry *r, const char *url, const char *accept, struct request *q,
	       long *status, mvm_error **err)
{
	CURL *c = r->curl;
	curl_easy_reset(c);
	struct curl_slist *h = NULL;
	if (accept)
		h = curl_slist_append(h, accept);
	if (r->auth)
		h = curl_slist_append(h, r->auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	/* Only HTTP(S), also after a redirect. */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer fails instead of hanging: under 1 KiB/s for 60 s. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mvm/" MVM_VERSION);
	if (r->send_creds && r->userpwd) {
		/* curl never sends them on to another host after a redirect
		 * (CURLOPT_UNRESTRICTED_AUTH stays off). */
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, r->userpwd);
	}
	if (!r->tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (q->w && store_writer_size(q->w) > 0) {
		char range[32];
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)store_writer_size(q->w));
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	}
	if (q->f && q->f->cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, q);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	q->r = r;
	q->content_type[0] = '\0';
	q->status = 0;
	q->range_start = -1;
	q->body_seen = false;
	CURLcode rc = curl_easy_perform(c);
	r->last_rc = rc;
	curl_slist_free_all(h);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (rc == CURLE_WRITE_ERROR && q->too_big)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "%s: the answer is larger than %zu bytes%s", url, q->max,
			       q->w ? ", the size its descriptor gives; it is not kept" : "");
	if (q->cancelled || rc == CURLE_ABORTED_BY_CALLBACK)
		return mvm_err(err, MVM_ERR_IO, ECANCELED, "%s: cancelled", url);
	if (rc == CURLE_WRITE_ERROR && q->werr) {
		mvm_err_merge(err, &q->werr);
		return -1;
	}
	if (rc != CURLE_OK)
		return mvm_err(err, MVM_ERR_IO, 0, "%s: %s", url, curl_easy_strerror(rc));
	return 0;
}

/* The value of key="..." in a Bearer challenge, or "". */
static void challenge_param(const char *ch, const char *key, char *out, size_t len)
{
	out[0] = '\0';
	size_t kl = strlen(key);
	for (const char *p = ch; (p = strstr(p, key)) != NULL; p += kl) {
		if ((p != ch && p[-1] != ' ' && p[-1] != ',') || p[kl] != '=' || p[kl + 1] != '"')
			continue;
		const char *v = p + kl + 2, *end = strchr(v, '"');
		if (end == NULL)
			return;
		snprintf(out, len, "%.*s", (int)(end - v), v);
		return;
	}
}

/* The token dance of the distribution spec ("Token Authentication"):
 * anonymous, with the realm, service and scope the registry named. */
static int fetch_token(struct registry *r, mvm_error **err)
{
	if (strncasecmp(r->challenge, "Basic", 5) == 0) {
		if (r->userpwd == NULL || r->basic)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "%s wants a user and password%s (auth files: docs/images.md)",
				       r->base, r->userpwd ? ", and refused those of the auth file" : "");
		r->basic = true;
		return 0;
	}
	if (strncasecmp(r->challenge, "Bearer ", 7) != 0)
		return mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
			       "%s asks for `%.80s` authentication, which mvm does not speak",
			       r->base, r->challenge);
	char realm[512], service[256], scope[512];
	challenge_param(r->challenge, "realm", realm, sizeof(realm));
	challenge_param(r->challenge, "service", service, sizeof(service));
	challenge_param(r->challenge, "scope", scope, sizeof(scope));
	if (strncmp(realm, "https://", 8) != 0 && !(strncmp(realm, "http://", 7) == 0 && !r->tls_verify))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "%s names the token service `%.100s`, not an https URL", r->base, realm);
	if (scope[0] == '\0')
		snprintf(scope, sizeof(scope), "repository:%s:pull", r->repo);
	char *es = curl_easy_escape(r->curl, service, 0), *esc = curl_easy_escape(r->curl, scope, 0);
	char url[2048];
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
		 es ? es : "", esc ? esc : "");
	curl_free(es);
	curl_free(esc);
	struct request q = {.max = TOKEN_MAX};
	long status = 0;
	free(r->auth);
	r->auth = NULL;
	/* With credentials the token covers what the user may see. */
	r->send_creds = true;
	int rc = get(r, url, NULL, &q, &status, err);
	r->send_creds = false;
	json_t *j = rc == 0 && status == 200 ? json_loadb(q.buf ? q.buf : "", q.len, 0, NULL) : NULL;
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (tok == NULL)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (rc == 0 && (tok == NULL || strpbrk(tok, "\r\n")))
		rc = mvm_err(err, MVM_ERR_IO, 0, "token service %.100s answered %ld without a token",
			     realm, status);
	if (rc == 0 && asprintf(&r->auth, "Authorization: Bearer %s", tok) < 0) {
		r->auth = NULL;
		rc = mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	}
	json_decref(j);
	free(q.buf);
	return rc;
}

/* GET with one retry after a token, and the errors a user can act on. */
static int get_authed(struct registry *r, const char *path, const char *accept,
		      struct request *q, mvm_error **err)
{
	char url[1024];
	snprintf(url, sizeof(url), "%s/v2/%s/%s", r->base, r->repo, path);
	long status = 0;
	for (int attempt = 0;; attempt++) {
		if (q->w == NULL) {
			free(q->buf);
			q->buf = NULL;
			q->len = 0;
		}
		r->send_creds = r->basic;
		int got = get(r, url, accept, q, &status, err);
		r->send_creds = false;
		if (got < 0)
			return -1;
		if (status != 401 || attempt > 0 || q->w)
			break;
		if (fetch_token(r, err) < 0)
			return -1;
	}
	if (status == 200)
		return 0;
	if (status == 401 || status == 403)
		return mvm_err(err, MVM_ERR_INVALID, 0, "%s: access denied (HTTP %ld)", url, status);
	if (status == 404)
		return mvm_err(err, MVM_ERR_INVALID, 0, "%s: not found (HTTP 404)", url);
	return mvm_err(err, MVM_ERR_IO, 0, "%s: HTTP %ld", url, status);
}

struct registry *registry_open(const struct image_ref *ref, bool tls_verify, mvm_error **err)
{
	pthread_once(&curl_once, init_curl);
	if (curl_init_rc != CURLE_OK) {
		mvm_err(err, MVM_ERR_IO, 0, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	struct registry *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->curl = curl_easy_init()) == NULL) {
		free(r);
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	r->tls_verify = tls_verify;
	if (auth_lookup(ref->registry, &r->userpwd, err) < 0) {
		registry_close(r);
		return NULL;
	}
	/* docker.io's API lives on registry-1.docker.io. */
	const char *host = strcmp(ref->registry, "docker.io") == 0 ? "registry-1.docker.io" : ref->registry;
	snprintf(r->base, sizeof(r->base), "https://%s", host);
	snprintf(r->repo, sizeof(r->repo), "%s", ref->repository);
	if (!tls_verify) {
		/* Without verification a plain-HTTP registry is allowed too
		 * (podman's --tls-verify=false): try HTTPS, else HTTP. */
		struct request q = {.max = 4096};
		long status = 0;
		char url[400];
		snprintf(url, sizeof(url), "%s/v2/", r->base);
		mvm_error *probe = NULL;
		if (get(r, url, NULL, &q, &status, &probe) < 0)
			snprintf(r->base, sizeof(r->base), "http://%s", host);
		mvm_error_free(probe);
		free(q.buf);
	}
	return r;
}

struct registry *registry_clone(const struct registry *from, mvm_error **err)
{
	struct registry *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->curl = curl_easy_init()) == NULL) {
		free(r);
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	memcpy(r->base, from->base, sizeof(r->base));
	memcpy(r->repo, from->repo, sizeof(r->repo));
	r->tls_verify = from->tls_verify;
	r->basic = from->basic;
	if ((from->auth && (r->auth = strdup(from->auth)) == NULL) ||
	    (from->userpwd && (r->userpwd = strdup(from->userpwd)) == NULL)) {
		registry_close(r);
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	return r;
}

void registry_close(struct registry *r)
{
	if (r == NULL)
		return;
	curl_easy_cleanup(r->curl);
	free(r->auth);
	if (r->userpwd)
		explicit_bzero(r->userpwd, strlen(r->userpwd));
	free(r->userpwd);
	free(r);
}

int registry_get_manifest(struct registry *r, const char *reference, char **body, size_t *len,
			  char **media_type, mvm_error **err)
{
	char path[256];
	snprintf(path, sizeof(path), "manifests/%s", reference);
	struct request q = {.max = MANIFEST_MAX};
	if (get_authed(r, path, ACCEPT_MANIFESTS, &q, err) < 0) {
		free(q.buf);
		return -1;
	}
	if (q.buf == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "manifest %s of %s: empty", reference, r->repo);
	*body = q.buf;
	*len = q.len;
	*media_type = strdup(q.content_type);
	return 0;
}

/* Transfer failures worth another try from where the bytes stopped. */
static bool transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

int registry_get_blob(struct registry *r, struct store *s, const struct digest *d, uint64_t max,
		      const struct blob_fetch *f, uint64_t *size, mvm_error **err)
{
	char url[1024];
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", r->base, r->repo, d->str);
	struct store_writer *w = store_writer_resume(s, d, max, err);
	if (w == NULL)
		return -1;
	/* A leftover of the full size was never renamed in: it may be the
	 * blob, or what a bad download made of it. Fetch it whole. */
	if (store_writer_size(w) >= max && store_writer_restart(w, err) < 0) {
		store_writer_abort(w);
		return -1;
	}
	uint64_t resumed = store_writer_size(w);
	if (f && f->resumed)
		*f->resumed = resumed;
	bool renewed = false;
	for (int attempt = 0;; attempt++) {
		struct request q = {.max = max, .w = w, .f = f};
		long status = 0;
		r->send_creds = r->basic;
		mvm_error *gerr = NULL;
		uint64_t before = store_writer_size(w);
		int got = get(r, url, NULL, &q, &status, &gerr);
		r->send_creds = false;
		CURLcode crc = r->last_rc;
		if (got == 0 && (status == 200 || status == 206) && store_writer_size(w) == max) {
			mvm_error_free(gerr);
			if (resumed == 0)
				return store_writer_commit(w, d, NULL, size, err);
			/* What an earlier pull left may not have been the blob's
			 * bytes (they were never checked): once more, whole. */
			mvm_error *cerr = NULL;
			if (store_writer_commit(w, d, NULL, size, &cerr) == 0)
				return 0;
			mvm_error_free(cerr);
			if ((w = store_writer_resume(s, d, max, err)) == NULL)
				return -1;
			resumed = 0;
			if (f && f->resumed)
				*f->resumed = 0;
			attempt = -1;
			renewed = false;
			continue;
		}
		/* A 401 on a blob means the token ran out. */
		if (got == 0 && status == 401 && !renewed) {
			renewed = true;
			if (fetch_token(r, err) < 0) {
				store_writer_suspend(w);
				return -1;
			}
			continue;
		}
		/* A range the registry will not serve: the kept bytes are
		 * worth nothing to it, so fetch the whole blob. */
		if (got == 0 && status == 416 && store_writer_size(w) > 0) {
			mvm_error_free(gerr);
			if (store_writer_restart(w, err) < 0) {
				store_writer_abort(w);
				return -1;
			}
			resumed = 0;
			if (f && f->resumed)
				*f->resumed = 0;
			continue;
		}
		bool incomplete = got == 0 && (status == 200 || status == 206);
		if (incomplete)
			got = mvm_err(&gerr, MVM_ERR_IO, 0, "%s: the answer ended after %llu of %llu bytes",
				      url, (unsigned long long)store_writer_size(w),
				      (unsigned long long)max);
		else if (got == 0)
			got = mvm_err(&gerr, MVM_ERR_IO, 0, "%s: HTTP %ld", url, status);
		bool again = !q.cancelled && (transient(crc) || incomplete);
		if (again && attempt + 1 < BLOB_TRIES) {
			/* Progress resets the count: only a download that stops
			 * moving runs out of tries. */
			if (store_writer_size(w) > before)
				attempt = 0;
			mvm_error_free(gerr);
			struct timespec pause = {0, 200000000L * (attempt + 1)};
			nanosleep(&pause, NULL);
			continue;
		}
		mvm_err_merge(err, &gerr);
		uint64_t kept = store_writer_size(w);
		if (again || q.cancelled) {
			store_writer_suspend(w);
			if (kept > 0)
				mvm_err(err, MVM_ERR_IO, 0,
					"%llu bytes of blob %s are kept; the next pull continues from "
					"there",
					(unsigned long long)kept, d->str);
		} else {
			store_writer_abort(w);
		}
		return -1;
	}
}
