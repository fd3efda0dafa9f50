/* SPDX-License-Identifier: Apache-2.0 */
#include "image/image_run.h"

#include "guest/protocol.h"
#include "image/digest.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/override_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

/* How layer_unpack.c stores an opaque directory (as the guest's
 * trusted.overlay.opaque, under our prefix). */
#define OPAQUE_HOST_XATTR OVERRIDE_GUEST_XATTR_PREFIX "trusted.overlay.opaque"
#define CONFIG_MAX (4u << 20)

static json_t *read_json(struct store *s, const char *digest_str, mvm_error **err)
{
	struct digest d;
	if (digest_str == NULL || digest_parse(digest_str, &d, err) < 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "image: a digest is missing or malformed"),
		       NULL;
	cleanup_free char *buf = NULL;
	size_t len;
	if (store_read_blob(s, &d, CONFIG_MAX, &buf, &len, err) < 0)
		return NULL;
	json_t *j = json_loadb(buf, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		mvm_err(err, MVM_ERR_INVALID, 0, "blob %s is not a JSON object", d.str);
		return NULL;
	}
	return j;
}

struct finding {
	const char *name;
	char digest[80];
	bool found;
};

static int find_name(void *ud, const char *name, const struct digest *md, mvm_error **err)
{
	(void)err;
	struct finding *f = ud;
	if (strcmp(name, f->name) == 0) {
		snprintf(f->digest, sizeof(f->digest), "%s", md->str);
		f->found = true;
	}
	return 0;
}

/* A JSON array of strings as a new vector; NULL array: none. */
static int string_vector(json_t *a, const char *what, char ***out, size_t *n, mvm_error **err)
{
	*out = NULL;
	*n = 0;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return mvm_err(err, MVM_ERR_INVALID, 0, "image config: %s is not an array", what);
	size_t count = json_array_size(a);
	char **v = calloc(count + 1, sizeof(*v));
	if (v == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (s == NULL || (v[i] = strdup(s)) == NULL) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return s == NULL ? mvm_err(err, MVM_ERR_INVALID, 0,
						   "image config: %s[%zu] is not a string", what, i)
					 : mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
		}
	}
	*out = v;
	*n = count;
	return 0;
}

static void free_vector(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Layer dirs of the manifest, bottom first; a layer that comes again
 * higher up is kept only there: applying it twice gives what applying it
 * the second time alone gives, and overlayfs wants each lower dir once. */
static int collect_layers(struct store *s, json_t *manifest, struct config_image *im,
			  mvm_error **err)
{
	json_t *layers = json_object_get(manifest, "layers");
	if (!json_is_array(layers))
		return mvm_err(err, MVM_ERR_INVALID, 0, "image `%s`: its manifest lists no layers",
			       im->name);
	size_t count = json_array_size(layers);
	im->layers = calloc(count ? count : 1, sizeof(char *));
	if (im->layers == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const char *ds = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
		struct digest d;
		if (ds == NULL || digest_parse(ds, &d, err) < 0)
			return mvm_err(err, MVM_ERR_INVALID, 0, "image `%s`: layer %zu has no digest",
				       im->name, i);
		bool again = false;
		for (size_t j = i + 1; j < count && !again; j++) {
			const char *other =
			    json_string_value(json_object_get(json_array_get(layers, j), "digest"));
			again = other && strcmp(other, ds) == 0;
		}
		if (again)
			continue;
		char *dir = NULL;
		if (store_layer(s, &d, &dir, NULL, err) < 0)
			return -1;
		im->layers[im->n_layers++] = dir;
	}
	return 0;
}

static const char *env_value_sep(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq && eq != kv ? eq : NULL;
}

/* Env: the image's entries first, each unless the caller set its key;
 * then the caller's in their order. */
static int merge_env(struct mvm_config *c, char **img, size_t n_img, mvm_error **err)
{
	if (n_img == 0)
		return 0;
	mvm_env_pair *all = calloc(n_img + c->n_env, sizeof(*all));
	if (all == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < n_img; i++) {
		const char *eq = env_value_sep(img[i]);
		if (eq == NULL)
			continue; /* docker keeps "KEY" alone out as well */
		size_t klen = (size_t)(eq - img[i]);
		bool overridden = false;
		for (size_t j = 0; j < c->n_env && !overridden; j++)
			overridden = strlen(c->env[j].key) == klen &&
				     memcmp(c->env[j].key, img[i], klen) == 0;
		for (size_t j = 0; j < n && !overridden; j++)
			if (strlen(all[j].key) == klen && memcmp(all[j].key, img[i], klen) == 0) {
				/* A key twice in the image: the last wins. */
				free(all[j].value);
				all[j].value = strdup(eq + 1);
				overridden = true;
				if (all[j].value == NULL)
					goto nomem;
			}
		if (overridden)
			continue;
		all[n].key = strndup(img[i], klen);
		all[n].value = strdup(eq + 1);
		n++;
		if (all[n - 1].key == NULL || all[n - 1].value == NULL)
			goto nomem;
	}
	for (size_t j = 0; j < c->n_env; j++)
		all[n++] = c->env[j];
	free(c->env);
	c->env = all;
	c->n_env = n;
	return 0;
nomem:
	for (size_t j = 0; j < n; j++)
		mvm_env_pair_clear(&all[j]);
	free(all);
	return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
}

/* Entrypoint and Cmd as docker joins them: ENTRYPOINT ++ (CMD given ?
 * CMD : entrypoint replaced ? nothing : image Cmd). */
static int merge_program(struct mvm_config *c, char **ep, size_t n_ep, char **cmd, size_t n_cmd,
			 mvm_error **err)
{
	struct config_image *im = &c->image;
	char **use_ep = im->has_entrypoint ? im->entrypoint : ep;
	size_t n_use_ep = im->has_entrypoint ? im->n_entrypoint : n_ep;
	size_t n_tail = c->exec_path ? 1 + c->n_args : im->has_entrypoint ? 0 : n_cmd;
	size_t total = n_use_ep + n_tail;
	if (total == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "it sets no command (Entrypoint and Cmd are empty): give one");
	char **argv = calloc(total, sizeof(*argv));
	if (argv == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
	size_t k = 0;
	bool ok = true;
	for (size_t i = 0; i < n_use_ep && ok; i++)
		ok = (argv[k++] = strdup(use_ep[i])) != NULL;
	if (c->exec_path) {
		ok = ok && (argv[k++] = strdup(c->exec_path)) != NULL;
		for (size_t i = 0; i < c->n_args && ok; i++)
			ok = (argv[k++] = strdup(c->args[i])) != NULL;
	} else if (!im->has_entrypoint) {
		for (size_t i = 0; i < n_cmd && ok; i++)
			ok = (argv[k++] = strdup(cmd[i])) != NULL;
	}
	if (!ok) {
		free_vector(argv, k);
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
	}
	free(c->exec_path);
	free_vector(c->args, c->n_args);
	c->exec_path = argv[0];
	c->n_args = total - 1;
	c->args = NULL;
	if (c->n_args) {
		c->args = calloc(c->n_args, sizeof(char *));
		if (c->args == NULL) {
			c->n_args = 0;
			for (size_t i = 1; i < total; i++)
				free(argv[i]);
			free(argv);
			return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
		}
		memcpy(c->args, argv + 1, c->n_args * sizeof(char *));
	}
	free(argv);
	return 0;
}

static int set_if_unset(char **slot, json_t *value, mvm_error **err)
{
	const char *v = json_string_value(value);
	if (*slot != NULL || v == NULL || v[0] == '\0')
		return 0;
	*slot = strdup(v);
	return *slot ? 0 : mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
}

static int apply_config(struct mvm_config *c, json_t *config, mvm_error **err)
{
	json_t *cc = json_object_get(config, "config"); /* null for a bare image */
	char **ep = NULL, **cmd = NULL, **env = NULL;
	size_t n_ep = 0, n_cmd = 0, n_env = 0;
	int rc = -1;
	if (string_vector(json_object_get(cc, "Entrypoint"), "Entrypoint", &ep, &n_ep, err) == 0 &&
	    string_vector(json_object_get(cc, "Cmd"), "Cmd", &cmd, &n_cmd, err) == 0 &&
	    string_vector(json_object_get(cc, "Env"), "Env", &env, &n_env, err) == 0 &&
	    merge_program(c, ep, n_ep, cmd, n_cmd, err) == 0 && merge_env(c, env, n_env, err) == 0 &&
	    set_if_unset(&c->workdir_path, json_object_get(cc, "WorkingDir"), err) == 0 &&
	    set_if_unset(&c->user, json_object_get(cc, "User"), err) == 0)
		rc = 0;
	free_vector(ep, n_ep);
	free_vector(cmd, n_cmd);
	free_vector(env, n_env);
	return rc;
}

int image_run_apply(struct mvm_config *c, mvm_error **err)
{
	struct config_image *im = &c->image;
	mvm_store *m = mvm_store_open(im->store, err);
	if (m == NULL)
		return -1;
	int rc = -1;
	json_t *manifest = NULL, *config = NULL;
	struct store *s = image_store_internal(m);
	/* Held before the name is resolved, so that no `mvm rmi` can take the
	 * layers away between here and the end of the VM. */
	im->hold_fd = store_hold(s, err);
	if (im->hold_fd < 0 || mvm_image_resolve(m, im->ref, &im->name, err) < 0)
		goto out;
	struct finding f = {.name = im->name};
	if (store_each_image(s, find_name, &f, err) < 0)
		goto out;
	if (!f.found) {
		mvm_err(err, MVM_ERR_INVALID, 0, "image `%s` was removed meanwhile", im->name);
		goto out;
	}
	manifest = read_json(s, f.digest, err);
	config = manifest ? read_json(s, json_string_value(json_object_get(
						json_object_get(manifest, "config"), "digest")),
				      err)
			  : NULL;
	if (config == NULL)
		goto out;
	if ((im->store_dir = strdup(store_dir(s))) == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
		goto out;
	}
	if (collect_layers(s, manifest, im, err) < 0 || apply_config(c, config, err) < 0)
		goto out;
	if (im->n_layers == 0 || im->n_layers > MVM_MAX_LAYERS) {
		mvm_err(err, MVM_ERR_UNSUPPORTED, 0, "image `%s` has %zu layers; mvm runs 1..%d",
			im->name, im->n_layers, MVM_MAX_LAYERS);
		goto out;
	}
	rc = 0;
out:
	json_decref(manifest);
	json_decref(config);
	mvm_store_free(m);
	return rc < 0 ? mvm_err_wrap(err, "image `%s`", im->ref) : 0;
}

/* ---- Files of the merged root ---------------------------------------- */

static int open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* The guest's type of fd in a virtual-ownership tree: the override's
 * type when it has one, else the host's. */
static mode_t guest_type(int fd, mode_t host_mode, dev_t *rdev)
{
	char buf[OVERRIDE_STAT_MAX + 1];
	char path[40];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = getxattr(path, OVERRIDE_STAT_XATTR, buf, sizeof(buf) - 1);
	struct override_stat o;
	*rdev = 0;
	if (n > 0 && override_stat_parse(buf, (size_t)n, &o) == 0 && o.has_type) {
		*rdev = o.rdev;
		return o.mode & S_IFMT;
	}
	return host_mode & S_IFMT;
}

static bool is_opaque(int dirfd, const char *dir)
{
	cleanup_close int fd = open_beneath(dirfd, dir[0] ? dir : ".", O_PATH | O_DIRECTORY);
	if (fd < 0)
		return false;
	char path[40], v[4];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = getxattr(path, OPAQUE_HOST_XATTR, v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* 0: read; 1: this layer hides it (stop); 2: not in this layer (go on). */
static int read_in_layer(const char *dir, const char *rel, size_t max, char **buf, size_t *len,
			 mvm_error **err)
{
	cleanup_close int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return mvm_err_sys(err, "open `%s`", dir);
	cleanup_close int fd = open_beneath(root, rel, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
			return 1; /* a symlink or a whiteout where a directory was */
		if (errno != ENOENT)
			return mvm_err_sys(err, "open `%s/%s`", dir, rel);
		/* An opaque parent hides the layers below. */
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", rel);
		for (char *slash = strrchr(parent, '/'); slash; slash = strrchr(parent, '/')) {
			*slash = '\0';
			if (is_opaque(root, parent))
				return 1;
		}
		return 2;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return mvm_err_sys(err, "stat `%s/%s`", dir, rel);
	dev_t rdev;
	if (!S_ISREG(st.st_mode) || guest_type(fd, st.st_mode, &rdev) != S_IFREG)
		return 1; /* a whiteout, a symlink or a device: no regular file */
	if ((uint64_t)st.st_size > max)
		return mvm_err(err, MVM_ERR_INVALID, EFBIG, "`%s/%s` is larger than %zu bytes", dir,
			       rel, max);
	char *b = malloc((size_t)st.st_size + 1);
	if (b == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

int image_root_read(const char *const *dirs, size_t n, const char *rel, size_t max, char **buf,
		    size_t *len, mvm_error **err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = read_in_layer(dirs[i], rel, max, buf, len, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		if (rc == 1)
			return 1;
	}
	return 1;
}
