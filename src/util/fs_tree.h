/* SPDX-License-Identifier: Apache-2.0 */
/* Whole directory trees below a directory fd, never following a symlink. */
#ifndef MVM_UTIL_FS_TREE_H
#define MVM_UTIL_FS_TREE_H

#include "mvm.h"

#include <stdint.h>

/* mkdir -p: each missing directory of path made with mode 0700. The error
 * names the one that could not be made. */
int fs_mkdir_p(const char *path, mvm_error **err);

/* Removes name below dir_fd, a whole tree if it is a directory. 0 also
 * when it does not exist; -1 with errno. Recursion depth is that of the
 * tree, which callers bound (paths of at most PATH_MAX). */
int fs_remove_tree(int dir_fd, const char *name);

/* Bytes path (below dir_fd) takes on disk (st_blocks), a whole tree for a
 * directory; 0 when it cannot be read. */
uint64_t fs_disk_use(int dir_fd, const char *path);

#endif
