/* SPDX-License-Identifier: Apache-2.0 */
/* A tmpfs's options, as mount(8) and OCI configs write them, checked on
 * the host and split into the flags and data mvm-init mounts with. */
#ifndef MVM_CONFIG_TMPFS_H
#define MVM_CONFIG_TMPFS_H

#include "mvm.h"

#include <stdint.h>

/* "nosuid,nodev,mode=1777,size=64m": flags (nosuid, nodev, noexec, ro,
 * noatime, strictatime, relatime, nodiratime; their opposites and rw are
 * the defaults and dropped) become MVM_TMPFS_* bits, and mode= (octal),
 * size= and nr_inodes= (a number with k, m, g or % for size), uid= and
 * gid= are kept in *data (allocated, maybe ""). Anything else is an
 * error naming the option. */
int config_tmpfs_options(const char *opts, uint32_t *flags, char **data, mvm_error **err);

#endif
