/* SPDX-License-Identifier: Apache-2.0 */
/* One layer tar into one directory, in the virtual-ownership format
 * (layer_unpack.h says what lands where and why it cannot escape). */
#include "image/layer_unpack.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs_tree.h"
#include "util/override_stat.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_NAME ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

struct unpack {
	struct archive *a;
	int dest_fd;
	struct layer_unpack_stats stats;
	/* Directories get their times once the layer is done, since every
	 * entry made inside one changes its mtime. */
	struct dir_time {
		char *path;
		struct timespec times[2];
	} *dirs;
	size_t n_dirs, cap_dirs;
};

/* raw -> a path relative to dest, without empty or "." components; ""
 * names dest itself. A ".." component is refused: no layer needs one, and
 * lexical clamping would hide a hostile archive. */
static int clean_path(const char *raw, char *out, size_t out_len, mvm_error **err)
{
	size_t n = 0;
	const char *p = raw;
	while (*p) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len == 0)
			break;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "layer entry `%s`: a `..` component leaves the layer", raw);
		if (len > NAME_MAX)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "layer entry `%.64s...`: a component is longer than %d bytes",
				       raw, NAME_MAX);
		if (!(len == 1 && p[0] == '.')) {
			if (n + (n > 0) + len >= out_len)
				return mvm_err(err, MVM_ERR_INVALID, 0,
					       "layer entry `%.64s...`: path longer than %zu bytes", raw,
					       out_len - 1);
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = end;
	}
	out[n] = '\0';
	return 0;
}

static int set_override(int fd, uint32_t uid, uint32_t gid, mode_t mode, bool typed, dev_t rdev)
{
	struct override_stat o = {.uid = uid, .gid = gid, .mode = mode, .has_type = typed, .rdev = rdev};
	char buf[OVERRIDE_STAT_MAX];
	size_t n = override_stat_format(&o, buf);
	return fsetxattr(fd, OVERRIDE_STAT_XATTR, buf, n, 0);
}

/* A directory dest lacks on the way to an entry: made as tar would, owned
 * by root with mode 0755 in the guest's view. */
static int make_implicit_dir(int parent_fd, const char *name, const char *path, mvm_error **err)
{
	bool made = mkdirat(parent_fd, name, override_host_mode(0755, true)) == 0;
	if (!made && errno != EEXIST)
		return mvm_err_sys(err, "layer entry `%s`: mkdir", path);
	cleanup_close int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return mvm_err(err, MVM_ERR_INVALID, errno,
			       "layer entry `%s`: a parent is not a directory of the layer", path);
	if (made && set_override(fd, 0, 0, S_IFDIR | 0755, false, 0) < 0)
		return mvm_err_sys(err, "layer entry `%s`: set " OVERRIDE_STAT_XATTR, path);
	return 0;
}

/* The directory that holds path (made when missing and create is set);
 * *name points at path's last component. Resolution never leaves dest and
 * never follows a symlink: this layer has none on the host, so one found
 * means someone else put it there. */
static int open_parent(struct unpack *u, char *path, const char **name, bool create,
		       mvm_error **err)
{
	char *slash = strrchr(path, '/');
	if (slash == NULL) {
		*name = path;
		int fd = fcntl(u->dest_fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? mvm_err_sys(err, "dup") : fd;
	}
	*slash = '\0';
	*name = slash + 1;
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, u->dest_fd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOENT && create) {
		/* Component by component: each one a real directory of ours. */
		int cur = fcntl(u->dest_fd, F_DUPFD_CLOEXEC, 0);
		if (cur < 0) {
			*slash = '/';
			return mvm_err_sys(err, "dup");
		}
		for (char *c = path; cur >= 0;) {
			char *next = strchr(c, '/');
			if (next)
				*next = '\0';
			int rc = make_implicit_dir(cur, c, path, err);
			int sub = rc < 0 ? -1
					 : openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (rc == 0 && sub < 0)
				mvm_err_sys(err, "layer entry `%s`: open a parent", path);
			close(cur);
			cur = sub;
			if (next)
				*next = '/';
			if (next == NULL || cur < 0)
				break;
			c = next + 1;
		}
		*slash = '/';
		return cur < 0 ? -1 : cur;
	}
	int saved = errno;
	*slash = '/';
	if (fd < 0) {
		errno = saved;
		if (errno == ENOTDIR || errno == ELOOP || errno == EXDEV)
			return mvm_err(err, MVM_ERR_INVALID, errno,
				       "layer entry `%s`: a parent is not a directory of the layer",
				       path);
		return mvm_err_sys(err, "layer entry `%s`: open its parent", path);
	}
	return (int)fd;
}

/* Makes room for a new entry: a later layer entry replaces an earlier one
 * of the same name, but a directory stays a directory when the new entry
 * is one too (tar's behaviour, and what layers rely on). Returns 1 when an
 * existing directory is to be kept. */
static int make_room(int parent_fd, const char *name, bool new_is_dir, const char *path,
		     mvm_error **err)
{
	struct stat st;
	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return mvm_err_sys(err, "layer entry `%s`: stat", path);
	}
	if (new_is_dir && S_ISDIR(st.st_mode))
		return 1;
	if (fs_remove_tree(parent_fd, name) < 0)
		return mvm_err_sys(err, "layer entry `%s`: remove what it replaces", path);
	return 0;
}

static int copy_data(struct unpack *u, int fd, const char *path, int64_t size, mvm_error **err)
{
	const void *buf;
	size_t len;
	la_int64_t offset;
	for (;;) {
		int r = archive_read_data_block(u->a, &buf, &len, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return mvm_err(err, MVM_ERR_INVALID, 0, "layer entry `%s`: %s", path,
				       archive_error_string(u->a));
		/* Holes of a sparse entry are skipped, not written. */
		for (size_t done = 0; done < len;) {
			ssize_t w = pwrite(fd, (const char *)buf + done, len - done,
					   (off_t)offset + (off_t)done);
			if (w < 0)
				return mvm_err_sys(err, "layer entry `%s`: write", path);
			done += (size_t)w;
		}
		u->stats.bytes += len;
	}
	if (size > 0 && ftruncate(fd, (off_t)size) < 0)
		return mvm_err_sys(err, "layer entry `%s`: size %lld", path, (long long)size);
	return 0;
}

static int copy_xattrs(struct unpack *u, struct archive_entry *e, int fd, const char *path,
		       mvm_error **err)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		char host[XATTR_NAME_MAX + 1];
		int rc = override_xattr_host_name(name, host, sizeof(host));
		if (rc == -EOPNOTSUPP) {
			u->stats.xattrs_skipped++;
			continue;
		}
		if (rc < 0)
			return mvm_err(err, MVM_ERR_INVALID, -rc, "layer entry `%s`: xattr `%.64s`",
				       path, name);
		if (fsetxattr(fd, host, value, size, 0) < 0)
			return mvm_err_sys(err, "layer entry `%s`: set xattr `%s`", path, host);
	}
	return 0;
}

static int remember_dir_times(struct unpack *u, const char *path, struct archive_entry *e,
			      mvm_error **err)
{
	if (u->n_dirs == u->cap_dirs) {
		size_t cap = u->cap_dirs ? u->cap_dirs * 2 : 64;
		struct dir_time *d = realloc(u->dirs, cap * sizeof(*d));
		if (d == NULL)
			return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		u->dirs = d;
		u->cap_dirs = cap;
	}
	struct dir_time *d = &u->dirs[u->n_dirs];
	d->path = strdup(path);
	if (d->path == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
	d->times[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
	d->times[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
	if (!archive_entry_atime_is_set(e))
		d->times[0] = d->times[1];
	u->n_dirs++;
	return 0;
}

/* Owner, group, mode, type, xattrs and times of one unpacked entry, on the
 * host file fd that stands for it. */
static int finish_entry(struct unpack *u, struct archive_entry *e, int fd, const char *path,
			mode_t type, mvm_error **err)
{
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
	if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "layer entry `%s`: owner %lld:%lld is out of range", path,
			       (long long)uid, (long long)gid);
	mode_t perm = archive_entry_perm(e) & 07777;
	dev_t rdev = 0;
	if (type == S_IFCHR || type == S_IFBLK) {
		unsigned long maj = (unsigned long)archive_entry_rdevmajor(e);
		unsigned long min = (unsigned long)archive_entry_rdevminor(e);
		if (maj > 0xfff || min > 0xfffff)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "layer entry `%s`: device %lu:%lu is out of range", path, maj,
				       min);
		rdev = makedev(maj, min);
	}
	bool dir = type == S_IFDIR;
	/* The type is written where it differs from the host's, as the file
	 * server does. */
	if (set_override(fd, (uint32_t)uid, (uint32_t)gid, type | perm, type != S_IFREG && !dir,
			 rdev) < 0)
		return mvm_err_sys(err, "layer entry `%s`: set " OVERRIDE_STAT_XATTR, path);
	if (fchmod(fd, override_host_mode(perm, dir)) < 0)
		return mvm_err_sys(err, "layer entry `%s`: chmod", path);
	if (copy_xattrs(u, e, fd, path, err) < 0)
		return -1;
	if (dir)
		return remember_dir_times(u, path, e, err);
	struct timespec times[2] = {
		{archive_entry_atime(e), archive_entry_atime_nsec(e)},
		{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
	};
	if (!archive_entry_atime_is_set(e))
		times[0] = times[1];
	if (futimens(fd, times) < 0)
		return mvm_err_sys(err, "layer entry `%s`: set times", path);
	return 0;
}

static int unpack_whiteout(struct unpack *u, int parent_fd, const char *name, const char *path,
			   mvm_error **err)
{
	if (strcmp(name, OPAQUE_NAME) == 0) {
		char host[XATTR_NAME_MAX + 1];
		if (override_xattr_host_name(OPAQUE_XATTR, host, sizeof(host)) < 0)
			return mvm_err(err, MVM_ERR_INVALID, 0, "opaque xattr name");
		cleanup_close int fd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsetxattr(fd, host, "y", 1, 0) < 0)
			return mvm_err_sys(err, "layer entry `%s`: mark the directory opaque", path);
		return 0;
	}
	const char *target = name + strlen(WHITEOUT_PREFIX);
	/* ".wh..wh.*" other than the opaque marker is aufs bookkeeping (hard
	 * link directories), never content. */
	if (strncmp(target, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return 0;
	if (*target == '\0' || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "layer entry `%s`: a whiteout of nothing",
			       path);
	if (make_room(parent_fd, target, false, path, err) < 0)
		return -1;
	cleanup_close int fd =
		openat(parent_fd, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return mvm_err_sys(err, "layer entry `%s`: create the whiteout", path);
	if (set_override(fd, 0, 0, S_IFCHR, true, makedev(0, 0)) < 0)
		return mvm_err_sys(err, "layer entry `%s`: set " OVERRIDE_STAT_XATTR, path);
	return 0;
}

static int unpack_hardlink(struct unpack *u, struct archive_entry *e, int parent_fd,
			   const char *name, const char *path, mvm_error **err)
{
	char target[PATH_MAX];
	if (clean_path(archive_entry_hardlink(e), target, sizeof(target), err) < 0)
		return mvm_err_wrap(err, "hard link `%s`", path);
	if (target[0] == '\0')
		return mvm_err(err, MVM_ERR_INVALID, 0, "layer entry `%s`: a hard link to the root",
			       path);
	const char *target_name;
	cleanup_close int target_parent = open_parent(u, target, &target_name, false, err);
	if (target_parent < 0)
		return mvm_err_wrap(err, "hard link `%s`", path);
	struct stat st;
	if (fstatat(target_parent, target_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return mvm_err_sys(err, "layer entry `%s`: its hard link target `%s`", path, target);
	if (!S_ISREG(st.st_mode))
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "layer entry `%s`: hard link to `%s`, which is not a file", path,
			       target);
	if (make_room(parent_fd, name, false, path, err) < 0)
		return -1;
	if (linkat(target_parent, target_name, parent_fd, name, 0) < 0)
		return mvm_err_sys(err, "layer entry `%s`: link to `%s`", path, target);
	/* A hard link entry may carry data (pax): it is the file's. */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
		cleanup_close int fd = openat(parent_fd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 0) < 0)
			return mvm_err_sys(err, "layer entry `%s`: open", path);
		return copy_data(u, fd, path, archive_entry_size(e), err);
	}
	return 0;
}

static int unpack_entry(struct unpack *u, struct archive_entry *e, mvm_error **err)
{
	const char *raw = archive_entry_pathname(e);
	if (raw == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "a layer entry without a name");
	char path[PATH_MAX];
	if (clean_path(raw, path, sizeof(path), err) < 0)
		return -1;
	mode_t type = archive_entry_filetype(e);
	if (path[0] == '\0') {
		/* "./": the layer's root, dest itself. */
		if (type != S_IFDIR)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "layer entry `%s`: the root is not a directory", raw);
		cleanup_close int fd = openat(u->dest_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return mvm_err_sys(err, "open the layer's directory");
		return finish_entry(u, e, fd, ".", type, err);
	}
	const char *name;
	cleanup_close int parent = open_parent(u, path, &name, true, err);
	if (parent < 0)
		return -1;
	if (strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return unpack_whiteout(u, parent, name, path, err);
	if (archive_entry_hardlink(e) != NULL)
		return unpack_hardlink(u, e, parent, name, path, err);

	int keep = make_room(parent, name, type == S_IFDIR, path, err);
	if (keep < 0)
		return -1;
	cleanup_close int fd = -1;
	switch (type) {
	case S_IFDIR:
		if (!keep && mkdirat(parent, name, 0700) < 0)
			return mvm_err_sys(err, "layer entry `%s`: mkdir", path);
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		break;
	case S_IFREG:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		/* Every kind but a directory is a regular file here (RDWR: its
		 * xattrs and times are set through the same fd). */
		fd = openat(parent, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		break;
	default:
		return mvm_err(err, MVM_ERR_INVALID, 0, "layer entry `%s`: unknown type 0%o", path,
			       (unsigned)type);
	}
	if (fd < 0)
		return mvm_err_sys(err, "layer entry `%s`: create", path);
	if (type == S_IFREG && copy_data(u, fd, path, archive_entry_size(e), err) < 0)
		return -1;
	if (type == S_IFLNK) {
		const char *target = archive_entry_symlink(e);
		size_t len = target ? strlen(target) : 0;
		if (len == 0 || len >= PATH_MAX)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "layer entry `%s`: a symlink target of %zu bytes", path, len);
		if (pwrite(fd, target, len, 0) != (ssize_t)len)
			return mvm_err_sys(err, "layer entry `%s`: write the symlink target", path);
	}
	return finish_entry(u, e, fd, path, type, err);
}

static int apply_dir_times(struct unpack *u, mvm_error **err)
{
	/* Deepest first would not matter: setting a directory's times does
	 * not change its parent's. */
	for (size_t i = 0; i < u->n_dirs; i++) {
		struct dir_time *d = &u->dirs[i];
		struct open_how how = {
			.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
				   RESOLVE_NO_XDEV,
		};
		long fd = syscall(SYS_openat2, u->dest_fd, d->path, &how, sizeof(how));
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue; /* replaced by a later entry */
			return mvm_err_sys(err, "layer entry `%s`: open", d->path);
		}
		int rc = futimens((int)fd, d->times);
		close((int)fd);
		if (rc < 0)
			return mvm_err_sys(err, "layer entry `%s`: set times", d->path);
	}
	return 0;
}

static int unpack_all(struct unpack *u, struct layer_unpack_stats *stats, mvm_error **err)
{
	int rc = 0;
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(u->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = mvm_err(err, MVM_ERR_INVALID, 0, "layer: %s",
				     archive_error_string(u->a) ? archive_error_string(u->a)
								 : "not a tar archive");
			break;
		}
		u->stats.entries++;
		if (unpack_entry(u, e, err) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		rc = apply_dir_times(u, err);
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	archive_read_free(u->a);
	if (stats)
		*stats = u->stats;
	return rc;
}

static struct archive *new_reader(mvm_error **err)
{
	struct archive *a = archive_read_new();
	if (a == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	/* Layers are tars, compressed or not (OCI image spec, "Layer"). */
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	return a;
}

int layer_unpack_fd(int archive_fd, int dest_fd, struct layer_unpack_stats *stats,
		    mvm_error **err)
{
	struct unpack u = {.dest_fd = dest_fd};
	u.a = new_reader(err);
	if (u.a == NULL)
		return -1;
	if (archive_read_open_fd(u.a, archive_fd, 1 << 16) != ARCHIVE_OK) {
		int rc = mvm_err(err, MVM_ERR_INVALID, 0, "layer: %s", archive_error_string(u.a));
		archive_read_free(u.a);
		return rc;
	}
	return unpack_all(&u, stats, err);
}

int layer_unpack_mem(const void *buf, size_t len, int dest_fd, struct layer_unpack_stats *stats,
		     mvm_error **err)
{
	struct unpack u = {.dest_fd = dest_fd};
	u.a = new_reader(err);
	if (u.a == NULL)
		return -1;
	if (archive_read_open_memory(u.a, buf, len) != ARCHIVE_OK) {
		int rc = mvm_err(err, MVM_ERR_INVALID, 0, "layer: %s", archive_error_string(u.a));
		archive_read_free(u.a);
		return rc;
	}
	return unpack_all(&u, stats, err);
}
