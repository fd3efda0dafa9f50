/* SPDX-License-Identifier: Apache-2.0 */
/* The virtual-ownership share mode (docs/fuse.md): owner, group, full mode
 * and the type of special files live in OVERRIDE_STAT_XATTR on host files
 * that all belong to the user running the VMM; the guest's own xattrs are
 * kept apart from the host's namespaces. Also the attribute read every
 * reply goes through, in both modes. */
#include "fuse/fuse_internal.h"
#include "util/override_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Only regular files and directories can hold user.* xattrs (Linux refuses
 * them on symlinks and special files), so only they can have an override.
 * Returns 0 with *found, or -errno when the host cannot answer. */
static int read_override(int fd, mode_t host_type, struct override_stat *o, bool *found)
{
	*found = false;
	if (!S_ISREG(host_type) && !S_ISDIR(host_type))
		return 0;
	char path[32], buf[OVERRIDE_STAT_MAX];
	fuse_proc_path(path, fd);
	ssize_t n = getxattr(path, OVERRIDE_STAT_XATTR, buf, sizeof(buf));
	if (n < 0) {
		/* ERANGE: longer than any value we accept, so malformed. */
		if (errno == ENODATA || errno == ERANGE || errno == ENOTSUP)
			return 0;
		return -errno;
	}
	*found = override_stat_parse(buf, (size_t)n, o) == 0;
	return 0;
}

/* A type in the xattr stands only for a host regular file: a host
 * directory or symlink is never shown as something else. A "symlink" is
 * one of ours: the file holds the target (fuse_ops_entry.c). */
void fuse_virt_apply(struct stat *st, const struct override_stat *o)
{
	st->st_uid = o->uid;
	st->st_gid = o->gid;
	mode_t type = st->st_mode & S_IFMT;
	if (o->has_type && S_ISREG(type)) {
		mode_t t = o->mode & S_IFMT;
		if (t == S_IFCHR || t == S_IFBLK || t == S_IFIFO || t == S_IFSOCK || t == S_IFLNK) {
			type = t;
			st->st_rdev = (t == S_IFCHR || t == S_IFBLK) ? o->rdev : 0;
		}
	}
	st->st_mode = type | (o->mode & 07777);
}

int fuse_guest_view(struct fuse_server *s, int fd, struct stat *st)
{
	if (!s->virtual_owner)
		return 0;
	struct override_stat o;
	bool found;
	int rc = read_override(fd, st->st_mode & S_IFMT, &o, &found);
	if (rc == 0 && found)
		fuse_virt_apply(st, &o);
	return rc;
}

int fuse_stat_fd(struct fuse_server *s, int fd, struct stat *st)
{
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return fuse_guest_view(s, fd, st);
}

int fuse_stat_inode(struct fuse_server *s, const struct fuse_inode *i, struct stat *st)
{
	return fuse_stat_fd(s, i->fd, st);
}

int fuse_virt_get(struct fuse_server *s, int fd, struct override_stat *o)
{
	struct stat st;
	int rc = fuse_stat_fd(s, fd, &st);
	if (rc)
		return rc;
	*o = (struct override_stat){
	    .uid = st.st_uid,
	    .gid = st.st_gid,
	    .mode = st.st_mode,
	    .has_type = true,
	    .rdev = st.st_rdev,
	};
	return 0;
}

int fuse_virt_set(int fd, mode_t host_type, const struct override_stat *o)
{
	if (!S_ISREG(host_type) && !S_ISDIR(host_type))
		return -EPERM;
	/* The type is written only where it differs from the host's, so that
	 * older readers of the three-field form still understand the rest. */
	struct override_stat w = *o;
	w.has_type = (o->mode & S_IFMT) != host_type;
	char path[32], buf[OVERRIDE_STAT_MAX];
	fuse_proc_path(path, fd);
	size_t n = override_stat_format(&w, buf);
	return setxattr(path, OVERRIDE_STAT_XATTR, buf, n, 0) < 0 ? -errno : 0;
}

int fuse_virt_new_owner(struct fuse_op *op, struct fuse_inode *parent, mode_t mode,
			struct override_stat *o)
{
	uint32_t uid = op->hdr->uid, gid = op->hdr->gid;
	if (uid == UINT32_MAX || gid == UINT32_MAX)
		return -EOVERFLOW; /* ids the guest kernel could not map */
	struct override_stat p;
	int rc = fuse_virt_get(op->s, parent->fd, &p);
	if (rc)
		return rc;
	/* A setgid directory hands on its group, and to directories its bit. */
	if (p.mode & S_ISGID) {
		gid = p.gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	*o = (struct override_stat){.uid = uid, .gid = gid, .mode = mode, .has_type = true};
	return 0;
}

/* Guest name -> host name (util/override_stat.h). In passthrough the
 * names stay as they are, but for ours and the override itself, which the
 * guest must not be able to set there either: a later virtual-ownership
 * run would believe them. */
int fuse_xattr_host_name(const struct fuse_server *s, const char *guest, char *host,
			 size_t host_len)
{
	if (s->virtual_owner)
		return override_xattr_host_name(guest, host, host_len);
	if (override_xattr_reserved(guest))
		return -EPERM;
	int n = snprintf(host, host_len, "%s", guest);
	return n < 0 || (size_t)n >= host_len ? -ERANGE : 0;
}

/* Host name -> guest name, or NULL for host xattrs the guest never sees. */
static const char *guest_name(const struct fuse_server *s, const char *host)
{
	if (!s->virtual_owner)
		return override_xattr_reserved(host) ? NULL : host;
	if (strncmp(host, OVERRIDE_GUEST_XATTR_PREFIX, strlen(OVERRIDE_GUEST_XATTR_PREFIX)) == 0)
		return host + strlen(OVERRIDE_GUEST_XATTR_PREFIX);
	if (strcmp(host, OVERRIDE_STAT_XATTR) == 0 || strncmp(host, "user.", 5) != 0)
		return NULL;
	return host;
}

size_t fuse_xattr_guest_list(const struct fuse_server *s, char *list, size_t len)
{
	size_t out = 0;
	for (size_t pos = 0; pos < len;) {
		const char *name = list + pos;
		size_t n = strnlen(name, len - pos);
		pos += n + 1;
		if (pos > len)
			break; /* no NUL: not a name */
		const char *g = guest_name(s, name);
		if (!g)
			continue;
		size_t gl = strlen(g) + 1;
		memmove(list + out, g, gl); /* gl <= n + 1 and out <= start of name */
		out += gl;
	}
	return out;
}
