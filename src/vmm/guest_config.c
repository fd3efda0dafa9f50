/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/guest_config.h"

#include "guest/protocol.h"
#include "vmm/guest_net.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_LEN 16u
#define RECORD_HEADER_LEN 8u
#define RLIMIT_PAYLOAD_LEN 24u
#define RLIMIT_RESOURCE_COUNT 16 /* RLIM_NLIMITS on Linux */

/* The blob grows in one malloc'ed buffer; total_len is a u32, so every
 * size is checked against UINT32_MAX before it is used. */
struct blob_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

static int buf_reserve(struct blob_buf *b, size_t extra, mvm_error **err)
{
	if (extra > UINT32_MAX || b->len > UINT32_MAX - extra)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "guest config: blob would exceed the 4 GiB limit of its u32 length");
	size_t need = b->len + extra;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "guest config: cannot grow blob to %zu bytes", cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Appends one record whose payload is the concatenation of up to two parts
 * (MOUNT needs "tag NUL path" without building a temporary string). */
static int put_record2(struct blob_buf *b, uint16_t type, const void *a, size_t alen, const void *c,
		       size_t clen, mvm_error **err)
{
	if (alen > UINT32_MAX || clen > UINT32_MAX - alen)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: record of type %u is too long", type);
	size_t payload = alen + clen;
	size_t padded = (payload + 3u) & ~(size_t)3u;
	if (padded < payload || padded > SIZE_MAX - RECORD_HEADER_LEN)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: record of type %u is too long", type);
	if (buf_reserve(b, RECORD_HEADER_LEN + padded, err) < 0)
		return -1;
	uint8_t *p = b->data + b->len;
	put_le16(p, type);
	put_le16(p + 2, 0);
	put_le32(p + 4, (uint32_t)payload);
	if (alen)
		memcpy(p + RECORD_HEADER_LEN, a, alen);
	if (clen)
		memcpy(p + RECORD_HEADER_LEN + alen, c, clen);
	memset(p + RECORD_HEADER_LEN + payload, 0, padded - payload);
	b->len += RECORD_HEADER_LEN + padded;
	return 0;
}

static int put_string(struct blob_buf *b, uint16_t type, const char *s, mvm_error **err)
{
	return put_record2(b, type, s, strlen(s), NULL, 0, err);
}

static int put_u32(struct blob_buf *b, uint16_t type, uint32_t v, mvm_error **err)
{
	uint8_t p[4];
	put_le32(p, v);
	return put_record2(b, type, p, sizeof(p), NULL, 0, err);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* Always present: the guest gets a virtio-net device whenever networking
 * is built in; mvm-init skips eth0 when the device is missing. */
static int put_net(struct blob_buf *b, const struct mvm_config *cfg, mvm_error **err)
{
	struct guest_net n;
	guest_net_addresses(cfg, &n);
	uint8_t p[16];
	put_be32(p, n.addr);
	put_le32(p + 4, n.prefix_len);
	put_be32(p + 8, n.gateway);
	put_be32(p + 12, n.dns);
	return put_record2(b, MVM_CFG_NET, p, sizeof(p), NULL, 0, err);
}

static int check_abs(const char *what, const char *path, mvm_error **err)
{
	if (path[0] != '/')
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: %s `%s` must be an absolute guest path",
			       what, path);
	return 0;
}

static int put_env_record(struct blob_buf *b, const mvm_env_pair *e, mvm_error **err)
{
	if (!e->key || !e->value)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: env entry without key or value");
	if (e->key[0] == '\0' || strchr(e->key, '='))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "guest config: env key `%s` must be non-empty and contain no `=`", e->key);
	size_t klen = strlen(e->key), vlen = strlen(e->value);
	if (klen > SIZE_MAX - 1 - vlen)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: env entry `%s` is too long", e->key);
	cleanup_free char *kv = malloc(klen + 1 + vlen);
	if (!kv)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "guest config: env entry `%s`", e->key);
	memcpy(kv, e->key, klen);
	kv[klen] = '=';
	memcpy(kv + klen + 1, e->value, vlen);
	return put_record2(b, MVM_CFG_ENV, kv, klen + 1 + vlen, NULL, 0, err);
}

static int put_rlimit(struct blob_buf *b, const mvm_rlimit *r, mvm_error **err)
{
	if (r->resource < 0 || r->resource >= RLIMIT_RESOURCE_COUNT)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: rlimit resource %d is not in 0..%d",
			       r->resource, RLIMIT_RESOURCE_COUNT - 1);
	if (r->soft > r->hard)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "guest config: rlimit %d soft limit %llu exceeds hard limit %llu", r->resource,
			       (unsigned long long)r->soft, (unsigned long long)r->hard);
	uint8_t p[RLIMIT_PAYLOAD_LEN];
	put_le32(p, (uint32_t)r->resource);
	put_le32(p + 4, 0);
	put_le64(p + 8, r->soft);
	put_le64(p + 16, r->hard);
	return put_record2(b, MVM_CFG_RLIMIT, p, sizeof(p), NULL, 0, err);
}

static int put_mount(struct blob_buf *b, const struct guest_mount *m, mvm_error **err)
{
	size_t tlen = strnlen(m->tag, sizeof(m->tag));
	if (tlen == 0 || tlen > GUEST_MOUNT_TAG_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: virtio-fs tag must be 1..%d bytes",
			       GUEST_MOUNT_TAG_MAX);
	if (!m->guest_path)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: mount `%s` has no guest path", m->tag);
	if (check_abs("mount point", m->guest_path, err) < 0)
		return -1;
	if (strcmp(m->guest_path, "/") == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "guest config: mount `%s` cannot be mounted at `/`, the root is `/`", m->tag);
	/* "tag NUL path": the NUL is part of the payload, as guest/protocol.h says. */
	char tag_nul[GUEST_MOUNT_TAG_MAX + 1];
	memcpy(tag_nul, m->tag, tlen);
	tag_nul[tlen] = '\0';
	return put_record2(b, MVM_CFG_MOUNT, tag_nul, tlen + 1, m->guest_path, strlen(m->guest_path), err);
}

/* u32 a; u32 b; path NUL; data: the FILE and TMPFS records. */
static int put_path_record(struct blob_buf *b, uint16_t type, uint32_t x, uint32_t y,
			   const char *path, const void *data, size_t len, mvm_error **err)
{
	size_t plen = strlen(path) + 1;
	uint8_t *head = malloc(8 + plen);
	if (head == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "guest config: %s", path);
	put_le32(head, x);
	put_le32(head + 4, y);
	memcpy(head + 8, path, plen);
	int rc = put_record2(b, type, head, 8 + plen, data, len, err);
	free(head);
	return rc;
}

/* The program's records: what a VM's program and an exec'd one share. */
static int put_program(struct blob_buf *b, const struct mvm_config *cfg, mvm_error **err)
{
	if (cfg->exec_path) {
		/* A bare name is looked up in PATH by mvm-init. */
		if ((strchr(cfg->exec_path, '/') != NULL || cfg->exec_path[0] == '\0') &&
		    check_abs("exec path", cfg->exec_path, err) < 0)
			return -1;
		if (put_string(b, MVM_CFG_EXEC, cfg->exec_path, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->n_args; i++) {
		if (!cfg->args[i])
			return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: argument %zu is NULL", i + 1);
		if (put_string(b, MVM_CFG_ARG, cfg->args[i], err) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->n_env; i++)
		if (put_env_record(b, &cfg->env[i], err) < 0)
			return -1;
	if (cfg->workdir_path) {
		if (check_abs("workdir", cfg->workdir_path, err) < 0 ||
		    put_string(b, MVM_CFG_WORKDIR, cfg->workdir_path, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->n_rlimits; i++)
		if (put_rlimit(b, &cfg->rlimits[i], err) < 0)
			return -1;
	if (cfg->has_ids) {
		uint8_t p[8];
		put_le32(p, cfg->uid);
		put_le32(p + 4, cfg->gid);
		if (put_record2(b, MVM_CFG_USER, p, sizeof(p), NULL, 0, err) < 0)
			return -1;
	} else if (cfg->user) {
		/* Not resolved on the host (an exec): the guest's files decide. */
		if (put_string(b, MVM_CFG_USER_NAME, cfg->user, err) < 0)
			return -1;
	}
	if (cfg->n_groups) {
		uint8_t p[4 * MVM_MAX_GROUPS];
		if (cfg->n_groups > MVM_MAX_GROUPS)
			return mvm_err(err, MVM_ERR_INVALID, 0, "guest config: %zu groups",
				       cfg->n_groups);
		for (size_t i = 0; i < cfg->n_groups; i++)
			put_le32(p + 4 * i, cfg->groups[i]);
		if (put_record2(b, MVM_CFG_GROUPS, p, 4 * cfg->n_groups, NULL, 0, err) < 0)
			return -1;
	}
	if (cfg->hostname && put_string(b, MVM_CFG_HOSTNAME, cfg->hostname, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_sysctls; i++)
		if (put_string(b, MVM_CFG_SYSCTL, cfg->sysctls[i], err) < 0)
			return -1;
	for (size_t i = 0; i < cfg->n_files; i++) {
		const struct config_file *f = &cfg->files[i];
		if (put_path_record(b, MVM_CFG_FILE, f->mode, f->readonly ? MVM_FILE_READONLY : 0,
				    f->path, f->data, f->len, err) < 0)
			return -1;
	}
	if (cfg->tty) {
		uint8_t p[4] = {(uint8_t)cfg->tty_rows, (uint8_t)(cfg->tty_rows >> 8),
				(uint8_t)cfg->tty_cols, (uint8_t)(cfg->tty_cols >> 8)};
		if (put_record2(b, MVM_CFG_TTY, p, sizeof(p), NULL, 0, err) < 0)
			return -1;
	}
	return 0;
}

static int put_all(struct blob_buf *b, const struct mvm_config *cfg, const struct guest_mount *mounts,
		   size_t n_mounts, mvm_error **err)
{
	if (put_program(b, cfg, err) < 0)
		return -1;
	for (size_t i = 0; i < n_mounts; i++)
		if (put_mount(b, &mounts[i], err) < 0)
			return -1;
	if (put_net(b, cfg, err) < 0)
		return -1;
	if (cfg->image.ref != NULL) {
		if (cfg->image.n_layers < 1 || cfg->image.n_layers > MVM_MAX_LAYERS)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "guest config: %zu layers, mvm-init takes 1..%d",
				       cfg->image.n_layers, MVM_MAX_LAYERS);
		uint8_t p[8];
		put_le32(p, (uint32_t)cfg->image.n_layers);
		put_le32(p + 4, cfg->image.tmpfs_upper ? MVM_LAYERS_TMPFS_UPPER : 0);
		if (put_record2(b, MVM_CFG_LAYERS, p, sizeof(p), NULL, 0, err) < 0)
			return -1;
	}
	if (cfg->publish_listening && put_u32(b, MVM_CFG_PUBLISH, 0, err) < 0)
		return -1;
	if (cfg->hold && put_u32(b, MVM_CFG_HOLD, 0, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_read_only; i++)
		if (put_string(b, MVM_CFG_READONLY, cfg->read_only[i], err) < 0)
			return -1;
	for (size_t i = 0; i < cfg->n_tmpfs; i++) {
		const struct config_tmpfs *t = &cfg->tmpfs[i];
		if (put_path_record(b, MVM_CFG_TMPFS, t->flags, 0, t->path, t->data, strlen(t->data),
				    err) < 0)
			return -1;
	}
	return put_u32(b, MVM_CFG_LOGLEVEL, (uint32_t)cfg->log.level, err);
}

static int build(const struct mvm_config *cfg, const struct guest_mount *mounts, size_t n_mounts,
		 bool program_only, void **blob, size_t *len, mvm_error **err)
{
	struct blob_buf b = {0};
	if (buf_reserve(&b, HEADER_LEN, err) < 0)
		return -1;
	b.len = HEADER_LEN;
	if ((program_only ? put_program(&b, cfg, err) : put_all(&b, cfg, mounts, n_mounts, err)) < 0) {
		free(b.data);
		return -1;
	}
	memcpy(b.data, MVM_CFG_MAGIC, 8);
	put_le32(b.data + 8, MVM_CFG_VERSION);
	put_le32(b.data + 12, (uint32_t)b.len); /* buf_reserve kept len <= UINT32_MAX */
	*blob = b.data;
	*len = b.len;
	return 0;
}

int guest_config_build(const struct mvm_config *cfg, const struct guest_mount *mounts, size_t n_mounts,
		       void **blob, size_t *len, mvm_error **err)
{
	return build(cfg, mounts, n_mounts, false, blob, len, err);
}

int guest_config_build_program(const struct mvm_config *cfg, void **blob, size_t *len,
			       mvm_error **err)
{
	return build(cfg, NULL, 0, true, blob, len, err);
}

void guest_mount_tag(size_t index, char tag[GUEST_MOUNT_TAG_MAX + 1])
{
	snprintf(tag, GUEST_MOUNT_TAG_MAX + 1, "mvmfs%zu", index);
}

int guest_mounts_from_config(const struct mvm_config *cfg, struct guest_mount **mounts, size_t *n_mounts,
			     mvm_error **err)
{
	*mounts = NULL;
	*n_mounts = 0;
	if (cfg->n_mapped_dirs == 0)
		return 0;
	struct guest_mount *m = calloc(cfg->n_mapped_dirs, sizeof(*m));
	if (!m)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "guest config: %zu mounts", cfg->n_mapped_dirs);
	for (size_t i = 0; i < cfg->n_mapped_dirs; i++) {
		guest_mount_tag(i, m[i].tag);
		m[i].guest_path = cfg->mapped_dirs[i].guest;
	}
	*mounts = m;
	*n_mounts = cfg->n_mapped_dirs;
	return 0;
}
