/* SPDX-License-Identifier: Apache-2.0 */
/* Life cycle of struct mvm_config: defaults, deep copy, release. */
#include "config/config.h"

#include <errno.h>
#include "util/error.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mvm_config_init(struct mvm_config *c)
{
	/* Defaults of the reference: log off, 1 vCPU, local-only on ("default
	 * should be true for security"). RAM and root have no default. */
	*c = (struct mvm_config){
	    .log = {.level = MVM_LOG_OFF},
	    .num_vcpus = 1,
	    .dax_window_mib = MVM_DEFAULT_DAX_WINDOW_MIB,
	    .local_only = true,
	    .seccomp = true,
	    .jail = true,
	    .stdin_fd = 0,
	    .stdout_fd = 1,
	    .stderr_fd = 2,
	    .image = {.hold_fd = -1},
	};
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void config_image_clear(struct config_image *im)
{
	free(im->ref);
	free(im->store);
	free(im->upper);
	free_strings(im->entrypoint, im->n_entrypoint);
	free(im->name);
	free(im->store_dir);
	free_strings(im->layers, im->n_layers);
	if (im->hold_fd >= 0)
		close(im->hold_fd);
}

void mvm_config_clear(struct mvm_config *c)
{
	if (c == NULL)
		return;
	free(c->root_path);
	for (size_t i = 0; i < c->n_mapped_dirs; i++)
		mvm_path_pair_clear(&c->mapped_dirs[i]);
	free(c->mapped_dirs);
	for (size_t i = 0; i < c->n_share_modes; i++)
		free(c->share_modes[i].guest);
	free(c->share_modes);
	free(c->ports);
	free(c->rlimits);
	free(c->workdir_path);
	free(c->exec_path);
	for (size_t i = 0; i < c->n_args; i++)
		free(c->args[i]);
	free(c->args);
	for (size_t i = 0; i < c->n_env; i++)
		mvm_env_pair_clear(&c->env[i]);
	free(c->env);
	free(c->console_output);
	free(c->vsock_path);
	free(c->kernel_path);
	config_image_clear(&c->image);
	free(c->hostname);
	for (size_t i = 0; i < c->n_sysctls; i++)
		free(c->sysctls[i]);
	free(c->sysctls);
	for (size_t i = 0; i < c->n_files; i++) {
		free(c->files[i].path);
		free(c->files[i].data);
	}
	free(c->files);
	for (size_t i = 0; i < c->n_tmpfs; i++) {
		free(c->tmpfs[i].path);
		free(c->tmpfs[i].data);
	}
	free(c->tmpfs);
	free(c->groups);
	for (size_t i = 0; i < c->n_read_only; i++)
		free(c->read_only[i]);
	free(c->read_only);
	free(c->user);
	mvm_config_init(c);
}

/* strdup that keeps NULL as NULL; false only on allocation failure. */
static bool dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

/* calloc-backed copy of a plain array; n == 0 yields NULL. */
static bool dup_array(void **dst, const void *src, size_t n, size_t elem)
{
	*dst = NULL;
	if (n == 0)
		return true;
	*dst = calloc(n, elem);
	if (*dst == NULL)
		return false;
	memcpy(*dst, src, n * elem);
	return true;
}

static bool copy_strings(struct mvm_config *dst, const struct mvm_config *src)
{
	if (!dup_opt(&dst->root_path, src->root_path) ||
	    !dup_opt(&dst->workdir_path, src->workdir_path) ||
	    !dup_opt(&dst->exec_path, src->exec_path) ||
	    !dup_opt(&dst->console_output, src->console_output) ||
	    !dup_opt(&dst->vsock_path, src->vsock_path) ||
	    !dup_opt(&dst->kernel_path, src->kernel_path) || !dup_opt(&dst->user, src->user) ||
	    !dup_opt(&dst->hostname, src->hostname) ||
	    !dup_opt(&dst->image.ref, src->image.ref) ||
	    !dup_opt(&dst->image.store, src->image.store) ||
	    !dup_opt(&dst->image.upper, src->image.upper))
		return false;
	dst->image.has_entrypoint = src->image.has_entrypoint;
	dst->image.tmpfs_upper = src->image.tmpfs_upper;
	dst->image.tmpfs_set = src->image.tmpfs_set;
	if (src->image.n_entrypoint) {
		dst->image.entrypoint = calloc(src->image.n_entrypoint, sizeof(char *));
		if (dst->image.entrypoint == NULL)
			return false;
		for (size_t i = 0; i < src->image.n_entrypoint; i++) {
			bool ok = dup_opt(&dst->image.entrypoint[i], src->image.entrypoint[i]);
			dst->image.n_entrypoint++;
			if (!ok)
				return false;
		}
	}
	return true;
}

/* Each list is copied element by element; the count is raised only after an
 * element is complete, so mvm_config_clear() can release a partial copy. */
static bool copy_lists(struct mvm_config *dst, const struct mvm_config *src)
{
	if (src->n_mapped_dirs) {
		dst->mapped_dirs = calloc(src->n_mapped_dirs, sizeof(*dst->mapped_dirs));
		if (dst->mapped_dirs == NULL)
			return false;
		for (size_t i = 0; i < src->n_mapped_dirs; i++) {
			mvm_path_pair *d = &dst->mapped_dirs[i];
			bool ok = dup_opt(&d->host, src->mapped_dirs[i].host) &&
				  dup_opt(&d->guest, src->mapped_dirs[i].guest);
			dst->n_mapped_dirs++;
			if (!ok)
				return false;
		}
	}
	if (src->n_share_modes) {
		dst->share_modes = calloc(src->n_share_modes, sizeof(*dst->share_modes));
		if (dst->share_modes == NULL)
			return false;
		for (size_t i = 0; i < src->n_share_modes; i++) {
			dst->share_modes[i].mode = src->share_modes[i].mode;
			bool ok = dup_opt(&dst->share_modes[i].guest, src->share_modes[i].guest);
			dst->n_share_modes++;
			if (!ok)
				return false;
		}
	}
	if (src->n_args) {
		dst->args = calloc(src->n_args, sizeof(*dst->args));
		if (dst->args == NULL)
			return false;
		for (size_t i = 0; i < src->n_args; i++) {
			bool ok = dup_opt(&dst->args[i], src->args[i]);
			dst->n_args++;
			if (!ok)
				return false;
		}
	}
	if (src->n_env) {
		dst->env = calloc(src->n_env, sizeof(*dst->env));
		if (dst->env == NULL)
			return false;
		for (size_t i = 0; i < src->n_env; i++) {
			bool ok = dup_opt(&dst->env[i].key, src->env[i].key) &&
				  dup_opt(&dst->env[i].value, src->env[i].value);
			dst->n_env++;
			if (!ok)
				return false;
		}
	}
	if (src->n_sysctls) {
		dst->sysctls = calloc(src->n_sysctls, sizeof(*dst->sysctls));
		if (dst->sysctls == NULL)
			return false;
		for (size_t i = 0; i < src->n_sysctls; i++) {
			bool ok = dup_opt(&dst->sysctls[i], src->sysctls[i]);
			dst->n_sysctls++;
			if (!ok)
				return false;
		}
	}
	if (src->n_files) {
		dst->files = calloc(src->n_files, sizeof(*dst->files));
		if (dst->files == NULL)
			return false;
		for (size_t i = 0; i < src->n_files; i++) {
			const struct config_file *f = &src->files[i];
			struct config_file *d = &dst->files[i];
			*d = (struct config_file){.len = f->len, .mode = f->mode, .readonly = f->readonly};
			d->data = malloc(f->len ? f->len : 1);
			bool ok = dup_opt(&d->path, f->path) && d->data;
			if (d->data)
				memcpy(d->data, f->data, f->len);
			dst->n_files++;
			if (!ok)
				return false;
		}
	}
	if (src->n_tmpfs) {
		dst->tmpfs = calloc(src->n_tmpfs, sizeof(*dst->tmpfs));
		if (dst->tmpfs == NULL)
			return false;
		for (size_t i = 0; i < src->n_tmpfs; i++) {
			const struct config_tmpfs *t = &src->tmpfs[i];
			struct config_tmpfs *d = &dst->tmpfs[i];
			d->flags = t->flags;
			bool ok = dup_opt(&d->path, t->path) && dup_opt(&d->data, t->data);
			dst->n_tmpfs++;
			if (!ok)
				return false;
		}
	}
	if (src->n_read_only) {
		dst->read_only = calloc(src->n_read_only, sizeof(*dst->read_only));
		if (dst->read_only == NULL)
			return false;
		for (size_t i = 0; i < src->n_read_only; i++) {
			bool ok = dup_opt(&dst->read_only[i], src->read_only[i]);
			dst->n_read_only++;
			if (!ok)
				return false;
		}
	}
	if (!dup_array((void **)&dst->groups, src->groups, src->n_groups, sizeof(*src->groups)))
		return false;
	dst->n_groups = src->n_groups;
	if (!dup_array((void **)&dst->ports, src->ports, src->n_ports, sizeof(*src->ports)))
		return false;
	dst->n_ports = src->n_ports;
	if (!dup_array((void **)&dst->rlimits, src->rlimits, src->n_rlimits, sizeof(*src->rlimits)))
		return false;
	dst->n_rlimits = src->n_rlimits;
	return true;
}

mvm_share_mode config_share_mode_of(const struct mvm_config *c, const char *guest)
{
	for (size_t i = 0; i < c->n_share_modes; i++)
		if (strcmp(c->share_modes[i].guest, guest) == 0)
			return c->share_modes[i].mode;
	return c->share_mode;
}

bool config_read_only_of(const struct mvm_config *c, const char *guest)
{
	for (size_t i = 0; i < c->n_read_only; i++)
		if (strcmp(c->read_only[i], guest) == 0)
			return true;
	return false;
}

int mvm_config_copy(struct mvm_config *dst, const struct mvm_config *src, mvm_error **err)
{
	mvm_config_init(dst);
	dst->log = src->log;
	dst->num_vcpus = src->num_vcpus;
	dst->ram_mib = src->ram_mib;
	dst->ram_set = src->ram_set;
	dst->dax_window_mib = src->dax_window_mib;
	dst->tty = src->tty;
	dst->tty_rows = src->tty_rows;
	dst->tty_cols = src->tty_cols;
	dst->has_assigned_ip = src->has_assigned_ip;
	dst->assigned_ip = src->assigned_ip;
	dst->local_only = src->local_only;
	dst->publish_listening = src->publish_listening;
	dst->hold = src->hold;
	dst->publish_bind_ip = src->publish_bind_ip;
	dst->share_mode = src->share_mode;
	dst->seccomp = src->seccomp;
	dst->jail = src->jail;
	dst->has_jail_user = src->has_jail_user;
	dst->jail_uid = src->jail_uid;
	dst->jail_gid = src->jail_gid;
	dst->stdin_fd = src->stdin_fd;
	dst->stdout_fd = src->stdout_fd;
	dst->stderr_fd = src->stderr_fd;
	if (!copy_strings(dst, src) || !copy_lists(dst, src)) {
		mvm_config_clear(dst);
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot copy the VM configuration");
	}
	return 0;
}
