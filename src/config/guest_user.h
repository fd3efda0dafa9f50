/* SPDX-License-Identifier: Apache-2.0 */
/* The guest program's user ("name", "uid", "name:group", "uid:gid") as
 * numeric ids, resolved in the contents of the guest root's /etc/passwd
 * and /etc/group the way docker and runc do. */
#ifndef MVM_CONFIG_GUEST_USER_H
#define MVM_CONFIG_GUEST_USER_H

#include "mvm.h"

#include <stdint.h>

/* passwd and group hold the files' text, or NULL when the root has none.
 * A uid alone takes its primary group from passwd, else 0. Names must be
 * found; ids above 2^32-2 are refused. */
int guest_user_resolve(const char *spec, const char *passwd, const char *group, uint32_t *uid,
		       uint32_t *gid, mvm_error **err);

#endif
