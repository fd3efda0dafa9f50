/* SPDX-License-Identifier: Apache-2.0 */
/* Loading images from layouts and archives (load.h). An archive is read
 * once, front to back: each regular file is copied into the store as a
 * blob under the digest of its content, small JSON files are kept in
 * memory, and the image is then resolved from what was found. A layout
 * directory is read blob by blob as the manifests name them. */
#include "image/load.h"
#include "image/fetch.h"
#include "image/ref.h"
#include "image/registries.h"
#include "image/registry.h"
#include "guest/protocol.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define JSON_MAX (4u << 20) /* manifests, configs, indexes: far below this */
#define INDEX_DEPTH 4
#define DEFAULT_PLATFORM "linux/amd64"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct file_entry {
	char *path;
	char *link; /* symlink: the path it names, normalized; else NULL */
	struct digest digest;
	uint64_t size;
};

struct platform {
	char os[32], arch[32], variant[32];
};

struct source {
	struct store *s;
	const struct image_load_opts *o;
	const char *what; /* the path given, for messages */
	int dir_fd;       /* a layout directory, or -1 for an archive */
	struct registry *reg; /* or a registry: blobs are fetched */
	struct file_entry *files;
	size_t n_files, cap_files;
	char *json[3]; /* index.json, oci-layout, manifest.json of an archive */
	char **names;
	size_t n_names;
	struct fetcher *fetch; /* a pull's downloads */
	struct platform plat;  /* the image to pick from an index */
	bool plat_given;       /* asked for, not the default */
	bool first_only;       /* a pull takes one image of an index */
	char offered[256];     /* the platforms an index had, for the error */
};

static void progress(struct source *src, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct source *src, const char *fmt, ...)
{
	if (src->o == NULL || src->o->progress == NULL)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src->fetch)
		fetcher_line(src->fetch, msg);
	else
		src->o->progress(src->o->ud, msg);
}

/* "OS/ARCH[/VARIANT]", each part [a-z0-9._-], as podman's --platform. */
static int parse_platform(const char *text, struct platform *p, mvm_error **err)
{
	*p = (struct platform){0};
	char *parts[3] = {p->os, p->arch, p->variant};
	const char *at = text;
	size_t n = 0;
	for (; n < 3; n++) {
		size_t len = strcspn(at, "/");
		if (len == 0 || len >= sizeof(p->os) ||
		    strspn(at, "abcdefghijklmnopqrstuvwxyz0123456789._-") < len)
			break;
		memcpy(parts[n], at, len);
		parts[n][len] = '\0';
		at += len;
		if (*at == '\0') {
			n++;
			break;
		}
		at++;
	}
	if (n < 2 || *at != '\0' || (at > text && at[-1] == '/'))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "platform `%s`: want OS/ARCH or OS/ARCH/VARIANT in lowercase, as "
			       "linux/arm64/v8",
			       text);
	return 0;
}

/* A path inside an archive, without "./" and leading "/"; NULL when it
 * has a ".." (never needed, and never used as a key). */
static char *archive_path(const char *raw)
{
	while (raw[0] == '/' || (raw[0] == '.' && raw[1] == '/'))
		raw += raw[0] == '/' ? 1 : 2;
	if (strstr(raw, "..") && (strcmp(raw, "..") == 0 || strncmp(raw, "../", 3) == 0 ||
				  strstr(raw, "/../") || (strlen(raw) >= 3 && strcmp(raw + strlen(raw) - 3, "/..") == 0)))
		return NULL;
	return strdup(raw);
}

/* The target of a symlink at path, as an archive path. */
static char *link_path(const char *path, const char *target)
{
	char buf[PATH_MAX];
	if (target[0] == '/') {
		snprintf(buf, sizeof(buf), "%s", target);
	} else {
		const char *slash = strrchr(path, '/');
		int dir_len = slash ? (int)(slash - path) : 0;
		snprintf(buf, sizeof(buf), "%.*s%s%s", dir_len, path, dir_len ? "/" : "", target);
	}
	/* Fold "dir/../x" (docker's layer.tar -> ../blobs/sha256/...). */
	char *parts[256];
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0) {
			if (n == 0)
				return NULL;
			n--;
			continue;
		}
		if (n == 256)
			return NULL;
		parts[n++] = t;
	}
	char out[PATH_MAX] = "";
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "/" : "", parts[i]);
	return len < sizeof(out) ? strdup(out) : NULL;
}

static struct file_entry *find_file(struct source *src, const char *path, int depth)
{
	for (size_t i = 0; i < src->n_files; i++) {
		struct file_entry *f = &src->files[i];
		if (strcmp(f->path, path) != 0)
			continue;
		if (f->link == NULL)
			return f;
		return depth < 8 ? find_file(src, f->link, depth + 1) : NULL;
	}
	return NULL;
}

static int add_file(struct source *src, char *path, char *link, const struct digest *d,
		    uint64_t size, mvm_error **err)
{
	if (src->n_files == src->cap_files) {
		size_t cap = src->cap_files ? src->cap_files * 2 : 32;
		struct file_entry *f = realloc(src->files, cap * sizeof(*f));
		if (f == NULL) {
			free(path);
			free(link);
			return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		}
		src->files = f;
		src->cap_files = cap;
	}
	struct file_entry *f = &src->files[src->n_files++];
	*f = (struct file_entry){.path = path, .link = link, .size = size};
	if (d)
		f->digest = *d;
	return 0;
}

static int read_small(struct archive *a, const char *path, char **out, mvm_error **err)
{
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	for (;;) {
		if (b == NULL)
			return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		if (len + 1 == cap) {
			if (cap >= JSON_MAX) {
				free(b);
				return mvm_err(err, MVM_ERR_INVALID, 0,
					       "`%s` in the archive is larger than %u bytes", path,
					       JSON_MAX);
			}
			char *nb = realloc(b, cap * 2);
			if (nb == NULL)
				free(b);
			b = nb;
			cap *= 2;
			continue;
		}
		la_ssize_t n = archive_read_data(a, b + len, cap - 1 - len);
		if (n < 0) {
			free(b);
			return mvm_err(err, MVM_ERR_INVALID, 0, "read `%s`: %s", path,
				       archive_error_string(a));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	b[len] = '\0';
	free(*out);
	*out = b;
	return 0;
}

static const char *const json_names[3] = {"index.json", "oci-layout", "manifest.json"};

/* One pass over an archive: blobs into the store, JSON into memory. */
static int read_archive(struct source *src, int fd, mvm_error **err)
{
	struct archive *a = archive_read_new();
	if (a == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	int rc = 0;
	unsigned long entries = 0;
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
		rc = mvm_err(err, MVM_ERR_INVALID, 0,
			     "neither an OCI archive, a docker archive nor an OCI layout directory "
			     "(%s)",
			     archive_error_string(a));
	while (rc == 0) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (entries == 0)
				rc = mvm_err(err, MVM_ERR_INVALID, 0,
					     "neither an OCI archive, a docker archive nor an OCI "
					     "layout directory (%s)",
					     archive_error_string(a));
			else
				rc = mvm_err(err, MVM_ERR_INVALID, 0, "%s", archive_error_string(a));
			break;
		}
		entries++;
		char *path = archive_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		if (path == NULL || path[0] == '\0') {
			free(path);
			continue;
		}
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFLNK && archive_entry_symlink(e)) {
			char *target = link_path(path, archive_entry_symlink(e));
			if (target == NULL) {
				free(path);
				continue;
			}
			rc = add_file(src, path, target, NULL, 0, err);
			continue;
		}
		/* docker save's legacy per-layer "VERSION" and "json" and its
		 * "repositories" describe nothing manifest.json does not. */
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		if (type != AE_IFREG || archive_entry_hardlink(e) || strcmp(base, "VERSION") == 0 ||
		    strcmp(base, "json") == 0 || strcmp(path, "repositories") == 0) {
			free(path);
			continue;
		}
		bool is_json = false;
		for (size_t i = 0; i < 3; i++)
			if (strcmp(path, json_names[i]) == 0) {
				rc = read_small(a, path, &src->json[i], err);
				is_json = true;
			}
		if (is_json) {
			free(path);
			continue;
		}
		/* An OCI layout names its blobs by digest: hold them to it. */
		struct digest want, got;
		bool named = strncmp(path, "blobs/sha256/", 13) == 0 &&
			     strlen(path) == 13 + DIGEST_HEX_LEN;
		if (named) {
			char ds[DIGEST_STR_LEN];
			snprintf(ds, sizeof(ds), "sha256:%s", path + 13);
			mvm_error *perr = NULL;
			named = digest_parse(ds, &want, &perr) == 0;
			mvm_error_free(perr);
		}
		uint64_t size = 0;
		rc = store_put_blob_archive(src->s, a, named ? &want : NULL, &got, &size, err);
		if (rc == 0) {
			progress(src, "Copied blob %.19s (%llu bytes)", got.str,
				 (unsigned long long)size);
			rc = add_file(src, path, NULL, &got, size, err);
		} else {
			mvm_err_wrap(err, "`%s` in the archive", path);
			free(path);
		}
	}
	archive_read_free(a);
	return rc;
}

/* The blob d, in the store once this returns 0. max is the size its
 * descriptor gives (a registry that sends more is cut off), 0 if unknown. */
static int ensure_blob(struct source *src, const struct digest *d, uint64_t max, const char *kind,
		       mvm_error **err)
{
	if (src->fetch)
		return fetcher_add(src->fetch, d, max, kind, 0, 0, err) < 0
			       ? -1
			       : fetcher_wait(src->fetch, d, err);
	if (store_has_blob(src->s, d))
		return 0;
	if (src->dir_fd < 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "blob %s is not in the archive", d->str);
	char rel[128];
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest_hex(d));
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	cleanup_close int fd = (int)syscall(SYS_openat2, src->dir_fd, rel, &how, sizeof(how));
	if (fd < 0)
		return mvm_err_sys(err, "blob %s of `%s`", d->str, src->what);
	uint64_t size;
	if (store_put_blob_fd(src->s, fd, d, NULL, &size, err) < 0)
		return -1;
	progress(src, "Copied blob %.19s (%llu bytes)", d->str, (unsigned long long)size);
	return 0;
}

/* A manifest or index named by an index: a registry serves those from
 * its manifests endpoint, not as blobs. */
static int fetch_manifest(struct source *src, const struct digest *d, mvm_error **err)
{
	if (store_has_blob(src->s, d))
		return 0;
	cleanup_free char *body = NULL, *media = NULL;
	size_t len;
	struct digest got;
	if (registry_get_manifest(src->reg, d->str, &body, &len, &media, err) < 0 ||
	    store_put_blob_mem(src->s, body, len, &got, err) < 0)
		return -1;
	if (strcmp(got.str, d->str) != 0)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "manifest %s: the registry sent one with digest %s", d->str, got.str);
	return 0;
}

/* A JSON blob: a manifest or index (manifest) or a config of size bytes
 * (0: not known; a registry's is then refused). */
static json_t *load_json_blob(struct source *src, const struct digest *d, bool manifest,
			      uint64_t size, mvm_error **err)
{
	int got;
	if (src->reg && manifest)
		got = fetch_manifest(src, d, err);
	else if (src->reg && size > JSON_MAX)
		got = mvm_err(err, MVM_ERR_INVALID, 0, "blob %s: %llu bytes, more than the %u a config may have",
			      d->str, (unsigned long long)size, JSON_MAX);
	else
		got = ensure_blob(src, d, size, "config", err);
	if (got < 0)
		return NULL;
	cleanup_free char *buf = NULL;
	size_t len;
	if (store_read_blob(src->s, d, JSON_MAX, &buf, &len, err) < 0)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		mvm_err(err, MVM_ERR_INVALID, 0, "blob %s: not a JSON object (%s)", d->str,
			j ? "another value" : je.text);
	}
	return j;
}

static int desc_digest(json_t *desc, struct digest *d, const char *what, mvm_error **err)
{
	const char *s = json_string_value(json_object_get(desc, "digest"));
	if (s == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "%s: a descriptor without a digest", what);
	return digest_parse(s, d, err);
}

/* The size a descriptor gives, 0 when it gives none or a nonsense one. */
static uint64_t desc_size(json_t *desc)
{
	json_int_t n = json_integer_value(json_object_get(desc, "size"));
	return n > 0 ? (uint64_t)n : 0;
}

static bool accepted_layer(const char *mt)
{
	static const char *const ok[] = {
	    "application/vnd.oci.image.layer.v1.tar",
	    "application/vnd.oci.image.layer.v1.tar+gzip",
	    "application/vnd.oci.image.layer.v1.tar+zstd",
	    "application/vnd.docker.image.rootfs.diff.tar.gzip",
	    "application/vnd.docker.image.rootfs.diff.tar",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}

/* A single-platform image asked for by platform must be of it. */
static int check_config_platform(struct source *src, const struct digest *md, json_t *config,
				 mvm_error **err)
{
	if (!src->plat_given)
		return 0;
	const char *os = json_string_value(json_object_get(config, "os"));
	const char *arch = json_string_value(json_object_get(config, "architecture"));
	const char *variant = json_string_value(json_object_get(config, "variant"));
	if ((os && strcmp(os, src->plat.os) != 0) || (arch && strcmp(arch, src->plat.arch) != 0) ||
	    (variant && src->plat.variant[0] && strcmp(variant, src->plat.variant) != 0))
		return mvm_err(err, MVM_ERR_INVALID, 0, "manifest %s is an image for %s/%s%s%s, not %s/%s%s%s",
			       md->str, os ? os : "?", arch ? arch : "?", variant ? "/" : "",
			       variant ? variant : "", src->plat.os, src->plat.arch,
			       src->plat.variant[0] ? "/" : "", src->plat.variant);
	return 0;
}

/* A manifest: its config and layers into the store, each layer unpacked.
 * A pull queues every layer first, so that they arrive while the ones
 * before them are unpacked. */
static int import_manifest(struct source *src, const struct digest *md, mvm_error **err)
{
	json_t *m = load_json_blob(src, md, true, 0, err);
	if (m == NULL)
		return -1;
	int rc = 0;
	json_t *config = json_object_get(m, "config");
	json_t *layers = json_object_get(m, "layers");
	struct digest cd;
	if (json_integer_value(json_object_get(m, "schemaVersion")) != 2 ||
	    !json_is_object(config) || !json_is_array(layers))
		rc = mvm_err(err, MVM_ERR_INVALID, 0,
			     "manifest %s: not an image manifest (schemaVersion 2 with a config "
			     "and layers)",
			     md->str);
	/* No run could stack more (guest/protocol.h); refused before any
	 * download rather than at the first run. */
	if (rc == 0 && json_array_size(layers) > MVM_MAX_LAYERS)
		rc = mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
			     "manifest %s has %zu layers; mvm runs images of at most %d", md->str,
			     json_array_size(layers), MVM_MAX_LAYERS);
	json_t *cj = NULL;
	if (rc == 0 && (desc_digest(config, &cd, md->str, err) < 0 ||
			(cj = load_json_blob(src, &cd, false, desc_size(config), err)) == NULL ||
			check_config_platform(src, md, cj, err) < 0))
		rc = -1;
	json_decref(cj);
	size_t i, count = json_array_size(layers);
	json_t *layer;
	json_array_foreach(layers, i, layer)
	{
		if (rc < 0)
			break;
		struct digest ld;
		const char *mt = json_string_value(json_object_get(layer, "mediaType"));
		if (mt && !accepted_layer(mt))
			rc = mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
				     "manifest %s: layer %zu has media type `%s`, which mvm cannot "
				     "unpack",
				     md->str, i, mt);
		else if (desc_digest(layer, &ld, md->str, err) < 0)
			rc = -1;
		else if (src->fetch)
			rc = fetcher_add(src->fetch, &ld, desc_size(layer), "layer", (unsigned)i + 1,
					 (unsigned)count, err);
	}
	json_array_foreach(layers, i, layer)
	{
		if (rc < 0)
			break;
		struct digest ld;
		if (desc_digest(layer, &ld, md->str, err) < 0 ||
		    ensure_blob(src, &ld, desc_size(layer), "layer", err) < 0) {
			rc = -1;
			break;
		}
		bool unpacked;
		if (store_layer(src->s, &ld, NULL, &unpacked, err) < 0) {
			rc = -1;
			break;
		}
		if (src->fetch)
			fetcher_unpacked(src->fetch, &ld);
		progress(src, "%s layer %.19s (%zu of %zu)", unpacked ? "Unpacked" : "Already have",
			 ld.str, i + 1, count);
	}
	json_decref(m);
	return rc;
}

static int add_name(struct source *src, const char *name, const struct digest *md,
		    mvm_error **err)
{
	struct image_ref r;
	if (image_ref_parse(name, &r, err) < 0)
		return -1;
	char full[REF_MAX];
	image_ref_format(&r, full);
	if (store_tag(src->s, full, md, err) < 0)
		return -1;
	char **n = realloc(src->names, (src->n_names + 1) * sizeof(*n));
	if (n == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	src->names = n;
	if ((n[src->n_names] = strdup(full)) == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	src->n_names++;
	progress(src, "Loaded image %s", full);
	return 0;
}

/* "localhost/BASENAME:TAG" for a layout whose manifest names only a tag
 * (skopeo's oci:DIR:TAG) or nothing. */
static int default_name(struct source *src, const char *tag, const struct digest *md,
			mvm_error **err)
{
	char copy[PATH_MAX], name[REF_MAX];
	snprintf(copy, sizeof(copy), "%s", src->what);
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	char *base = basename(copy);
	char *dot = strchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	char clean[128];
	size_t k = 0;
	for (char *c = base; *c && k < sizeof(clean) - 1; c++) {
		char l = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
		if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9'))
			clean[k++] = l;
		else if (k && clean[k - 1] != '-')
			clean[k++] = '-';
	}
	while (k && clean[k - 1] == '-')
		k--;
	clean[k] = '\0';
	snprintf(name, sizeof(name), "localhost/%s:%s", k ? clean : "image", tag ? tag : "latest");
	return add_name(src, name, md, err);
}

/* Whether an index entry is the platform asked for; a variant is compared
 * only when one was asked for. Entries without a platform are taken (an
 * OCI layout of one image needs none). Remembers what was offered. */
static bool platform_ok(struct source *src, json_t *desc)
{
	json_t *p = json_object_get(desc, "platform");
	if (!json_is_object(p))
		return true;
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	const char *variant = json_string_value(json_object_get(p, "variant"));
	if (os && arch && strcmp(os, "unknown") != 0) {
		char one[100];
		snprintf(one, sizeof(one), "%s%.30s/%.30s%s%.30s", src->offered[0] ? ", " : "", os,
			 arch, variant ? "/" : "", variant ? variant : "");
		size_t used = strlen(src->offered);
		if (strstr(src->offered, one + (src->offered[0] ? 2 : 0)) == NULL &&
		    used + strlen(one) < sizeof(src->offered))
			memcpy(src->offered + used, one, strlen(one) + 1);
	}
	return (!os || strcmp(os, src->plat.os) == 0) && (!arch || strcmp(arch, src->plat.arch) == 0) &&
	       (!src->plat.variant[0] || (variant && strcmp(variant, src->plat.variant) == 0));
}

/* The error for an index without the platform asked for. */
static int no_platform(struct source *src, const char *what, mvm_error **err)
{
	return mvm_err(err, MVM_ERR_INVALID, 0, "%s holds no %s/%s%s%s image%s%s%s", what,
		       src->plat.os, src->plat.arch, src->plat.variant[0] ? "/" : "",
		       src->plat.variant, src->offered[0] ? " (it has " : "", src->offered,
		       src->offered[0] ? "; see --platform)" : "");
}

static int load_index(struct source *src, json_t *index, int depth, bool *found, mvm_error **err)
{
	json_t *manifests = json_object_get(index, "manifests");
	if (!json_is_array(manifests))
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: an index without manifests", src->what);
	size_t i;
	json_t *desc;
	json_array_foreach(manifests, i, desc)
	{
		const char *mt = json_string_value(json_object_get(desc, "mediaType"));
		struct digest d;
		if (desc_digest(desc, &d, src->what, err) < 0)
			return -1;
		if (mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)) {
			if (depth >= INDEX_DEPTH)
				return mvm_err(err, MVM_ERR_INVALID, 0,
					       "`%s`: indexes nested deeper than %d", src->what,
					       INDEX_DEPTH);
			json_t *sub = load_json_blob(src, &d, true, desc_size(desc), err);
			int rc = sub ? load_index(src, sub, depth + 1, found, err) : -1;
			json_decref(sub);
			if (rc < 0)
				return -1;
			continue;
		}
		if (mt && strcmp(mt, MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0)
			continue; /* attestations, signatures: not images */
		if (!platform_ok(src, desc) || (src->first_only && *found))
			continue;
		if (import_manifest(src, &d, err) < 0)
			return -1;
		*found = true;
		json_t *ann = json_object_get(desc, "annotations");
		const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
		const char *ref = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
		int rc;
		if (src->o && src->o->name)
			rc = add_name(src, src->o->name, &d, err);
		else if (full)
			rc = add_name(src, full, &d, err);
		else if (ref && (strchr(ref, '/') || strchr(ref, ':')))
			rc = add_name(src, ref, &d, err);
		else
			rc = default_name(src, ref, &d, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int load_oci(struct source *src, const char *index_json, const char *layout,
		    mvm_error **err)
{
	json_error_t je;
	json_t *l = json_loads(layout, 0, &je);
	const char *v = json_string_value(json_object_get(l, "imageLayoutVersion"));
	int rc = 0;
	if (v == NULL || strcmp(v, "1.0.0") != 0)
		rc = mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
			     "`%s`: oci-layout says version %s; mvm reads 1.0.0", src->what,
			     v ? v : "(none)");
	json_decref(l);
	if (rc < 0)
		return -1;
	json_t *index = json_loads(index_json, 0, &je);
	if (!json_is_object(index)) {
		json_decref(index);
		return mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: index.json: %s", src->what,
			       index ? "not an object" : je.text);
	}
	bool found = false;
	rc = load_index(src, index, 0, &found, err);
	json_decref(index);
	if (rc == 0 && !found)
	{
		char what[PATH_MAX + 2];
		snprintf(what, sizeof(what), "`%s`", src->what);
		rc = no_platform(src, what, err);
	}
	return rc;
}

/* docker save's manifest.json: [{"Config": PATH, "RepoTags": [...],
 * "Layers": [PATH...]}]. Each becomes an OCI manifest of our own. */
static int load_docker(struct source *src, mvm_error **err)
{
	json_error_t je;
	json_t *items = json_loads(src->json[2], 0, &je);
	int rc = 0;
	if (!json_is_array(items) || json_array_size(items) == 0)
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "`%s`: manifest.json: %s", src->what,
			     items ? "not a list of images" : je.text);
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		if (rc < 0)
			break;
		const char *cpath = json_string_value(json_object_get(item, "Config"));
		json_t *layers = json_object_get(item, "Layers");
		struct file_entry *cf = cpath ? find_file(src, cpath, 0) : NULL;
		if (cf == NULL || !json_is_array(layers)) {
			rc = mvm_err(err, MVM_ERR_INVALID, 0,
				     "`%s`: manifest.json entry %zu: its Config or Layers are missing",
				     src->what, i);
			break;
		}
		json_t *ls = json_array();
		size_t k;
		json_t *lp;
		json_array_foreach(layers, k, lp)
		{
			const char *p = json_string_value(lp);
			struct file_entry *lf = p ? find_file(src, p, 0) : NULL;
			if (lf == NULL) {
				rc = mvm_err(err, MVM_ERR_INVALID, 0,
					     "`%s`: layer `%s` is not in the archive", src->what,
					     p ? p : "(not a string)");
				break;
			}
			json_array_append_new(ls, json_pack("{s:s,s:s,s:I}", "mediaType",
							    "application/vnd.oci.image.layer.v1.tar",
							    "digest", lf->digest.str, "size",
							    (json_int_t)lf->size));
		}
		json_t *m = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2,
				      "mediaType", MT_OCI_MANIFEST, "config", "mediaType",
				      MT_OCI_CONFIG, "digest", cf->digest.str, "size",
				      (json_int_t)cf->size, "layers", ls);
		char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
		json_decref(m);
		struct digest md;
		if (rc == 0 && (text == NULL || store_put_blob_mem(src->s, text, strlen(text), &md, err) < 0))
			rc = text ? -1 : mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		free(text);
		if (rc == 0)
			rc = import_manifest(src, &md, err);
		json_t *tags = json_object_get(item, "RepoTags");
		size_t t;
		json_t *tag;
		bool named = false;
		if (rc == 0 && src->o && src->o->name) {
			rc = add_name(src, src->o->name, &md, err);
			named = true;
		}
		json_array_foreach(tags, t, tag)
		{
			if (rc < 0 || named || !json_is_string(tag))
				continue;
			rc = add_name(src, json_string_value(tag), &md, err);
		}
		if (rc == 0 && src->n_names == 0)
			rc = default_name(src, NULL, &md, err);
	}
	json_decref(items);
	return rc;
}

static char *read_layout_file(int dir_fd, const char *name, const char *what, mvm_error **err)
{
	cleanup_close int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		mvm_err_sys(err, "`%s/%s`", what, name);
		return NULL;
	}
	char *buf = malloc(JSON_MAX + 1);
	if (buf == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, JSON_MAX + 1 - len);
		if (n < 0) {
			free(buf);
			mvm_err_sys(err, "read `%s/%s`", what, name);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > JSON_MAX) {
			free(buf);
			mvm_err(err, MVM_ERR_INVALID, 0, "`%s/%s` is larger than %u bytes", what, name,
				JSON_MAX);
			return NULL;
		}
	}
	buf[len] = '\0';
	return buf;
}

int image_load(struct store *s, const char *path, const struct image_load_opts *o, char ***names,
	       size_t *n_names, mvm_error **err)
{
	struct source src = {.s = s, .o = o, .what = path, .dir_fd = -1};
	parse_platform(DEFAULT_PLATFORM, &src.plat, NULL);
	/* Blobs written before the image is named would look like garbage. */
	cleanup_close int guard = store_hold(s, err);
	if (guard < 0)
		return mvm_err_wrap(err, "load `%s`", path);
	int rc = 0;
	/* "-": an archive on stdin (`docker save IMAGE | mvm load`). */
	cleanup_close int fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)
						       : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = mvm_err_sys(err, "`%s`", path);
	} else if (S_ISDIR(st.st_mode)) {
		src.dir_fd = fd;
		src.json[0] = read_layout_file(fd, "index.json", path, err);
		src.json[1] = src.json[0] ? read_layout_file(fd, "oci-layout", path, err) : NULL;
		rc = src.json[1] ? load_oci(&src, src.json[0], src.json[1], err) : -1;
	} else {
		rc = read_archive(&src, fd, err);
		if (rc == 0 && src.json[0] && src.json[1])
			rc = load_oci(&src, src.json[0], src.json[1], err);
		else if (rc == 0 && src.json[2])
			rc = load_docker(&src, err);
		else if (rc == 0)
			rc = mvm_err(err, MVM_ERR_INVALID, 0,
				     "`%s` is neither an OCI archive (index.json, oci-layout) nor a "
				     "docker archive (manifest.json)",
				     path);
	}
	for (size_t i = 0; i < src.n_files; i++) {
		free(src.files[i].path);
		free(src.files[i].link);
	}
	free(src.files);
	for (size_t i = 0; i < 3; i++)
		free(src.json[i]);
	if (rc < 0) {
		for (size_t i = 0; i < src.n_names; i++)
			free(src.names[i]);
		free(src.names);
		return mvm_err_wrap(err, "load `%s`", path);
	}
	*names = src.names;
	*n_names = src.n_names;
	return 0;
}

/* Pulls the full name ref. *missing: it failed before its registry sent
 * a manifest, so another registry may be asked. */
static int pull_one(struct store *s, const char *ref, bool tls_verify,
		    const struct image_load_opts *o, char **name, bool *missing, mvm_error **err)
{
	*missing = true;
	struct image_ref r;
	if (image_ref_parse(ref, &r, err) < 0)
		return -1;
	char full[REF_MAX];
	image_ref_format(&r, full);
	struct image_load_opts named = {.name = full};
	if (o) {
		named.progress = o->progress;
		named.ud = o->ud;
	}
	struct source src = {.s = s, .o = &named, .what = full, .dir_fd = -1, .first_only = true};
	src.plat_given = o && o->platform;
	if (parse_platform(src.plat_given ? o->platform : DEFAULT_PLATFORM, &src.plat, err) < 0)
		return -1;
	cleanup_close int guard = store_hold(s, err);
	if (guard < 0)
		return -1;
	src.reg = registry_open(&r, tls_verify, err);
	if (src.reg == NULL)
		return mvm_err_wrap(err, "pull %s", full);
	struct fetch_report rep = {.line = named.progress, .ud = named.ud,
				   .blob = o ? o->blob_progress : NULL};
	src.fetch = fetcher_new(src.reg, s, o ? o->jobs : 0, &rep, err);
	if (src.fetch == NULL) {
		registry_close(src.reg);
		return mvm_err_wrap(err, "pull %s", full);
	}
	char *body = NULL, *media = NULL;
	size_t len = 0;
	struct digest d;
	int rc = registry_get_manifest(src.reg, r.digest[0] ? r.digest : r.tag, &body, &len, &media, err);
	if (rc == 0) {
		*missing = false;
		rc = store_put_blob_mem(s, body, len, &d, err);
	}
	/* By digest, the registry must send exactly that. */
	if (rc == 0 && r.digest[0] && strcmp(d.str, r.digest) != 0)
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "%s: the registry sent a manifest with digest %s",
			     full, d.str);
	json_t *j = rc == 0 ? json_loadb(body, len, 0, NULL) : NULL;
	if (rc == 0 && !json_is_object(j))
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "%s: the manifest is not a JSON object", full);
	if (rc == 0) {
		const char *mt = json_string_value(json_object_get(j, "mediaType"));
		if (mt == NULL)
			mt = media;
		bool index = mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0);
		if (index) {
			bool found = false;
			rc = load_index(&src, j, 0, &found, err);
			if (rc == 0 && !found)
				rc = no_platform(&src, full, err);
		} else {
			rc = import_manifest(&src, &d, err);
			if (rc == 0)
				rc = add_name(&src, full, &d, err);
		}
	}
	json_decref(j);
	free(body);
	free(media);
	fetcher_free(src.fetch);
	registry_close(src.reg);
	for (size_t i = 0; i < src.n_names; i++)
		if (rc == 0 && i == 0)
			*name = src.names[i];
		else
			free(src.names[i]);
	free(src.names);
	return rc < 0 ? mvm_err_wrap(err, "pull %s", full) : 0;
}

int image_pull(struct store *s, const char *ref, bool tls_verify, const struct image_load_opts *o,
	       char **name, mvm_error **err)
{
	char **names;
	size_t n;
	if (image_ref_candidates(ref, &names, &n, err) < 0)
		return -1;
	/* As podman's permissive short-name mode: each search registry in
	 * turn, until one has the image. */
	mvm_error *tried = NULL;
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		if (n > 1 && o && o->progress) {
			char msg[REF_MAX + 16];
			snprintf(msg, sizeof(msg), "Trying %s", names[i]);
			o->progress(o->ud, msg);
		}
		bool missing;
		mvm_error *e = NULL;
		rc = pull_one(s, names[i], tls_verify, o, name, &missing, &e);
		mvm_err_merge(&tried, &e);
		if (rc == 0 || !missing)
			break;
	}
	image_ref_candidates_free(names, n);
	if (rc == 0)
		mvm_error_free(tried);
	else
		mvm_err_merge(err, &tried);
	return rc;
}
