/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/run_layer.h"

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs_tree.h"
#include "util/override_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int make_dir(const char *path, bool may_exist, mvm_error **err)
{
	if (mkdir(path, 0700) == 0 || (may_exist && errno == EEXIST))
		return 0;
	return mvm_err_sys(err, "mkdir `%s`", path);
}

static char *join(const char *a, const char *b, mvm_error **err)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", a, b) < 0) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	return p;
}

/* Overlayfs shows a merged directory with the upper one's attributes, and
 * the upper root always exists: give it the image's root, as the topmost
 * layer that says anything about its root has it (root 0755 if none). A
 * kept upper dir keeps what the guest made of it. */
static int set_root_view(const struct mvm_config *c, const char *upper, mvm_error **err)
{
	char buf[OVERRIDE_STAT_MAX];
	ssize_t n = -1;
	if (getxattr(upper, OVERRIDE_STAT_XATTR, buf, sizeof(buf)) > 0)
		return 0;
	for (size_t i = c->image.n_layers; i-- > 0 && n <= 0;)
		n = getxattr(c->image.layers[i], OVERRIDE_STAT_XATTR, buf, sizeof(buf));
	struct override_stat o = {.uid = 0, .gid = 0, .mode = S_IFDIR | 0755, .has_type = true};
	if (n > 0 && override_stat_parse(buf, (size_t)n, &o) == 0)
		o.mode = S_IFDIR | (o.mode & 07777), o.has_type = true;
	size_t len = override_stat_format(&o, buf);
	if (setxattr(upper, OVERRIDE_STAT_XATTR, buf, len, 0) < 0)
		return mvm_err_sys(err, "set the root's owner on `%s` (the writable layer needs "
					"a file system with user xattrs)",
				   upper);
	return 0;
}

int run_layer_create(const struct mvm_config *c, struct run_layer *r, mvm_error **err)
{
	*r = (struct run_layer){0};
	cleanup_free char *upper = NULL, *work = NULL;
	cleanup_free char *runs = join(c->image.store_dir, "runs", err);
	if (runs == NULL || make_dir(runs, true, err) < 0)
		return -1;
	if ((r->dir = join(runs, "XXXXXX", err)) == NULL)
		return -1;
	if (mkdtemp(r->dir) == NULL) {
		mvm_err_sys(err, "make a run directory in `%s`", runs);
		free(r->dir);
		r->dir = NULL;
		return -1;
	}
	if ((r->layers_root = join(r->dir, "layers", err)) == NULL ||
	    make_dir(r->layers_root, false, err) < 0)
		goto fail;
	/* Entries a listing of the share's root shows; lookups of these names
	 * reach the grafted layers instead. */
	for (size_t i = 0; i < c->image.n_layers; i++) {
		char name[24];
		snprintf(name, sizeof(name), "%zu", i);
		cleanup_free char *p = join(r->layers_root, name, err);
		if (p == NULL || make_dir(p, false, err) < 0)
			goto fail;
	}
	if (c->image.tmpfs_upper)
		return 0; /* the writable layer lives in the guest */
	bool kept = c->image.upper != NULL;
	r->rw = kept ? strdup(c->image.upper) : join(r->dir, "rw", err);
	if (r->rw == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}
	upper = join(r->rw, "upper", err);
	work = join(r->rw, "work", err);
	if (upper == NULL || work == NULL || make_dir(r->rw, kept, err) < 0 ||
	    make_dir(upper, kept, err) < 0 || make_dir(work, kept, err) < 0 ||
	    set_root_view(c, upper, err) < 0)
		goto fail;
	return 0;
fail:
	run_layer_remove(r);
	return -1;
}

void run_layer_remove(struct run_layer *r)
{
	if (r->dir != NULL)
		fs_remove_tree(AT_FDCWD, r->dir);
	free(r->dir);
	free(r->layers_root);
	free(r->rw);
	*r = (struct run_layer){0};
}
