/* SPDX-License-Identifier: Apache-2.0 */
/* /etc/resolv.conf for the slirp DNS forwarder. mvm-init only ever writes
 * a file it owns: one that is absent or whose first line is
 * INIT_RESOLV_MARKER. A user's own resolv.conf (any other content, a
 * symlink, an empty file) is never touched. A root that cannot be written
 * (read-only mount, or the host denies it) is left alone as well. */
#ifndef MVM_INIT_RESOLV_H
#define MVM_INIT_RESOLV_H

#include <stddef.h>
#include <stdint.h>

#define INIT_RESOLV_MARKER "# written by mvm-init"

enum init_resolv_decision {
	INIT_RESOLV_WRITE,     /* absent, or mvm-init's own file */
	INIT_RESOLV_KEEP_USER, /* the user's file: left as is */
};

/* Looks at `path` only (lstat + first line); writes nothing. An unreadable
 * or strange entry counts as the user's. */
enum init_resolv_decision init_resolv_decide(const char *path);

enum init_resolv_result {
	INIT_RESOLV_WROTE,
	INIT_RESOLV_KEPT_USER,
	INIT_RESOLV_READ_ONLY, /* EROFS, EACCES or EPERM: the root is not writable */
	INIT_RESOLV_FAILED,    /* anything else; errno is set */
};

/* Writes "<marker>\nnameserver <dns>\n" to `path` (through a temporary
 * file in the same directory and rename(), so a reader never sees half a
 * file) when init_resolv_decide() says so. dns_be: network byte order. */
enum init_resolv_result init_resolv_update(const char *path, uint32_t dns_be);

#endif
