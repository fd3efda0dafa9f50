/* SPDX-License-Identifier: Apache-2.0 */
/* The content-addressed image store (store.h). */
#include "image/store.h"
#include "image/layer_unpack.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs_tree.h"

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct store {
	char *dir;
	int dir_fd;
};

static char *default_dir(mvm_error **err)
{
	const char *home = getenv("MVM_HOME");
	char buf[PATH_MAX];
	int n;
	if (home && *home) {
		n = snprintf(buf, sizeof(buf), "%s", home);
	} else if (getenv("XDG_DATA_HOME") && *getenv("XDG_DATA_HOME")) {
		n = snprintf(buf, sizeof(buf), "%s/mvm", getenv("XDG_DATA_HOME"));
	} else if (getenv("HOME") && *getenv("HOME")) {
		n = snprintf(buf, sizeof(buf), "%s/.local/share/mvm", getenv("HOME"));
	} else {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"no place for the image store: set MVM_HOME, XDG_DATA_HOME or HOME");
		return NULL;
	}
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		mvm_err(err, MVM_ERR_INVALID, 0, "the image store's path is too long");
		return NULL;
	}
	if (buf[0] != '/') {
		mvm_err(err, MVM_ERR_INVALID, 0, "the image store `%s` is not an absolute path", buf);
		return NULL;
	}
	return strdup(buf);
}

struct store *store_open(const char *dir, mvm_error **err)
{
	struct store *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	s->dir_fd = -1;
	s->dir = dir ? strdup(dir) : default_dir(err);
	if (s->dir == NULL) {
		if (dir)
			mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		goto fail;
	}
	static const char *subdirs[] = {"", "/blobs/sha256", "/layers/sha256", "/tmp"};
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s%s", s->dir, subdirs[i]);
		if (fs_mkdir_p(p, err) < 0)
			goto fail;
	}
	s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		mvm_err_sys(err, "open the image store `%s`", s->dir);
		goto fail;
	}
	return s;
fail:
	mvm_err_wrap(err, "image store");
	store_free(s);
	return NULL;
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s->dir);
	free(s);
}

const char *store_dir(const struct store *s)
{
	return s->dir;
}

static void blob_rel(const struct digest *d, char out[128])
{
	snprintf(out, 128, "blobs/sha256/%s", digest_hex(d));
}

bool store_has_blob(struct store *s, const struct digest *d)
{
	char rel[128];
	blob_rel(d, rel);
	return faccessat(s->dir_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A fresh file in tmp/; its name in rel (relative to the store). */
static int tmp_file(struct store *s, char rel[64], mvm_error **err)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned r = (unsigned)random() ^ ((unsigned)getpid() << 16) ^ (unsigned)tries;
		snprintf(rel, 64, "tmp/blob-%d-%08x", (int)getpid(), r);
		int fd = openat(s->dir_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST) {
			if (fd < 0)
				mvm_err_sys(err, "create `%s/%s`", s->dir, rel);
			return fd;
		}
	}
	return mvm_err(err, MVM_ERR_IO, EEXIST, "create a file in `%s/tmp`", s->dir);
}

struct store_writer {
	struct store *s;
	char rel[96];
	int fd;
	struct digest_ctx *c;
	uint64_t size;
	bool partial; /* tmp/partial-HEX: kept by store_writer_suspend */
};

struct store_writer *store_writer_begin(struct store *s, mvm_error **err)
{
	struct store_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	w->s = s;
	w->fd = tmp_file(s, w->rel, err);
	w->c = w->fd >= 0 ? digest_begin(err) : NULL;
	if (w->c == NULL) {
		store_writer_abort(w);
		return NULL;
	}
	return w;
}

/* A download the last pull of d left off: tmp/partial-HEX, hashed again
 * from its start (its bytes were never verified) and continued at its end.
 * The flock keeps two pulls of one blob from writing one file; the loser
 * downloads into a private file instead. */
struct store_writer *store_writer_resume(struct store *s, const struct digest *d, uint64_t max,
					 mvm_error **err)
{
	struct store_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	w->s = s;
	snprintf(w->rel, sizeof(w->rel), "tmp/partial-%s", digest_hex(d));
	w->fd = openat(s->dir_fd, w->rel, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		mvm_err_sys(err, "open `%s/%s`", s->dir, w->rel);
		w->rel[0] = '\0';
		store_writer_abort(w);
		return NULL;
	}
	struct stat st;
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0 || fstat(w->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		w->rel[0] = '\0'; /* another pull's, or not ours to remove */
		store_writer_abort(w);
		return store_writer_begin(s, err);
	}
	w->partial = true;
	w->c = digest_begin(err);
	if (w->c == NULL) {
		store_writer_abort(w);
		return NULL;
	}
	/* More than the blob can hold is not a prefix of it. */
	if ((uint64_t)st.st_size > max && store_writer_restart(w, err) < 0) {
		store_writer_abort(w);
		return NULL;
	}
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mvm_err_sys(err, "read `%s/%s`", s->dir, w->rel);
			store_writer_abort(w);
			return NULL;
		}
		if (n == 0)
			break;
		if (digest_update(w->c, buf, (size_t)n, err) < 0) {
			store_writer_abort(w);
			return NULL;
		}
		w->size += (uint64_t)n;
	}
	return w;
}

uint64_t store_writer_size(const struct store_writer *w)
{
	return w->size;
}

int store_writer_restart(struct store_writer *w, mvm_error **err)
{
	digest_abort(w->c);
	w->c = NULL;
	w->size = 0;
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return mvm_err_sys(err, "truncate `%s/%s`", w->s->dir, w->rel);
	w->c = digest_begin(err);
	return w->c ? 0 : -1;
}

void store_writer_suspend(struct store_writer *w)
{
	if (w == NULL)
		return;
	/* Only a partial file outlives its writer, and only with bytes in it. */
	if (w->partial && w->size > 0)
		w->rel[0] = '\0';
	store_writer_abort(w);
}

int store_writer_write(struct store_writer *w, const void *buf, size_t len, mvm_error **err)
{
	if (digest_update(w->c, buf, len, err) < 0)
		return -1;
	for (size_t done = 0; done < len;) {
		ssize_t n = write(w->fd, (const char *)buf + done, len - done);
		if (n < 0)
			return mvm_err_sys(err, "write `%s/%s`", w->s->dir, w->rel);
		done += (size_t)n;
	}
	w->size += len;
	return 0;
}

int store_writer_commit(struct store_writer *w, const struct digest *want, struct digest *out,
			uint64_t *size, mvm_error **err)
{
	struct digest got;
	int rc = digest_end(w->c, &got, err);
	w->c = NULL;
	if (rc == 0 && fsync(w->fd) < 0)
		rc = mvm_err_sys(err, "fsync `%s/%s`", w->s->dir, w->rel);
	if (rc == 0 && want && strcmp(want->str, got.str) != 0)
		rc = mvm_err(err, MVM_ERR_INVALID, 0,
			     "blob %s: its content has digest %s; it is not kept", want->str,
			     got.str);
	char dest[128];
	blob_rel(&got, dest);
	if (rc == 0 && renameat(w->s->dir_fd, w->rel, w->s->dir_fd, dest) < 0)
		rc = mvm_err_sys(err, "rename into `%s/%s`", w->s->dir, dest);
	if (rc == 0) {
		w->rel[0] = '\0'; /* renamed: nothing to remove */
		if (out)
			*out = got;
		if (size)
			*size = w->size;
	}
	store_writer_abort(w);
	return rc;
}

void store_writer_abort(struct store_writer *w)
{
	if (w == NULL)
		return;
	digest_abort(w->c);
	/* Unlinked before close, while a partial file is still locked: no
	 * other pull can have opened the name meanwhile. */
	if (w->rel[0])
		unlinkat(w->s->dir_fd, w->rel, 0);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

/* read() or archive_read_data(): bytes into buf, 0 at the end, -errno. */
typedef ssize_t (*read_fn)(void *src, void *buf, size_t len);

static ssize_t read_from_fd(void *src, void *buf, size_t len)
{
	ssize_t n;
	do
		n = read(*(int *)src, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static ssize_t read_from_archive(void *src, void *buf, size_t len)
{
	la_ssize_t n = archive_read_data((struct archive *)src, buf, len);
	return n < 0 ? -EIO : (ssize_t)n;
}

/* Everything read_cb yields, through a store writer. */
static int put_from(struct store *s, read_fn read_cb, void *src, const struct digest *want,
		    struct digest *out, uint64_t *size, mvm_error **err)
{
	struct store_writer *w = store_writer_begin(s, err);
	cleanup_free char *buf = malloc(1 << 16);
	int rc = w ? 0 : -1;
	if (rc == 0 && buf == NULL)
		rc = mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	for (ssize_t n; rc == 0 && (n = read_cb(src, buf, 1 << 16)) != 0;) {
		if (n < 0)
			rc = mvm_err(err, MVM_ERR_IO, (int)-n, "read a blob");
		else
			rc = store_writer_write(w, buf, (size_t)n, err);
	}
	if (rc < 0) {
		store_writer_abort(w);
		return -1;
	}
	return store_writer_commit(w, want, out, size, err);
}

int store_put_blob_fd(struct store *s, int fd, const struct digest *want, struct digest *out,
		      uint64_t *size, mvm_error **err)
{
	return put_from(s, read_from_fd, &fd, want, out, size, err);
}

int store_put_blob_archive(struct store *s, struct archive *a, const struct digest *want,
			   struct digest *out, uint64_t *size, mvm_error **err)
{
	int rc = put_from(s, read_from_archive, a, want, out, size, err);
	if (rc < 0 && archive_error_string(a))
		mvm_err(err, MVM_ERR_INVALID, 0, "archive: %s", archive_error_string(a));
	return rc;
}

int store_put_blob_mem(struct store *s, const void *buf, size_t len, struct digest *out,
		       mvm_error **err)
{
	struct store_writer *w = store_writer_begin(s, err);
	if (w == NULL)
		return -1;
	if (store_writer_write(w, buf, len, err) < 0) {
		store_writer_abort(w);
		return -1;
	}
	return store_writer_commit(w, NULL, out, NULL, err);
}

int store_open_blob(struct store *s, const struct digest *d, mvm_error **err)
{
	char rel[128];
	blob_rel(d, rel);
	int fd = openat(s->dir_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return mvm_err_sys(err, "blob %s", d->str);
	return fd;
}

int store_read_blob(struct store *s, const struct digest *d, size_t max, char **buf, size_t *len,
		    mvm_error **err)
{
	cleanup_close int fd = store_open_blob(s, d, err);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return mvm_err_sys(err, "blob %s", d->str);
	if ((uint64_t)st.st_size > max)
		return mvm_err(err, MVM_ERR_INVALID, 0, "blob %s: %lld bytes, more than %zu", d->str,
			       (long long)st.st_size, max);
	char *b = malloc((size_t)st.st_size + 1);
	if (b == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(b);
			return mvm_err(err, MVM_ERR_IO, n < 0 ? errno : 0, "read blob %s", d->str);
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	/* Checked again: the file may have changed since it was stored. */
	struct digest again;
	if (digest_of(b, got, &again, err) < 0 || strcmp(again.str, d->str) != 0) {
		free(b);
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "blob %s in the store no longer matches its digest", d->str);
	}
	*buf = b;
	*len = got;
	return 0;
}

int store_layer(struct store *s, const struct digest *d, char **dir, bool *unpacked,
		mvm_error **err)
{
	char rel[128], tmp[128];
	snprintf(rel, sizeof(rel), "layers/sha256/%s", digest_hex(d));
	if (unpacked)
		*unpacked = false;
	if (faccessat(s->dir_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(tmp, sizeof(tmp), "tmp/layer-%.16s-%d-%08x", digest_hex(d), (int)getpid(),
			 (unsigned)random());
		if (mkdirat(s->dir_fd, tmp, 0700) < 0)
			return mvm_err_sys(err, "mkdir `%s/%s`", s->dir, tmp);
		cleanup_close int blob = store_open_blob(s, d, err);
		cleanup_close int dest =
			openat(s->dir_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int rc = blob < 0 ? -1 : 0;
		if (rc == 0 && dest < 0)
			rc = mvm_err_sys(err, "open `%s/%s`", s->dir, tmp);
		if (rc == 0)
			rc = layer_unpack_fd(blob, dest, NULL, err);
		/* Whole and on disk before it takes its name. */
		if (rc == 0 && syncfs(dest) < 0)
			rc = mvm_err_sys(err, "sync `%s`", s->dir);
		if (rc == 0 && renameat(s->dir_fd, tmp, s->dir_fd, rel) < 0) {
			/* Another mvm unpacked it meanwhile: theirs is as good. */
			if (errno != EEXIST && errno != ENOTEMPTY)
				rc = mvm_err_sys(err, "rename into `%s/%s`", s->dir, rel);
			fs_remove_tree(s->dir_fd, tmp);
		} else if (rc == 0 && unpacked) {
			*unpacked = true;
		}
		if (rc < 0) {
			fs_remove_tree(s->dir_fd, tmp);
			return mvm_err_wrap(err, "layer %s", d->str);
		}
	}
	if (dir) {
		char full[PATH_MAX];
		snprintf(full, sizeof(full), "%s/%s", s->dir, rel);
		*dir = strdup(full);
		if (*dir == NULL)
			return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	}
	return 0;
}

/* ---- images.json, under the lock ----------------------------------- */

static int lock_file(struct store *s, const char *name, int how, mvm_error **err)
{
	int fd = openat(s->dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return mvm_err_sys(err, "open `%s/%s`", s->dir, name);
	while (flock(fd, how) < 0) {
		if (errno != EINTR || (how & LOCK_NB)) {
			int e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				return -2; /* busy; no error recorded */
			return mvm_err(err, MVM_ERR_IO, e, "lock `%s/%s`", s->dir, name);
		}
	}
	return fd;
}

static int lock_store(struct store *s, int how, mvm_error **err)
{
	return lock_file(s, "lock", how, err);
}

int store_hold(struct store *s, mvm_error **err)
{
	return lock_file(s, "gc.lock", LOCK_SH, err);
}

static json_t *load_index(struct store *s, mvm_error **err)
{
	cleanup_close int fd = openat(s->dir_fd, "images.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return json_object();
		mvm_err_sys(err, "open `%s/images.json`", s->dir);
		return NULL;
	}
	json_error_t je;
	json_t *root = json_loadfd(fd, 0, &je);
	json_t *images = root ? json_object_get(root, "images") : NULL;
	if (!json_is_object(images)) {
		mvm_err(err, MVM_ERR_INVALID, 0, "`%s/images.json` is damaged: %s", s->dir,
			root ? "no \"images\" object" : je.text);
		json_decref(root);
		return NULL;
	}
	json_incref(images);
	json_decref(root);
	return images;
}

/* Writes images (a JSON object) as the new images.json, through a
 * temporary file and a rename. Takes the reference. */
static int save_index(struct store *s, json_t *images, mvm_error **err)
{
	json_t *root = json_pack("{s:o}", "images", images);
	int rc = root ? 0 : mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	char rel[64];
	int fd = rc == 0 ? tmp_file(s, rel, err) : -1;
	if (rc == 0 && fd < 0)
		rc = -1;
	if (rc == 0 && (json_dumpfd(root, fd, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ||
			write(fd, "\n", 1) != 1 || fsync(fd) < 0))
		rc = mvm_err_sys(err, "write `%s/%s`", s->dir, rel);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && renameat(s->dir_fd, rel, s->dir_fd, "images.json") < 0)
		rc = mvm_err_sys(err, "rename into `%s/images.json`", s->dir);
	if (rc < 0 && fd >= 0)
		unlinkat(s->dir_fd, rel, 0);
	json_decref(root);
	return rc;
}

/* Names manifest as name in images.json, or removes name (manifest NULL). */
static int change_index(struct store *s, const char *name, const struct digest *manifest,
			mvm_error **err)
{
	cleanup_close int lock = lock_store(s, LOCK_EX, err);
	if (lock < 0)
		return -1;
	json_t *images = load_index(s, err);
	if (images == NULL)
		return -1;
	if (manifest ? json_object_set_new(images, name, json_string(manifest->str)) < 0
		     : json_object_del(images, name) < 0) {
		json_decref(images);
		return manifest ? mvm_err(err, MVM_ERR_INVALID, 0,
					  "image name `%.80s` cannot be stored", name)
				: mvm_err(err, MVM_ERR_INVALID, 0, "no image `%s` in the store", name);
	}
	return save_index(s, images, err);
}

int store_tag(struct store *s, const char *name, const struct digest *manifest, mvm_error **err)
{
	return change_index(s, name, manifest, err);
}

int store_untag(struct store *s, const char *name, mvm_error **err)
{
	return change_index(s, name, NULL, err);
}

int store_each_image(struct store *s,
		     int (*fn)(void *ud, const char *name, const struct digest *manifest,
			       mvm_error **err),
		     void *ud, mvm_error **err)
{
	cleanup_close int lock = lock_store(s, LOCK_SH, err);
	if (lock < 0)
		return -1;
	json_t *images = load_index(s, err);
	if (images == NULL)
		return -1;
	const char *name;
	json_t *v;
	int rc = 0;
	json_object_foreach(images, name, v)
	{
		struct digest d;
		if (!json_is_string(v) || digest_parse(json_string_value(v), &d, err) < 0) {
			rc = mvm_err(err, MVM_ERR_INVALID, 0,
				     "`%s/images.json`: image `%s` has no valid manifest digest", s->dir,
				     name);
			break;
		}
		if ((rc = fn(ud, name, &d, err)) < 0)
			break;
	}
	json_decref(images);
	return rc;
}


/* ---- garbage collection -------------------------------------------- */

struct refs {
	struct store *s;
	struct digest *d;
	size_t n, cap;
};

static int add_ref(struct refs *r, const struct digest *d, mvm_error **err)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct digest *nd = realloc(r->d, cap * sizeof(*nd));
		if (nd == NULL)
			return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		r->d = nd;
		r->cap = cap;
	}
	r->d[r->n++] = *d;
	return 0;
}

static bool has_ref(const struct refs *r, const char *hex)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(digest_hex(&r->d[i]), hex) == 0)
			return true;
	return false;
}

/* The manifest of one name, its config and its layers are in use. */
static int collect(void *ud, const char *name, const struct digest *md, mvm_error **err)
{
	struct refs *r = ud;
	cleanup_free char *buf = NULL;
	size_t len;
	if (add_ref(r, md, err) < 0 || store_read_blob(r->s, md, 4u << 20, &buf, &len, err) < 0)
		return mvm_err_wrap(err, "image `%s`", name);
	json_t *m = json_loadb(buf, len, 0, NULL);
	int rc = 0;
	struct digest d;
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	if (cd == NULL || digest_parse(cd, &d, err) < 0 || add_ref(r, &d, err) < 0)
		rc = mvm_err(err, MVM_ERR_INVALID, 0, "image `%s`: manifest %s has no config", name,
			     md->str);
	size_t i;
	json_t *layer;
	json_array_foreach(json_object_get(m, "layers"), i, layer)
	{
		const char *ld = json_string_value(json_object_get(layer, "digest"));
		if (rc == 0 && (ld == NULL || digest_parse(ld, &d, err) < 0 || add_ref(r, &d, err) < 0))
			rc = mvm_err(err, MVM_ERR_INVALID, 0, "image `%s`: a layer without a digest",
				     name);
	}
	json_decref(m);
	return rc;
}

/* Removes each entry of dir (relative to the store) that r does not name,
 * or all of them; counts and sizes what went. */
static void sweep(struct store *s, const char *dir, const struct refs *r, bool all,
		  unsigned *count, uint64_t *bytes)
{
	int fd = openat(s->dir_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!all && has_ref(r, e->d_name))
			continue;
		uint64_t size = fs_disk_use(dirfd(d), e->d_name);
		if (fs_remove_tree(dirfd(d), e->d_name) == 0) {
			(*count)++;
			*bytes += size;
		}
	}
	closedir(d);
}

int store_gc(struct store *s, bool wait, struct store_gc_stats *st, mvm_error **err)
{
	struct store_gc_stats zero = {0};
	if (st)
		*st = zero;
	else
		st = &zero;
	cleanup_close int guard = lock_file(s, "gc.lock", LOCK_EX | (wait ? 0 : LOCK_NB), err);
	if (guard == -2)
		return 1;
	if (guard < 0)
		return -1;
	struct refs r = {.s = s};
	if (store_each_image(s, collect, &r, err) < 0) {
		free(r.d);
		return mvm_err_wrap(err, "nothing was removed");
	}
	/* No load runs now (each holds gc.lock shared), so all of tmp/ is
	 * what crashed or killed loads left. */
	sweep(s, "blobs/sha256", &r, false, &st->blobs, &st->bytes);
	sweep(s, "layers/sha256", &r, false, &st->layers, &st->bytes);
	sweep(s, "tmp", &r, true, &st->tmp, &st->bytes);
	/* Every image run holds gc.lock shared for as long as its VM lives,
	 * so what runs/ holds now was left by runs that crashed. */
	sweep(s, "runs", &r, true, &st->tmp, &st->bytes);
	free(r.d);
	return 0;
}
