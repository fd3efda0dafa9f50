/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `user.containers.override_stat` xattr: what a guest (or a rootless
 * container) believes about a file that really belongs to the user running
 * the VMM. The convention is shared with containers/storage, fuse-overlayfs
 * and libkrun, so podman and buildah read what we write:
 *
 *   UID:GID:MODE[:TYPE]
 *
 * UID and GID decimal, MODE octal (permission bits 07777; a MODE that also
 * carries S_IFMT bits, as libkrun writes, names the type too), TYPE one of
 * file, dir, symlink, pipe, socket, block-MAJOR-MINOR, char-MAJOR-MINOR.
 * The value is untrusted (anyone who can write the host file can set it):
 * parsing is strict and a value that is not exactly this is ignored.
 */
#ifndef MVM_UTIL_OVERRIDE_STAT_H
#define MVM_UTIL_OVERRIDE_STAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OVERRIDE_STAT_XATTR "user.containers.override_stat"
/* The guest's xattrs that must not land in a host namespace as they are go
 * under this prefix: "security.capability" is stored as
 * "user.mvm.security.capability". */
#define OVERRIDE_GUEST_XATTR_PREFIX "user.mvm."
/* Longest value we write or accept: "4294967294:4294967294:0177777:char-4095-1048575". */
#define OVERRIDE_STAT_MAX 64

struct override_stat {
	uint32_t uid, gid;
	mode_t mode; /* permission bits (07777) | S_IFMT when has_type */
	bool has_type;
	dev_t rdev; /* S_IFCHR and S_IFBLK only */
};

/* Parses len bytes (one trailing NUL allowed). Returns 0, or -1 when the
 * value is malformed. */
int override_stat_parse(const char *buf, size_t len, struct override_stat *o);

/* Formats o into buf (NUL-terminated) and returns the length without the
 * NUL. The TYPE field is written only when o->has_type. */
size_t override_stat_format(const struct override_stat *o, char buf[OVERRIDE_STAT_MAX]);

/* The mode a host file or directory gets for a guest mode: never setuid,
 * setgid or sticky on the host, and always usable by the user running the
 * VMM (the guest kernel checks the guest's permissions). */
mode_t override_host_mode(mode_t guest_mode, bool dir);

/* Whether a host xattr name is one of ours (the override itself, or under
 * OVERRIDE_GUEST_XATTR_PREFIX), which a guest must never set directly. */
bool override_xattr_reserved(const char *host_name);

/* The host name under which a guest xattr is kept in the virtual mode:
 * user.* stays as it is except our reserved names, which move under the
 * prefix like security.* and trusted.*, so the host kernel never acts on
 * them (a capability, an SELinux label). Returns 0, -EOPNOTSUPP for other
 * namespaces (system.*: POSIX ACLs would be the host's) or -ERANGE when
 * host_len is too small. */
int override_xattr_host_name(const char *guest, char *host, size_t host_len);

#endif
