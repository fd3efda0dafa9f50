/* SPDX-License-Identifier: Apache-2.0 */
/* The public image calls of mvm.h over the store and the loader. */
#include "image/load.h"
#include "image/ref.h"
#include "image/registries.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs_tree.h"

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

struct store *image_store_internal(mvm_store *m)
{
	return m->s;
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
			info->disk += fs_disk_use(AT_FDCWD, rel);
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

struct resolving {
	const char *ref;
	char **names; /* the full names ref may stand for, best first */
	size_t n_names;
	size_t rank;   /* of by_name: 0 for ref itself, i + 1 for names[i] */
	char *by_name; /* the best named image so far */
	bool id;       /* ref may be an ID prefix */
	char *by_id;   /* the first image whose ID begins with ref */
	unsigned id_matches;
	struct store *s;
};

static int match_one(void *ud, const char *name, const struct digest *md, mvm_error **err)
{
	struct resolving *r = ud;
	size_t rank = strcmp(name, r->ref) == 0 ? 0 : r->n_names + 1;
	for (size_t i = 0; rank > r->n_names && i < r->n_names; i++)
		if (strcmp(name, r->names[i]) == 0)
			rank = i + 1;
	if (rank < r->rank) {
		free(r->by_name);
		r->by_name = strdup(name);
		r->rank = rank;
		return r->by_name ? 0 : mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	}
	/* A name wins over any ID, so IDs need no more reading once one is found. */
	if (!r->id || r->by_name)
		return 0;
	json_t *m = read_json(r->s, md, err);
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	const char *hex = strncmp(r->ref, "sha256:", 7) == 0 ? r->ref + 7 : r->ref;
	bool hit = cd && strncmp(cd + 7, hex, strlen(hex)) == 0;
	json_decref(m);
	if (m == NULL)
		return -1;
	if (hit && r->id_matches++ == 0 && (r->by_id = strdup(name)) == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	return 0;
}

/* "a, b, c" for the message of a short name that matched nothing. */
static char *join_names(char **names, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 2;
	char *out = malloc(len);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ", ");
		strcat(out, names[i]);
	}
	return out;
}

static int resolve_in(mvm_store *m, struct resolving *r, mvm_error **err)
{
	const char *ref = r->ref;
	struct image_ref parsed;
	mvm_error *perr = NULL;
	bool is_name = image_ref_parse(ref, &parsed, &perr) == 0;
	mvm_error_free(perr);
	/* A broken registries.conf is reported rather than passed over. */
	if (is_name && image_ref_candidates(ref, &r->names, &r->n_names, err) < 0)
		return -1;
	if (is_name && !image_ref_is_qualified(ref)) {
		/* `mvm load --name app` stored docker.io/library/app:latest, as
		 * docker names it; the short name finds it whatever registries
		 * are searched, after them. */
		char norm[REF_MAX];
		image_ref_format(&parsed, norm);
		bool listed = false;
		for (size_t i = 0; i < r->n_names; i++)
			listed = listed || strcmp(r->names[i], norm) == 0;
		if (!listed) {
			char **grown = realloc(r->names, (r->n_names + 1) * sizeof(*grown));
			if (grown == NULL)
				return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
			r->names = grown;
			if ((grown[r->n_names] = strdup(norm)) == NULL)
				return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
			r->n_names++;
		}
	}
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	size_t hex_len = strlen(hex);
	r->id = hex_len >= 4 && hex_len <= 64 && strspn(hex, "0123456789abcdef") == hex_len;
	r->rank = r->n_names + 1;
	if (store_each_image(m->s, match_one, r, err) < 0)
		return -1;
	if (r->by_name == NULL && r->id_matches == 0) {
		if (r->n_names < 2)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "no image `%s` in the store (see `mvm images`)", ref);
		cleanup_free char *tried = join_names(r->names, r->n_names);
		if (tried == NULL)
			return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "no image `%s` in the store (tried %s; see `mvm images`)", ref,
			       tried);
	}
	if (r->by_name == NULL && r->id_matches > 1)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "`%s` names %u images; give a longer ID or a name", ref,
			       r->id_matches);
	return 0;
}

int mvm_image_resolve(mvm_store *m, const char *ref, char **full, mvm_error **err)
{
	if (m == NULL || ref == NULL || full == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_image_resolve: a required argument is NULL");
	struct resolving r = {.ref = ref, .s = m->s};
	int rc = resolve_in(m, &r, err);
	if (rc == 0)
		*full = r.by_name ? steal_pointer(&r.by_name) : steal_pointer(&r.by_id);
	free(r.by_name);
	free(r.by_id);
	image_ref_candidates_free(r.names, r.n_names);
	return rc;
}

char *mvm_image_inspect(mvm_store *m, const char *ref, mvm_error **err)
{
	cleanup_free char *name = NULL;
	if (mvm_image_resolve(m, ref, &name, err) < 0)
		return NULL;
	mvm_image_info *list = NULL;
	size_t n = 0;
	if (mvm_image_list(m, &list, &n, err) < 0)
		return NULL;
	char *out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) != 0)
			continue;
		struct digest md, cd;
		json_t *man = NULL, *config = NULL;
		if (digest_parse(list[i].manifest, &md, err) == 0 && digest_parse(list[i].id, &cd, err) == 0) {
			man = read_json(m->s, &md, err);
			config = man ? read_json(m->s, &cd, err) : NULL;
		}
		if (config == NULL) {
			json_decref(man);
			break;
		}
		json_t *layers = json_array();
		size_t k;
		json_t *layer;
		json_array_foreach(json_object_get(man, "layers"), k, layer)
		{
			const char *ld = json_string_value(json_object_get(layer, "digest"));
			char dir[4200] = "";
			struct digest d;
			mvm_error *ignored = NULL;
			if (ld && digest_parse(ld, &d, &ignored) == 0)
				snprintf(dir, sizeof(dir), "%s/layers/sha256/%s", store_dir(m->s), digest_hex(&d));
			mvm_error_free(ignored);
			json_array_append_new(layers, json_pack("{s:s?,s:O?,s:s?,s:s?,s:I}", "digest", ld,
								"size", json_object_get(layer, "size"),
								"mediaType",
								json_string_value(json_object_get(layer, "mediaType")),
								"dir", dir[0] ? dir : NULL, "disk",
								(json_int_t)(dir[0] ? fs_disk_use(AT_FDCWD, dir) : 0)));
		}
		json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "name", name, "id", list[i].id,
				      "manifest", list[i].manifest, "created", list[i].created,
				      "config", config, "layers", layers);
		out = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
		if (out == NULL)
			mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		json_decref(j);
		json_decref(man);
		break;
	}
	mvm_image_list_free(list, n);
	return out;
}

int mvm_image_remove(mvm_store *m, const char *ref, mvm_error **err)
{
	cleanup_free char *name = NULL;
	if (mvm_image_resolve(m, ref, &name, err) < 0 || store_untag(m->s, name, err) < 0)
		return -1;
	/* A load in progress holds the collector off; its blobs look unused
	 * until it names its image. Then prune collects later. */
	return store_gc(m->s, false, NULL, err) < 0 ? -1 : 0;
}

int mvm_image_prune(mvm_store *m, uint64_t *freed, mvm_error **err)
{
	struct store_gc_stats st;
	if (store_gc(m->s, true, &st, err) < 0)
		return -1;
	if (freed)
		*freed = st.bytes;
	return 0;
}

int mvm_image_pull(mvm_store *m, const char *ref, unsigned flags, mvm_progress_fn progress,
		   void *userdata, char **name, mvm_error **err)
{
	if (m == NULL || ref == NULL || name == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_image_pull: a required argument is NULL");
	if (flags & ~MVM_PULL_INSECURE)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_image_pull: unknown flags 0x%x", flags);
	mvm_pull_options o = {.flags = flags, .progress = progress, .userdata = userdata};
	return mvm_image_pull_with(m, ref, &o, name, err);
}

int mvm_image_pull_with(mvm_store *m, const char *ref, const mvm_pull_options *po, char **name,
			mvm_error **err)
{
	if (m == NULL || ref == NULL || name == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "mvm_image_pull_with: a required argument is NULL");
	mvm_pull_options none = {0};
	if (po == NULL)
		po = &none;
	if (po->flags & ~MVM_PULL_INSECURE)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_image_pull: unknown flags 0x%x", po->flags);
	struct image_load_opts o = {.progress = po->progress,
				    .ud = po->userdata,
				    .platform = po->platform,
				    .jobs = po->jobs,
				    .blob_progress = po->blob_progress};
	return image_pull(m->s, ref, !(po->flags & MVM_PULL_INSECURE), &o, name, err);
}
