/* SPDX-License-Identifier: Apache-2.0 */
/* Short names as podman resolves them (containers-registries.conf(5)).
 * The first file that exists is read: $CONTAINERS_REGISTRIES_CONF (which
 * then must exist), ${XDG_CONFIG_HOME:-$HOME/.config}/containers/
 * registries.conf, /etc/containers/registries.conf. Two things in it
 * count: the top-level `unqualified-search-registries = ["host[:port]"]`
 * and the `[aliases]` table of `"short/name" = "registry/repo"`. Every
 * other key and table is skipped, and so are the drop-ins of
 * registries.conf.d; short-name-mode is not honoured, as mvm never
 * prompts: it tries the search registries in order, podman's permissive
 * mode. */
#ifndef MVM_IMAGE_REGISTRIES_H
#define MVM_IMAGE_REGISTRIES_H

#include "mvm.h"

#include <stddef.h>

/* The full references (image_ref_format's) name may stand for, in the
 * order to try them: name itself if it names its registry; else its
 * alias's target, with name's own tag or digest; else name under each
 * search registry, or under docker.io when the file sets none. *out and
 * its strings are malloc'd; free them with image_ref_candidates_free().
 * -1 for a name image_ref_parse refuses or a file that cannot be read or
 * parsed (the message names the file and the line). */
int image_ref_candidates(const char *name, char ***out, size_t *n, mvm_error **err);

/* The same with the file's text given (NUL-terminated; NULL: no file),
 * named conf_path in messages: what the fuzz target drives. */
int image_ref_candidates_from(const char *name, const char *conf_text, const char *conf_path,
			      char ***out, size_t *n, mvm_error **err);

void image_ref_candidates_free(char **list, size_t n);

/* The last file looked for. A variable so that tests need not depend on
 * the host's /etc. */
extern const char *registries_system_conf;

#endif
