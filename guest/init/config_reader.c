/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/config_reader.h"

#include "guest/protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_LEN 16u
#define RECORD_HEADER_LEN 8u
#define MOUNT_TAG_MAX 36u /* virtio-fs spec 5.11.4 */

struct record {
	uint16_t type;
	const uint8_t *payload;
	uint32_t len;
	size_t offset; /* of the record header, for messages */
	size_t index;
};

struct cursor {
	const uint8_t *blob;
	size_t total;
	size_t offset;
	size_t index;
};

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

__attribute__((format(printf, 3, 4))) static int fail(char *errbuf, size_t errbuf_len, const char *fmt, ...)
{
	if (errbuf && errbuf_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, errbuf_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define fail_record(r, eb, el, fmt, ...)                                                                   \
	fail((eb), (el), "config record %zu (type %u at offset %zu): " fmt, (r)->index, (r)->type, (r)->offset, \
	     ##__VA_ARGS__)

/* Returns 1 with the next record, 0 at the end, -1 on a malformed record.
 * All arithmetic stays below `total`, which is at most the caller's len,
 * so nothing can wrap. */
static int next_record(struct cursor *c, struct record *r, char *errbuf, size_t errbuf_len)
{
	if (c->offset == c->total)
		return 0;
	size_t left = c->total - c->offset;
	if (left < RECORD_HEADER_LEN)
		return fail(errbuf, errbuf_len, "config: %zu stray bytes at offset %zu, a record header needs %u",
			    left, c->offset, RECORD_HEADER_LEN);
	const uint8_t *h = c->blob + c->offset;
	r->type = get_le16(h);
	r->len = get_le32(h + 4);
	r->offset = c->offset;
	r->index = c->index;
	left -= RECORD_HEADER_LEN;
	if (r->len > left)
		return fail_record(r, errbuf, errbuf_len, "length %u runs past the end of the blob (%zu bytes left)",
				   r->len, left);
	size_t padded = (size_t)r->len + ((4u - (r->len & 3u)) & 3u);
	if (padded > left)
		return fail_record(r, errbuf, errbuf_len, "padding to 4 bytes runs past the end of the blob");
	r->payload = h + RECORD_HEADER_LEN;
	c->offset += RECORD_HEADER_LEN + padded;
	c->index++;
	return 1;
}

static char *dup_bytes(const uint8_t *p, size_t len)
{
	char *s = malloc(len + 1);
	if (s) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

static int check_string(const struct record *r, const char *what, bool absolute, char *errbuf,
			size_t errbuf_len)
{
	if (memchr(r->payload, '\0', r->len))
		return fail_record(r, errbuf, errbuf_len, "%s contains a NUL byte", what);
	if (absolute && (r->len == 0 || r->payload[0] != '/'))
		return fail_record(r, errbuf, errbuf_len, "%s must be an absolute path", what);
	return 0;
}

static int check_env(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (check_string(r, "env entry", false, errbuf, errbuf_len) < 0)
		return -1;
	const uint8_t *eq = memchr(r->payload, '=', r->len);
	if (!eq || eq == r->payload)
		return fail_record(r, errbuf, errbuf_len, "env entry must be KEY=VALUE with a non-empty key");
	return 0;
}

static int check_rlimit(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (r->len != 24)
		return fail_record(r, errbuf, errbuf_len, "rlimit payload must be 24 bytes, not %u", r->len);
	uint32_t res = get_le32(r->payload);
	if (res >= INIT_RLIMIT_COUNT)
		return fail_record(r, errbuf, errbuf_len, "rlimit resource %u is not below %d", res,
				   INIT_RLIMIT_COUNT);
	if (get_le64(r->payload + 8) > get_le64(r->payload + 16))
		return fail_record(r, errbuf, errbuf_len, "rlimit %u soft limit exceeds its hard limit", res);
	return 0;
}

static int check_hostname(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (r->len == 0 || r->len > MVM_HOSTNAME_MAX)
		return fail_record(r, errbuf, errbuf_len, "host name of %u bytes (1 to %u)",
				   (unsigned)r->len, MVM_HOSTNAME_MAX);
	for (uint32_t i = 0; i < r->len; i++) {
		uint8_t ch = r->payload[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '.'))
			return fail_record(r, errbuf, errbuf_len, "host name byte %u is not [A-Za-z0-9.-]",
					   i);
	}
	return 0;
}

/* KEY=VALUE, KEY segments of [A-Za-z0-9_-] joined by `.` or `/`: no way
 * out of /proc/sys. */
static int check_sysctl(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (memchr(r->payload, '\0', r->len) || memchr(r->payload, '\n', r->len))
		return fail_record(r, errbuf, errbuf_len, "sysctl holds a NUL or a newline");
	const uint8_t *eq = memchr(r->payload, '=', r->len);
	if (eq == NULL || eq == r->payload)
		return fail_record(r, errbuf, errbuf_len, "sysctl must be KEY=VALUE");
	bool segment_empty = true;
	for (const uint8_t *p = r->payload; p < eq; p++) {
		bool sep = *p == '.' || *p == '/';
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
		if ((sep && segment_empty) || (!sep && !ok))
			return fail_record(r, errbuf, errbuf_len, "sysctl key is not a /proc/sys name");
		segment_empty = sep;
	}
	if (segment_empty)
		return fail_record(r, errbuf, errbuf_len, "sysctl key is not a /proc/sys name");
	return 0;
}

/* The path at payload + 8 of a FILE or TMPFS record: absolute, not /,
 * without a `..` component (it lands under the new root), ending in NUL.
 * Returns its NUL, or NULL (reported). */
static const uint8_t *check_root_path(const struct record *r, const char *what, char *errbuf,
				      size_t errbuf_len)
{
	const uint8_t *path = r->payload + 8;
	const uint8_t *nul = memchr(path, '\0', r->len - 8);
	if (nul == NULL || nul == path || path[0] != '/' || nul - path < 2) {
		fail_record(r, errbuf, errbuf_len, "%s path must be absolute, not /, and end in NUL",
			    what);
		return NULL;
	}
	for (const uint8_t *p = path; p < nul; p++)
		if (p[0] == '/' && p + 2 < nul + 1 && p[1] == '.' && p[2] == '.' &&
		    (p + 3 == nul || p[3] == '/')) {
			fail_record(r, errbuf, errbuf_len, "%s path has a `..` component", what);
			return NULL;
		}
	return nul;
}

/* u32 flags, u32 pad (0), path NUL data: the data only of what tmpfs's
 * options are made of. */
static int check_tmpfs(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (r->len < 11)
		return fail_record(r, errbuf, errbuf_len, "tmpfs record too short");
	if (get_le32(r->payload) & ~MVM_TMPFS_FLAGS || get_le32(r->payload + 4) != 0)
		return fail_record(r, errbuf, errbuf_len, "tmpfs flags %#x out of range",
				   get_le32(r->payload));
	const uint8_t *nul = check_root_path(r, "tmpfs", errbuf, errbuf_len);
	if (nul == NULL)
		return -1;
	const uint8_t *end = r->payload + r->len;
	if (end - (nul + 1) > 256)
		return fail_record(r, errbuf, errbuf_len, "tmpfs data longer than 256 bytes");
	for (const uint8_t *p = nul + 1; p < end; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '=' ||
		      *p == ',' || *p == '%' || *p == '_'))
			return fail_record(r, errbuf, errbuf_len, "tmpfs data byte %#x", *p);
	return 0;
}

/* u32 gid[n], 1..MVM_MAX_GROUPS of them. */
static int check_groups(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (r->len == 0 || r->len % 4 || r->len / 4 > MVM_MAX_GROUPS)
		return fail_record(r, errbuf, errbuf_len, "groups: 1 to %u ids", MVM_MAX_GROUPS);
	for (uint32_t i = 0; i < r->len; i += 4)
		if (get_le32(r->payload + i) == UINT32_MAX)
			return fail_record(r, errbuf, errbuf_len, "groups: %u is not a group id",
					   UINT32_MAX);
	return 0;
}

/* u32 mode, u32 flags, path NUL content. */
static int check_file(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (r->len < 10)
		return fail_record(r, errbuf, errbuf_len, "file record too short");
	uint32_t mode = get_le32(r->payload), flags = get_le32(r->payload + 4);
	if (mode & ~07777u || flags & ~MVM_FILE_READONLY)
		return fail_record(r, errbuf, errbuf_len, "file mode %#o or flags %#x out of range",
				   mode, flags);
	const uint8_t *nul = check_root_path(r, "file", errbuf, errbuf_len);
	if (nul == NULL)
		return -1;
	if ((size_t)(r->payload + r->len - (nul + 1)) > MVM_MAX_GUEST_FILE_SIZE)
		return fail_record(r, errbuf, errbuf_len, "file larger than %u bytes",
				   MVM_MAX_GUEST_FILE_SIZE);
	return 0;
}

static int check_mount(const struct record *r, char *errbuf, size_t errbuf_len)
{
	const uint8_t *nul = memchr(r->payload, '\0', r->len);
	if (!nul)
		return fail_record(r, errbuf, errbuf_len, "mount needs `tag NUL path`, no NUL found");
	size_t tag_len = (size_t)(nul - r->payload);
	size_t path_len = r->len - tag_len - 1;
	const uint8_t *path = nul + 1;
	if (tag_len == 0 || tag_len > MOUNT_TAG_MAX)
		return fail_record(r, errbuf, errbuf_len, "mount tag must be 1..%u bytes, not %zu", MOUNT_TAG_MAX,
				   tag_len);
	if (path_len == 0 || path[0] != '/')
		return fail_record(r, errbuf, errbuf_len, "mount point must be an absolute path");
	if (memchr(path, '\0', path_len))
		return fail_record(r, errbuf, errbuf_len, "mount point contains a NUL byte");
	return 0;
}

static int check_fixed(const struct record *r, uint32_t want, const char *what, char *errbuf,
		       size_t errbuf_len)
{
	if (r->len != want)
		return fail_record(r, errbuf, errbuf_len, "%s payload must be %u bytes, not %u", what, want, r->len);
	return 0;
}

/* An absolute path, or a bare name for a PATH search: "bin/sh" would
 * depend on the workdir, "" names nothing. */
static int check_exec(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (check_string(r, "exec path", false, errbuf, errbuf_len) < 0)
		return -1;
	if (r->len == 0 || (r->payload[0] != '/' && memchr(r->payload, '/', r->len)))
		return fail_record(r, errbuf, errbuf_len,
				   "exec path must be an absolute path or a name without `/`");
	return 0;
}

static int check_layers(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (check_fixed(r, 8, "layers", errbuf, errbuf_len) < 0)
		return -1;
	uint32_t n = get_le32(r->payload);
	if (n < 1 || n > MVM_MAX_LAYERS)
		return fail_record(r, errbuf, errbuf_len, "layer count %u is not in 1..%d", n,
				   MVM_MAX_LAYERS);
	uint32_t flags = get_le32(r->payload + 4);
	if (flags & ~MVM_LAYERS_TMPFS_UPPER)
		return fail_record(r, errbuf, errbuf_len, "unknown layer flags %#x", flags);
	return 0;
}

/* prefix_len above 32 would make a netmask shift undefined in the guest. */
static int check_net(const struct record *r, char *errbuf, size_t errbuf_len)
{
	if (check_fixed(r, 16, "net", errbuf, errbuf_len) < 0)
		return -1;
	uint32_t prefix = get_le32(r->payload + 4);
	if (prefix > 32)
		return fail_record(r, errbuf, errbuf_len, "net prefix length %u is not in 0..32", prefix);
	return 0;
}

struct counts {
	size_t args, env, rlimits, mounts, exec, workdir, net, loglevel, layers, user, tty,
	    user_name, hostname, sysctls, files, publish, groups, tmpfs, read_only, hold;
};

/* Pass 1: validates every known record and counts them, so that pass 2
 * allocates exactly once per list and cannot fail half-way on content. */
static int validate(struct cursor c, struct counts *n, char *errbuf, size_t errbuf_len)
{
	struct record r;
	int more;
	while ((more = next_record(&c, &r, errbuf, errbuf_len)) > 0) {
		int rc = 0;
		switch (r.type) {
		case MVM_CFG_EXEC:
			rc = check_exec(&r, errbuf, errbuf_len);
			n->exec++;
			break;
		case MVM_CFG_ARG:
			rc = check_string(&r, "argument", false, errbuf, errbuf_len);
			n->args++;
			break;
		case MVM_CFG_ENV:
			rc = check_env(&r, errbuf, errbuf_len);
			n->env++;
			break;
		case MVM_CFG_WORKDIR:
			rc = check_string(&r, "workdir", true, errbuf, errbuf_len);
			n->workdir++;
			break;
		case MVM_CFG_RLIMIT:
			rc = check_rlimit(&r, errbuf, errbuf_len);
			n->rlimits++;
			break;
		case MVM_CFG_MOUNT:
			rc = check_mount(&r, errbuf, errbuf_len);
			n->mounts++;
			break;
		case MVM_CFG_NET:
			rc = check_net(&r, errbuf, errbuf_len);
			n->net++;
			break;
		case MVM_CFG_LOGLEVEL:
			rc = check_fixed(&r, 4, "log level", errbuf, errbuf_len);
			n->loglevel++;
			break;
		case MVM_CFG_LAYERS:
			rc = check_layers(&r, errbuf, errbuf_len);
			n->layers++;
			break;
		case MVM_CFG_USER:
			rc = check_fixed(&r, 8, "user", errbuf, errbuf_len);
			n->user++;
			break;
		case MVM_CFG_TTY:
			rc = check_fixed(&r, 4, "tty", errbuf, errbuf_len);
			n->tty++;
			break;
		case MVM_CFG_HOSTNAME:
			rc = check_hostname(&r, errbuf, errbuf_len);
			n->hostname++;
			break;
		case MVM_CFG_PUBLISH:
			rc = check_fixed(&r, 4, "publish", errbuf, errbuf_len);
			n->publish++;
			break;
		case MVM_CFG_GROUPS:
			rc = check_groups(&r, errbuf, errbuf_len);
			n->groups++;
			break;
		case MVM_CFG_TMPFS:
			rc = check_tmpfs(&r, errbuf, errbuf_len);
			n->tmpfs++;
			break;
		case MVM_CFG_READONLY:
			rc = check_string(&r, "read-only share", true, errbuf, errbuf_len);
			n->read_only++;
			break;
		case MVM_CFG_HOLD:
			rc = check_fixed(&r, 4, "hold", errbuf, errbuf_len);
			n->hold++;
			break;
		case MVM_CFG_SYSCTL:
			rc = check_sysctl(&r, errbuf, errbuf_len);
			n->sysctls++;
			break;
		case MVM_CFG_FILE:
			rc = check_file(&r, errbuf, errbuf_len);
			n->files++;
			break;
		case MVM_CFG_USER_NAME:
			rc = check_string(&r, "user name", false, errbuf, errbuf_len);
			if (rc == 0 && (r.len == 0 || r.len > INIT_USER_NAME_MAX))
				rc = fail_record(&r, errbuf, errbuf_len,
						 "user name of %u bytes (1 to %u)", (unsigned)r.len,
						 INIT_USER_NAME_MAX);
			n->user_name++;
			break;
		default:
			break; /* forward compatibility: newer hosts may add types */
		}
		if (rc < 0)
			return -1;
	}
	if (more < 0)
		return -1;
	if (n->exec > 1 || n->workdir > 1 || n->net > 1 || n->loglevel > 1 || n->layers > 1 ||
	    n->user > 1 || n->tty > 1 || n->user_name > 1 || n->hostname > 1 || n->publish > 1 ||
	    n->groups > 1 || n->hold > 1)
		return fail(errbuf, errbuf_len,
			    "config: exec, workdir, net, log level, layers, user, user name, host name, "
			    "publish, groups, hold and tty may appear at most once");
	if (n->read_only > n->mounts + 1)
		return fail(errbuf, errbuf_len, "config: %zu read-only shares of %zu", n->read_only,
			    n->mounts + 1);
	if (n->tmpfs > MVM_MAX_TMPFS)
		return fail(errbuf, errbuf_len, "config: %zu tmpfs mounts, at most %u", n->tmpfs,
			    MVM_MAX_TMPFS);
	if (n->files > MVM_MAX_GUEST_FILES)
		return fail(errbuf, errbuf_len, "config: %zu files, at most %u", n->files,
			    MVM_MAX_GUEST_FILES);
	if (n->user && n->user_name)
		return fail(errbuf, errbuf_len, "config: a user's ids and a user name both given");
	return 0;
}

static int fill(struct cursor c, struct init_config *out)
{
	struct record r;
	while (next_record(&c, &r, NULL, 0) > 0) {
		switch (r.type) {
		case MVM_CFG_EXEC:
			if (!(out->exec_path = dup_bytes(r.payload, r.len)))
				return -1;
			break;
		case MVM_CFG_ARG:
			if (!(out->args[out->n_args] = dup_bytes(r.payload, r.len)))
				return -1;
			out->n_args++;
			break;
		case MVM_CFG_ENV:
			if (!(out->env[out->n_env] = dup_bytes(r.payload, r.len)))
				return -1;
			out->n_env++;
			break;
		case MVM_CFG_WORKDIR:
			if (!(out->workdir = dup_bytes(r.payload, r.len)))
				return -1;
			break;
		case MVM_CFG_RLIMIT: {
			struct init_rlimit *l = &out->rlimits[out->n_rlimits++];
			l->resource = get_le32(r.payload);
			l->soft = get_le64(r.payload + 8);
			l->hard = get_le64(r.payload + 16);
			break;
		}
		case MVM_CFG_MOUNT: {
			size_t tag_len = strlen((const char *)r.payload); /* NUL checked in pass 1 */
			struct init_mount *m = &out->mounts[out->n_mounts];
			m->tag = dup_bytes(r.payload, tag_len);
			m->path = dup_bytes(r.payload + tag_len + 1, r.len - tag_len - 1);
			out->n_mounts++; /* counted even if half-filled, so free() sees it */
			if (!m->tag || !m->path)
				return -1;
			break;
		}
		case MVM_CFG_NET:
			out->has_net = true;
			/* Addresses are big-endian bytes: copied, not decoded,
			 * so they stay in network byte order on any CPU. */
			memcpy(&out->net.addr, r.payload, 4);
			out->net.prefix_len = get_le32(r.payload + 4);
			memcpy(&out->net.gateway, r.payload + 8, 4);
			memcpy(&out->net.dns, r.payload + 12, 4);
			break;
		case MVM_CFG_LOGLEVEL:
			out->log_level = get_le32(r.payload);
			break;
		case MVM_CFG_LAYERS:
			out->n_layers = get_le32(r.payload);
			out->tmpfs_upper = get_le32(r.payload + 4) & MVM_LAYERS_TMPFS_UPPER;
			break;
		case MVM_CFG_USER:
			out->has_user = true;
			out->uid = get_le32(r.payload);
			out->gid = get_le32(r.payload + 4);
			break;
		case MVM_CFG_USER_NAME:
			if (!(out->user_name = dup_bytes(r.payload, r.len)))
				return -1;
			break;
		case MVM_CFG_HOSTNAME:
			if (!(out->hostname = dup_bytes(r.payload, r.len)))
				return -1;
			break;
		case MVM_CFG_SYSCTL:
			if (!(out->sysctls[out->n_sysctls++] = dup_bytes(r.payload, r.len)))
				return -1;
			break;
		case MVM_CFG_READONLY:
			if (!(out->read_only[out->n_read_only++] = dup_bytes(r.payload, r.len)))
				return -1;
			break;
		case MVM_CFG_FILE: {
			struct init_file *f = &out->files[out->n_files++];
			const uint8_t *path = r.payload + 8;
			size_t plen = strlen((const char *)path); /* checked: a NUL ends it */
			f->mode = get_le32(r.payload);
			f->readonly = get_le32(r.payload + 4) & MVM_FILE_READONLY;
			f->path = dup_bytes(path, plen);
			f->len = r.len - 8 - plen - 1;
			f->data = malloc(f->len ? f->len : 1);
			if (!f->path || !f->data)
				return -1;
			memcpy(f->data, path + plen + 1, f->len);
			break;
		}
		case MVM_CFG_PUBLISH:
			out->publish = true;
			break;
		case MVM_CFG_HOLD:
			out->hold = true;
			break;
		case MVM_CFG_GROUPS:
			out->groups = malloc(r.len);
			if (out->groups == NULL)
				return -1;
			for (uint32_t i = 0; i < r.len; i += 4)
				out->groups[out->n_groups++] = get_le32(r.payload + i);
			break;
		case MVM_CFG_TMPFS: {
			struct init_tmpfs *t = &out->tmpfs[out->n_tmpfs++];
			const uint8_t *path = r.payload + 8;
			size_t plen = strlen((const char *)path); /* checked: a NUL ends it */
			t->flags = get_le32(r.payload);
			t->path = dup_bytes(path, plen);
			t->data = dup_bytes(path + plen + 1, r.len - 8 - plen - 1);
			if (!t->path || !t->data)
				return -1;
			break;
		}
		case MVM_CFG_TTY:
			out->has_tty = true;
			out->tty_rows = (uint16_t)(r.payload[0] | r.payload[1] << 8);
			out->tty_cols = (uint16_t)(r.payload[2] | r.payload[3] << 8);
			break;
		default:
			break;
		}
	}
	return 0;
}

int init_config_parse(const void *blob, size_t len, struct init_config *out, char *errbuf, size_t errbuf_len)
{
	memset(out, 0, sizeof(*out));
	const uint8_t *b = blob;
	if (!b || len < HEADER_LEN)
		return fail(errbuf, errbuf_len, "config: %zu bytes is shorter than the %u-byte header", len,
			    HEADER_LEN);
	if (memcmp(b, MVM_CFG_MAGIC, 8) != 0)
		return fail(errbuf, errbuf_len, "config: bad magic, not an mvm config blob");
	uint32_t version = get_le32(b + 8);
	if (version != MVM_CFG_VERSION)
		return fail(errbuf, errbuf_len, "config: version %u is not the supported version %u", version,
			    MVM_CFG_VERSION);
	uint32_t total = get_le32(b + 12);
	if (total != len)
		return fail(errbuf, errbuf_len, "config: header says %u bytes but the blob has %zu", total, len);

	struct cursor c = {.blob = b, .total = total, .offset = HEADER_LEN, .index = 0};
	struct counts n = {0};
	if (validate(c, &n, errbuf, errbuf_len) < 0)
		return -1;

	/* +1: args and env are NULL-terminated so they drop into execve(). */
	out->args = calloc(n.args + 1, sizeof(*out->args));
	out->env = calloc(n.env + 1, sizeof(*out->env));
	out->rlimits = calloc(n.rlimits ? n.rlimits : 1, sizeof(*out->rlimits));
	out->mounts = calloc(n.mounts ? n.mounts : 1, sizeof(*out->mounts));
	out->sysctls = calloc(n.sysctls + 1, sizeof(*out->sysctls));
	out->files = calloc(n.files ? n.files : 1, sizeof(*out->files));
	out->tmpfs = calloc(n.tmpfs ? n.tmpfs : 1, sizeof(*out->tmpfs));
	out->read_only = calloc(n.read_only + 1, sizeof(*out->read_only));
	if (!out->args || !out->env || !out->rlimits || !out->mounts || !out->sysctls ||
	    !out->files || !out->tmpfs || !out->read_only || fill(c, out) < 0) {
		init_config_free(out);
		return fail(errbuf, errbuf_len, "config: out of memory");
	}
	return 0;
}

void init_config_free(struct init_config *c)
{
	free(c->exec_path);
	for (size_t i = 0; c->args && i < c->n_args; i++)
		free(c->args[i]);
	free(c->args);
	for (size_t i = 0; c->env && i < c->n_env; i++)
		free(c->env[i]);
	free(c->env);
	free(c->workdir);
	free(c->user_name);
	free(c->hostname);
	for (size_t i = 0; c->sysctls && i < c->n_sysctls; i++)
		free(c->sysctls[i]);
	free(c->sysctls);
	for (size_t i = 0; c->files && i < c->n_files; i++) {
		free(c->files[i].path);
		free(c->files[i].data);
	}
	free(c->files);
	for (size_t i = 0; c->tmpfs && i < c->n_tmpfs; i++) {
		free(c->tmpfs[i].path);
		free(c->tmpfs[i].data);
	}
	free(c->tmpfs);
	free(c->groups);
	for (size_t i = 0; c->read_only && i < c->n_read_only; i++)
		free(c->read_only[i]);
	free(c->read_only);
	free(c->rlimits);
	for (size_t i = 0; c->mounts && i < c->n_mounts; i++) {
		free(c->mounts[i].tag);
		free(c->mounts[i].path);
	}
	free(c->mounts);
	memset(c, 0, sizeof(*c));
}
