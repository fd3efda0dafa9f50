/* SPDX-License-Identifier: Apache-2.0 */
/* The public image calls of mvm.h over the store and the loader. */
#include "image/load.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mvm_store {
	struct store *s;
};

mvm_store *mvm_store_open(const char *dir, mvm_error **err)
{
	mvm_store *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	m->s = store_open(dir, err);
	if (m->s == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void mvm_store_free(mvm_store *m)
{
	if (m == NULL)
		return;
	store_free(m->s);
	free(m);
}

const char *mvm_store_dir(const mvm_store *m)
{
	return store_dir(m->s);
}

int mvm_image_load(mvm_store *m, const char *path, const char *name, mvm_progress_fn progress,
		   void *userdata, char ***names, size_t *n_names, mvm_error **err)
{
	if (m == NULL || path == NULL || names == NULL || n_names == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_image_load: a required argument is NULL");
	struct image_load_opts o = {.name = name, .progress = progress, .ud = userdata};
	return image_load(m->s, path, &o, names, n_names, err);
}

struct listing {
	struct store *s;
	mvm_image_info *list;
	size_t n;
};

static json_t *read_json(struct store *s, const struct digest *d, mvm_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len;
	if (store_read_blob(s, d, 4u << 20, &buf, &len, err) < 0)
		return NULL;
	json_t *j = json_loadb(buf, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		mvm_err(err, MVM_ERR_INVALID, 0, "blob %s is not a JSON object", d->str);
	}
	return j;
}

static int list_one(void *ud, const char *name, const struct digest *md, mvm_error **err)
{
	struct listing *l = ud;
	mvm_image_info *grown = realloc(l->list, (l->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	l->list = grown;
	mvm_image_info *info = &l->list[l->n];
	memset(info, 0, sizeof(*info));
	if ((info->name = strdup(name)) == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	l->n++;
	snprintf(info->manifest, sizeof(info->manifest), "%s", md->str);
	json_t *m = read_json(l->s, md, err);
	if (m == NULL)
		return mvm_err_wrap(err, "image `%s`", name);
	struct digest cd;
	const char *cds = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	int rc = cds ? digest_parse(cds, &cd, err) : mvm_err(err, MVM_ERR_INVALID, 0, "no config");
	if (rc == 0) {
		snprintf(info->id, sizeof(info->id), "%s", cd.str);
		json_t *c = read_json(l->s, &cd, err);
		const char *created = json_string_value(json_object_get(c, "created"));
		if (created)
			snprintf(info->created, sizeof(info->created), "%s", created);
		if (c == NULL)
			rc = -1;
		json_decref(c);
	}
	size_t i;
	json_t *layer;
	json_array_foreach(json_object_get(m, "layers"), i, layer)
	{
		info->layers++;
		info->size += (uint64_t)json_integer_value(json_object_get(layer, "size"));
		struct digest ld;
		const char *lds = json_string_value(json_object_get(layer, "digest"));
		mvm_error *ignored = NULL;
		if (lds && digest_parse(lds, &ld, &ignored) == 0) {
			char rel[128];
			snprintf(rel, sizeof(rel), "%s/layers/sha256/%s", store_dir(l->s), digest_hex(&ld));
			info->disk += store_disk_use(AT_FDCWD, rel);
		}
		mvm_error_free(ignored);
	}
	json_decref(m);
	return rc < 0 ? mvm_err_wrap(err, "image `%s`", name) : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const mvm_image_info *)a)->name, ((const mvm_image_info *)b)->name);
}

int mvm_image_list(mvm_store *m, mvm_image_info **list, size_t *n, mvm_error **err)
{
	struct listing l = {.s = m->s};
	if (store_each_image(m->s, list_one, &l, err) < 0) {
		mvm_image_list_free(l.list, l.n);
		return -1;
	}
	if (l.n)
		qsort(l.list, l.n, sizeof(*l.list), by_name);
	*list = l.list;
	*n = l.n;
	return 0;
}

void mvm_image_list_free(mvm_image_info *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].name);
	free(list);
}
