/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_CONFIG_GUEST_PATH_H
#define MVM_CONFIG_GUEST_PATH_H

#include "mvm.h"

#include <stdbool.h>

/* Normalises an absolute guest path lexically: `.` and empty components are
 * dropped, `..` removes the previous component, and the result has no
 * trailing `/` ("/a//b/./c/../" -> "/a/b"). The guest's tree is not on the
 * host, so nothing is resolved against the host filesystem.
 * Returns a new string, or NULL with err for a relative path or one that
 * climbs above `/` ("/a/../.."). `what` names the setting in messages. */
char *guest_path_normalize(const char *path, const char *what, mvm_error **err);

/* True if `inner` equals `outer` or lies below it. Both normalised:
 * "/app" contains "/app/data" but not "/application". */
bool guest_path_contains(const char *outer, const char *inner);

#endif
