/* SPDX-License-Identifier: Apache-2.0 */
/* "USER[:GROUP]" as `docker exec -u` takes it, resolved in the guest's
 * own files when a program starts (MVM_CFG_USER_NAME). */
#ifndef MVM_INIT_USER_H
#define MVM_INIT_USER_H

#include <stddef.h>
#include <stdint.h>

/* USER and GROUP are each a name or a decimal id. A USER name gives its
 * uid and, without GROUP, its primary gid from `passwd`; a numeric USER
 * without GROUP takes the gid of the first `passwd` entry with that uid,
 * or 0 (docker's rule). A GROUP name is looked up in `group`. Returns 0,
 * or -1 with a message naming the value in why. */
int init_user_resolve(const char *spec, const char *passwd, const char *group, uint32_t *uid,
		      uint32_t *gid, char *why, size_t why_len);

#endif
