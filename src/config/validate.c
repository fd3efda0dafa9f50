/* SPDX-License-Identifier: Apache-2.0 */
/* The rules of build(). Each check appends its problems and goes on, so one
 * build() reports everything that is wrong (the reference stops at the
 * first problem). */
#include "config/validate.h"
#include "guest/protocol.h"

#include "config/guest_path.h"
#include "config/guest_user.h"
#include "image/image_run.h"
#include "config/ipv4.h"
#include "config/rlimit.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MVM_MAX_VCPUS 255
/* 64 GiB: far above any file a program maps whole, and each window also
 * costs the guest 1/64 of its size in RAM. */
#define MVM_MAX_DAX_WINDOW_MIB 65536

/* Resolves a host directory to its absolute, symlink-free path. The
 * reference only checks that the path exists, so a plain file passes its
 * build() and fails later with EIO; mvm wants a directory up front. */
static char *resolve_host_dir(const char *path, const char *what, mvm_error **err)
{
	if (*path == '\0') {
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid %s ``: the path is empty", what);
		return NULL;
	}
	cleanup_free char *abs = realpath(path, NULL);
	if (abs == NULL) {
		mvm_err(err, errno == ENOMEM ? MVM_ERR_NOMEM : MVM_ERR_INVALID, errno,
			"invalid %s `%s`", what, path);
		return NULL;
	}
	struct stat st;
	if (stat(abs, &st) < 0) {
		mvm_err(err, MVM_ERR_INVALID, errno, "invalid %s `%s`", what, path);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid %s `%s`: not a directory", what, path);
		return NULL;
	}
	return steal_pointer(&abs);
}

/* Replaces *slot with fixed(*slot) when that succeeds. */
static void fix_in_place(char **slot, char *fixed)
{
	if (fixed == NULL)
		return;
	free(*slot);
	*slot = fixed;
}

/* An existing directory, or a new one to be made in an existing
 * directory at start: either way an absolute path. */
static char *resolve_upper_dir(const char *path, mvm_error **err)
{
	struct stat st;
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return resolve_host_dir(path, "upper dir", err);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	cleanup_free char *parent = slash == NULL   ? strdup(".")
				    : slash == path ? strdup("/")
						    : strndup(path, (size_t)(slash - path));
	if (parent == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot check upper dir `%s`", path);
		return NULL;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid upper dir `%s`", path);
		return NULL;
	}
	cleanup_free char *dir = resolve_host_dir(parent, "upper dir's parent", err);
	char *full = NULL;
	if (dir != NULL && asprintf(&full, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base) < 0) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot check upper dir `%s`", path);
		full = NULL;
	}
	return full;
}

static void check_image(struct mvm_config *c, mvm_error **err)
{
	if (c->root_path != NULL) {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"give an image (`%s`) or a root path (`%s`), not both", c->image.ref,
			c->root_path);
		return;
	}
	if (config_share_mode_of(c, "/") == MVM_SHARE_PASSTHROUGH)
		mvm_err(err, MVM_ERR_INVALID, 0,
			"an image's root is always shared in the virtual mode (its layers hold "
			"the guest's owners and special files that way), not in passthrough");
	/* The store's files belong to the user who filled it, with modes
	 * only that user's workers may rely on (docs/images.md). */
	if (c->has_jail_user)
		mvm_err(err, MVM_ERR_UNSUPPORTED, 0,
			"an image runs with the store owner's rights; it cannot run with a jail "
			"user (%u:%u)",
			c->jail_uid, c->jail_gid);
	if (c->image.upper != NULL)
		fix_in_place(&c->image.upper, resolve_upper_dir(c->image.upper, err));
	if (c->image.upper != NULL && c->image.tmpfs_set && c->image.tmpfs_upper)
		mvm_err(err, MVM_ERR_INVALID, 0,
			"a tmpfs writable layer cannot be kept in an upper dir (`%s`): pick one",
			c->image.upper);
	/* A run's own layer, dropped at the end anyway, is a tmpfs unless
	 * asked otherwise: 8% over a plain dir's boot against 20% for one on
	 * the host (docs/images.md, "Why this design"). */
	if (!c->image.tmpfs_set)
		c->image.tmpfs_upper = c->image.upper == NULL;
	image_run_apply(c, err);
}

/* The guest root's text file rel, top layer first; NULL when absent. */
static char *read_root_file(const struct mvm_config *c, const char *rel, mvm_error **err)
{
	char *buf = NULL;
	size_t len;
	int rc;
	if (c->image.ref != NULL) {
		size_t n = c->image.n_layers;
		cleanup_free const char **top_first = calloc(n ? n : 1, sizeof(char *));
		if (top_first == NULL) {
			mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "out of memory");
			return NULL;
		}
		for (size_t i = 0; i < n; i++)
			top_first[i] = c->image.layers[n - 1 - i];
		rc = image_root_read(top_first, n, rel, 1u << 22, &buf, &len, err);
	} else {
		const char *dirs[] = {c->root_path};
		rc = image_root_read(dirs, 1, rel, 1u << 22, &buf, &len, err);
	}
	return rc == 0 ? buf : NULL;
}

static void check_user(struct mvm_config *c, mvm_error **err)
{
	if (c->user == NULL || (c->image.ref == NULL && c->root_path == NULL) ||
	    (c->image.ref != NULL && c->image.layers == NULL))
		return; /* no root to look in: its own error is out already */
	mvm_error *ferr = NULL;
	cleanup_free char *passwd = read_root_file(c, "etc/passwd", &ferr);
	cleanup_free char *group = ferr ? NULL : read_root_file(c, "etc/group", &ferr);
	if (ferr != NULL) {
		mvm_err_merge(err, &ferr);
		return;
	}
	if (guest_user_resolve(c->user, passwd, group, &c->uid, &c->gid, err) == 0)
		c->has_ids = true;
}

static void check_root_and_sizes(struct mvm_config *c, mvm_error **err)
{
	if (c->image.ref != NULL)
		check_image(c, err);
	else if (c->root_path == NULL)
		mvm_err(err, MVM_ERR_INVALID, 0, "the root path is required (or an image)");
	else
		fix_in_place(&c->root_path, resolve_host_dir(c->root_path, "root path", err));
	if (c->image.ref == NULL && c->image.has_entrypoint)
		mvm_err(err, MVM_ERR_INVALID, 0, "an entrypoint needs an image");
	if (c->image.ref == NULL && c->image.tmpfs_set)
		mvm_err(err, MVM_ERR_INVALID, 0, "where the writable layer lives (tmpfs or disk) matters only for an image");
	if (c->image.ref == NULL && c->image.upper != NULL)
		mvm_err(err, MVM_ERR_INVALID, 0, "an upper dir (`%s`) needs an image",
			c->image.upper);
	if (c->num_vcpus < 1 || c->num_vcpus > MVM_MAX_VCPUS)
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid vCPU count %u: expected 1..%d",
			c->num_vcpus, MVM_MAX_VCPUS);
	if (!c->ram_set)
		mvm_err(err, MVM_ERR_INVALID, 0, "the RAM size is required");
	else if (c->ram_mib == 0)
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid RAM size 0 MiB: expected > 0");
	/* The guest maps files in 2 MiB chunks, so a window holds whole ones. */
	if (c->dax_window_mib % 2 != 0 || c->dax_window_mib > MVM_MAX_DAX_WINDOW_MIB)
		mvm_err(err, MVM_ERR_INVALID, 0,
			"invalid DAX window size %" PRIu32 " MiB: expected 0 or an even number "
			"of MiB from 2 to %d",
			c->dax_window_mib, MVM_MAX_DAX_WINDOW_MIB);
}

static void check_mapped_dirs(struct mvm_config *c, mvm_error **err)
{
	/* Conflicts are only meaningful between guest paths that normalised. */
	cleanup_free bool *guest_ok = calloc(c->n_mapped_dirs + 1, sizeof(*guest_ok));
	if (guest_ok == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot check the mapped dirs");
		return;
	}
	for (size_t i = 0; i < c->n_mapped_dirs; i++) {
		mvm_path_pair *d = &c->mapped_dirs[i];
		fix_in_place(&d->host, resolve_host_dir(d->host, "mapped dir host path", err));
		char *g = guest_path_normalize(d->guest, "mapped dir guest path", err);
		guest_ok[i] = g != NULL && strcmp(g, "/") != 0;
		if (g != NULL && !guest_ok[i])
			mvm_err(err, MVM_ERR_INVALID, 0,
				"invalid mapped dir guest path `%s`: it is the guest's `/`, which "
				"is the root path",
				d->guest);
		fix_in_place(&d->guest, g);
	}
	for (size_t i = 0; i < c->n_mapped_dirs; i++) {
		for (size_t j = 0; j < i; j++) {
			const char *a = c->mapped_dirs[j].guest, *b = c->mapped_dirs[i].guest;
			if (!guest_ok[i] || !guest_ok[j])
				continue;
			if (strcmp(a, b) == 0)
				mvm_err(err, MVM_ERR_INVALID, 0,
					"duplicate mapped dir guest path `%s`", b);
			else if (guest_path_contains(a, b) || guest_path_contains(b, a))
				mvm_err(err, MVM_ERR_INVALID, 0,
					"mapped dir guest paths `%s` and `%s` are nested", a, b);
		}
	}
}

/* A share's own mode must name a share: the root or a mapped dir (their
 * guest paths are normalised by now, as are the modes' at the setter). */
static void check_read_only(const struct mvm_config *c, mvm_error **err)
{
	for (size_t i = 0; i < c->n_read_only; i++) {
		const char *g = c->read_only[i];
		bool root = strcmp(g, "/") == 0, found = root;
		for (size_t j = 0; !found && j < c->n_mapped_dirs; j++)
			found = strcmp(c->mapped_dirs[j].guest, g) == 0;
		if (!found)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"read-only share `%s`: no share is mounted there (name the root as "
				"`/` or a mapped dir by its guest path)",
				g);
		else if (root && c->image.ref)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"read-only root: an image's root is its read-only layers and a "
				"writable one; a read-only root is a directory's");
	}
}

static void check_share_modes(const struct mvm_config *c, mvm_error **err)
{
	for (size_t i = 0; i < c->n_share_modes; i++) {
		const char *g = c->share_modes[i].guest;
		bool found = strcmp(g, "/") == 0;
		for (size_t j = 0; !found && j < c->n_mapped_dirs; j++)
			found = strcmp(c->mapped_dirs[j].guest, g) == 0;
		if (!found)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"share mode for `%s`: no share is mounted there (name the root as "
				"`/` or a mapped dir by its guest path)",
				g);
	}
}

/* Two shares whose host directories contain one another give the guest two
 * doors to the same files. Each door keeps the guest inside its own
 * directory, but a directory moved from one share into the other through
 * the first door is still held through the second, outside that share, and
 * any rule a share has of its own (read-only, ownership mode) can be
 * bypassed through the other door. So they are refused, including a root
 * that contains a mapped dir. Bind mounts that alias one directory under
 * two unrelated paths are caught by comparing device and inode. */
static bool is_dir(const char *path, struct stat *st)
{
	return path != NULL && path[0] == '/' && stat(path, st) == 0 && S_ISDIR(st->st_mode);
}

static bool host_dirs_overlap(const char *a, const char *b)
{
	struct stat sa, sb;
	/* Paths that did not resolve to a directory were reported already. */
	if (!is_dir(a, &sa) || !is_dir(b, &sb))
		return false;
	return guest_path_contains(a, b) || guest_path_contains(b, a) ||
	       (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

static void check_host_overlaps(const struct mvm_config *c, mvm_error **err)
{
	for (size_t i = 0; i < c->n_mapped_dirs; i++) {
		const char *h = c->mapped_dirs[i].host;
		if (c->root_path != NULL && host_dirs_overlap(c->root_path, h))
			mvm_err(err, MVM_ERR_INVALID, 0,
				"mapped dir host path `%s` overlaps the root path `%s`: shares "
				"must not contain one another on the host",
				h, c->root_path);
		/* The guest would reach the store's layers, which every image
		 * run shares, or its own writable layer from the side. */
		if (c->image.store_dir != NULL && host_dirs_overlap(c->image.store_dir, h))
			mvm_err(err, MVM_ERR_INVALID, 0,
				"mapped dir host path `%s` overlaps the image store `%s`", h,
				c->image.store_dir);
		if (c->image.upper != NULL && host_dirs_overlap(c->image.upper, h))
			mvm_err(err, MVM_ERR_INVALID, 0,
				"mapped dir host path `%s` overlaps the upper dir `%s`", h,
				c->image.upper);
		for (size_t j = 0; j < i; j++) {
			const char *o = c->mapped_dirs[j].host;
			if (host_dirs_overlap(o, h))
				mvm_err(err, MVM_ERR_INVALID, 0,
					"mapped dir host paths `%s` and `%s` overlap: shares "
					"must not contain one another on the host",
					o, h);
		}
	}
}

static void check_ports(const struct mvm_config *c, mvm_error **err)
{
	for (size_t i = 0; i < c->n_ports; i++) {
		const mvm_port_pair *p = &c->ports[i];
		if (p->host == 0 || p->guest == 0) {
			mvm_err(err, MVM_ERR_INVALID, 0,
				"invalid port mapping %u:%u: ports must be in 1..65535", p->host,
				p->guest);
			continue;
		}
		/* TCP and UDP ports are separate spaces, as for docker. */
		for (size_t j = 0; j < i; j++) {
			const mvm_port_pair *q = &c->ports[j];
			if (q->udp != p->udp)
				continue;
			if (q->host == p->host)
				mvm_err(err, MVM_ERR_INVALID, 0,
					"duplicate host port %u in port mappings %u:%u and %u:%u",
					p->host, q->host, q->guest, p->host, p->guest);
			if (q->guest == p->guest)
				mvm_err(err, MVM_ERR_INVALID, 0,
					"duplicate guest port %u in port mappings %u:%u and %u:%u",
					p->guest, q->host, q->guest, p->host, p->guest);
		}
	}
}

static void check_rlimits(const struct mvm_config *c, mvm_error **err)
{
	for (size_t i = 0; i < c->n_rlimits; i++) {
		const mvm_rlimit *r = &c->rlimits[i];
		const char *why = rlimit_problem(r);
		if (why != NULL) {
			mvm_err(err, MVM_ERR_INVALID, 0, "invalid rlimit %d=%ju:%ju: %s",
				r->resource, (uintmax_t)r->soft, (uintmax_t)r->hard, why);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (c->rlimits[j].resource == c->rlimits[i].resource)
				mvm_err(err, MVM_ERR_INVALID, 0, "duplicate rlimit %s",
					mvm_rlimit_name(c->rlimits[i].resource));
	}
}

static void check_env(const struct mvm_config *c, mvm_error **err)
{
	for (size_t i = 0; i < c->n_env; i++) {
		const char *key = c->env[i].key;
		if (*key == '\0')
			mvm_err(err, MVM_ERR_INVALID, 0, "invalid env key ``: it is empty");
		else if (strchr(key, '='))
			mvm_err(err, MVM_ERR_INVALID, 0, "invalid env key `%s`: it contains `=`",
				key);
	}
}

/* Workdir and exec path name guest files; mvm passes them to its own init
 * over a config blob, not the kernel command line, so any byte but NUL is
 * fine. They must be absolute because the guest has no cwd to resolve
 * against before the workdir is entered. */
static void check_guest_program(struct mvm_config *c, mvm_error **err)
{
	if (c->workdir_path != NULL)
		fix_in_place(&c->workdir_path,
			     guest_path_normalize(c->workdir_path, "workdir", err));
	/* A bare name ("python3") is looked up in the program's PATH by
	 * mvm-init, as docker does; "bin/sh" would depend on the workdir. */
	if (c->exec_path != NULL && c->exec_path[0] != '/' &&
	    (c->exec_path[0] == '\0' || strchr(c->exec_path, '/') != NULL))
		mvm_err(err, MVM_ERR_INVALID, 0,
			"invalid exec path `%s`: not an absolute guest path nor a name to look "
			"up in PATH",
			c->exec_path);
}

/* A file the VMM creates at start (WHAT names it in messages): the
 * absolute path, its directory resolved and writable, not a directory. */
static char *check_new_file_path(const char *path, const char *what_name, mvm_error **err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid %s `%s`: names a directory",
			what_name, path);
		return NULL;
	}
	cleanup_free char *parent = slash == NULL   ? strdup(".")
				    : slash == path ? strdup("/")
						    : strndup(path, (size_t)(slash - path));
	if (parent == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot check %s `%s`", what_name, path);
		return NULL;
	}
	cleanup_free char *what = NULL;
	if (asprintf(&what, "%s `%s`: its directory", what_name, path) < 0) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot check %s `%s`", what_name, path);
		return NULL;
	}
	cleanup_free char *dir = resolve_host_dir(parent, what, err);
	if (dir == NULL)
		return NULL;
	/* The VMM creates the file at start; it needs to write and search the
	 * directory as the effective user that will run it. */
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
		mvm_err(err, MVM_ERR_INVALID, errno,
			"invalid %s `%s`: directory `%s` is not writable", what_name, path, dir);
		return NULL;
	}
	char *full = NULL;
	if (asprintf(&full, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base) < 0) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot check %s `%s`", what_name, path);
		return NULL;
	}
	struct stat st;
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid %s `%s`: is a directory",
			what_name, path);
		free(full);
		return NULL;
	}
	return full;
}

/* The vsock socket: a new file, whose name with "_<port>" appended (the
 * sockets of guest connections) still fits a sockaddr_un. */
static char *check_vsock_path(const char *path, mvm_error **err)
{
	if (*path == '\0') {
		mvm_err(err, MVM_ERR_INVALID, 0, "invalid vsock socket ``: it is empty");
		return NULL;
	}
	char *full = check_new_file_path(path, "vsock socket", err);
	if (full == NULL)
		return NULL;
	struct stat st;
	if (strlen(full) > VSOCK_PATH_MAX) {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"invalid vsock socket `%s`: `%s` is longer than %d bytes (a Unix socket's "
			"name, with room for \"_<port>\")",
			path, full, VSOCK_PATH_MAX);
	} else if (lstat(full, &st) == 0) {
		mvm_err(err, MVM_ERR_INVALID, 0,
			"invalid vsock socket `%s`: `%s` exists (mvm creates the socket; remove the "
			"file or pick another path)",
			path, full);
	} else {
		return full;
	}
	free(full);
	return NULL;
}

static void check_host_io(struct mvm_config *c, mvm_error **err)
{
	if (c->console_output != NULL) {
		if (*c->console_output == '\0')
			mvm_err(err, MVM_ERR_INVALID, 0, "invalid console output ``: it is empty");
		else
			fix_in_place(&c->console_output,
				     check_new_file_path(c->console_output, "console output", err));
	}
	if (c->vsock_path != NULL)
		fix_in_place(&c->vsock_path, check_vsock_path(c->vsock_path, err));
	if (c->has_assigned_ip) {
		const char *why = ipv4_not_unicast_reason(c->assigned_ip);
		char ip[IPV4_STR_MAX];
		ipv4_format(c->assigned_ip, ip);
		if (why != NULL)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"invalid assigned IP `%s`: %s, not a unicast address", ip, why);
		/* The guest's network is the /24 around its address. */
		else if ((c->assigned_ip & 0xffu) == 0 || (c->assigned_ip & 0xffu) == 0xffu)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"invalid assigned IP `%s`: the network or broadcast address of its "
				"/24, the guest's network; the last number must be 1..254",
				ip);
	}
}

static void check_sandbox(const struct mvm_config *c, mvm_error **err)
{
	if (c->has_jail_user && !c->jail)
		mvm_err(err, MVM_ERR_INVALID, 0,
			"jail user %" PRIu32 ":%" PRIu32 " without the jail: the switch of ids is "
			"part of it (drop --no-jail)",
			c->jail_uid, c->jail_gid);
}

/* The rules mvm-init's config reader holds them to (guest/protocol.h):
 * checked here so that build() names the value. */
static void check_guest_system(struct mvm_config *c, mvm_error **err)
{
	if (c->hostname) {
		size_t n = strlen(c->hostname);
		bool ok = n >= 1 && n <= MVM_HOSTNAME_MAX;
		for (size_t i = 0; ok && i < n; i++) {
			char ch = c->hostname[i];
			ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
		}
		if (!ok)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"invalid host name `%s`: 1 to %d of [A-Za-z0-9.-]", c->hostname,
				MVM_HOSTNAME_MAX);
	}
	for (size_t i = 0; i < c->n_sysctls; i++) {
		const char *kv = c->sysctls[i], *eq = strchr(kv, '=');
		bool ok = eq && eq != kv && !strchr(kv, '\n');
		bool empty = true;
		for (const char *p = kv; ok && p < eq; p++) {
			bool sep = *p == '.' || *p == '/';
			ok = sep ? !empty
				 : (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
			empty = sep;
		}
		if (!ok || empty)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"invalid sysctl `%s`: KEY=VALUE, KEY parts of [A-Za-z0-9_-] joined by "
				"`.` or `/`",
				kv);
	}
	if (c->n_files > MVM_MAX_GUEST_FILES)
		mvm_err(err, MVM_ERR_INVALID, 0, "%zu guest files: at most %d", c->n_files,
			MVM_MAX_GUEST_FILES);
	if (c->n_tmpfs > MVM_MAX_TMPFS)
		mvm_err(err, MVM_ERR_INVALID, 0, "%zu tmpfs mounts: at most %d", c->n_tmpfs,
			MVM_MAX_TMPFS);
	for (size_t i = 0; i < c->n_tmpfs; i++) {
		struct config_tmpfs *t = &c->tmpfs[i];
		fix_in_place(&t->path, guest_path_normalize(t->path, "tmpfs", err));
		if (t->path && strcmp(t->path, "/") == 0)
			mvm_err(err, MVM_ERR_INVALID, 0, "tmpfs on `/`: the root is a share");
	}
	for (size_t i = 0; i < c->n_files; i++) {
		struct config_file *f = &c->files[i];
		if (f->len > MVM_MAX_GUEST_FILE_SIZE || f->mode & ~07777u)
			mvm_err(err, MVM_ERR_INVALID, 0,
				"guest file `%s`: %zu bytes and mode %#o (at most %u bytes, mode "
				"07777)",
				f->path, f->len, f->mode, MVM_MAX_GUEST_FILE_SIZE);
		fix_in_place(&f->path, guest_path_normalize(f->path, "guest file", err));
		if (f->path && strcmp(f->path, "/") == 0)
			mvm_err(err, MVM_ERR_INVALID, 0, "guest file `/`: a file cannot be the root");
	}
}

int config_validate(struct mvm_config *c, mvm_error **err)
{
	mvm_error *problems = NULL;
	check_root_and_sizes(c, &problems);
	check_mapped_dirs(c, &problems);
	check_share_modes(c, &problems);
	check_read_only(c, &problems);
	check_host_overlaps(c, &problems);
	check_ports(c, &problems);
	check_rlimits(c, &problems);
	check_env(c, &problems);
	check_guest_program(c, &problems);
	check_user(c, &problems);
	check_guest_system(c, &problems);
	check_host_io(c, &problems);
	check_sandbox(c, &problems);
	if (problems == NULL)
		return 0;
	log_debug(&c->log, "build: %zu problem(s) in the VM configuration",
		  mvm_error_count(problems));
	mvm_err_merge(err, &problems);
	return -1;
}
