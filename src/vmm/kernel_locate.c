/* SPDX-License-Identifier: Apache-2.0 */
#include "util/cleanup.h"
#include "util/error.h"
#include "vmm/boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MVM_KERNEL_INSTALL_PATH
#define MVM_KERNEL_INSTALL_PATH "/usr/local/share/mvm/vmlinux"
#endif

static char *cache_kernel_path(void)
{
	char *p = NULL;
	const char *dir = getenv("MVM_CACHE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int r;
	if (dir && *dir)
		r = asprintf(&p, "%s/kernel/current/vmlinux", dir);
	else if (xdg && *xdg)
		r = asprintf(&p, "%s/mvm/kernel/current/vmlinux", xdg);
	else if (home && *home)
		r = asprintf(&p, "%s/.cache/mvm/kernel/current/vmlinux", home);
	else
		return NULL;
	return r < 0 ? NULL : p;
}

int kernel_locate(const struct mvm_config *cfg, char **path, mvm_error **err)
{
	if (cfg->kernel_path) {
		/* An explicit choice is never silently replaced by another. */
		if (access(cfg->kernel_path, R_OK) < 0)
			return mvm_err(err, MVM_ERR_INVALID, errno, "kernel `%s`", cfg->kernel_path);
		*path = strdup(cfg->kernel_path);
		return *path ? 0 : mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "kernel path");
	}
	const char *env = getenv("MVM_KERNEL");
	if (env && *env) {
		if (access(env, R_OK) < 0)
			return mvm_err(err, MVM_ERR_INVALID, errno, "kernel `%s` (from $MVM_KERNEL)",
				       env);
		*path = strdup(env);
		return *path ? 0 : mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "kernel path");
	}
	if (access(MVM_KERNEL_INSTALL_PATH, R_OK) == 0) {
		*path = strdup(MVM_KERNEL_INSTALL_PATH);
		return *path ? 0 : mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "kernel path");
	}
	cleanup_free char *cached = cache_kernel_path();
	if (cached && access(cached, R_OK) == 0) {
		*path = steal_pointer(&cached);
		return 0;
	}
	return mvm_err(err, MVM_ERR_INVALID, 0,
		       "no guest kernel found: tried $MVM_KERNEL (unset), %s and %s; run `make "
		       "kernel` or pass a kernel path",
		       MVM_KERNEL_INSTALL_PATH, cached ? cached : "the build cache (no $HOME)");
}
