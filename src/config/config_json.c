/* SPDX-License-Identifier: Apache-2.0 */
/* The validated configuration as JSON: the CLI's --dry-run output. Key
 * names follow the reference's field names. */
#include "config/config_json.h"
#include "config/ipv4.h"
#include "config/port_spec.h"
#include "config/json_writer.h"
#include "util/error.h"
#include "vmm/vm.h"

#include <inttypes.h>
#include <stdio.h>
#include <errno.h>

static void write_lists(struct json_writer *w, const struct mvm_config *c)
{
	jw_key(w, "mapped_dirs");
	jw_begin_array(w);
	for (size_t i = 0; i < c->n_mapped_dirs; i++) {
		jw_begin_object(w);
		jw_key(w, "host");
		jw_string(w, c->mapped_dirs[i].host);
		jw_key(w, "guest");
		jw_string(w, c->mapped_dirs[i].guest);
		jw_end_object(w);
	}
	jw_end_array(w);

	jw_key(w, "port_map");
	jw_begin_array(w);
	for (size_t i = 0; i < c->n_ports; i++) {
		jw_begin_object(w);
		jw_key(w, "host");
		jw_uint(w, c->ports[i].host);
		jw_key(w, "guest");
		jw_uint(w, c->ports[i].guest);
		/* Only docker's longer forms add keys, so the reference's
		 * HOST:GUEST maps print exactly as before. */
		if (c->ports[i].bind_ip != PORT_SPEC_DEFAULT_BIND) {
			char ip[IPV4_STR_MAX];
			ipv4_format(c->ports[i].bind_ip, ip);
			jw_key(w, "host_ip");
			jw_string(w, ip);
		}
		if (c->ports[i].udp) {
			jw_key(w, "protocol");
			jw_string(w, "udp");
		}
		jw_end_object(w);
	}
	jw_end_array(w);

	jw_key(w, "rlimits");
	jw_begin_array(w);
	for (size_t i = 0; i < c->n_rlimits; i++) {
		jw_begin_object(w);
		jw_key(w, "resource");
		jw_string(w, mvm_rlimit_name(c->rlimits[i].resource));
		jw_key(w, "soft");
		jw_uint(w, c->rlimits[i].soft);
		jw_key(w, "hard");
		jw_uint(w, c->rlimits[i].hard);
		jw_end_object(w);
	}
	jw_end_array(w);
}

static void write_program(struct json_writer *w, const struct mvm_config *c)
{
	jw_key(w, "workdir_path");
	jw_string(w, c->workdir_path);
	jw_key(w, "exec_path");
	jw_string(w, c->exec_path);
	jw_key(w, "args");
	jw_begin_array(w);
	for (size_t i = 0; i < c->n_args; i++)
		jw_string(w, c->args[i]);
	jw_end_array(w);
	jw_key(w, "env");
	jw_begin_array(w);
	for (size_t i = 0; i < c->n_env; i++) {
		jw_begin_object(w);
		jw_key(w, "key");
		jw_string(w, c->env[i].key);
		jw_key(w, "value");
		jw_string(w, c->env[i].value);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_key(w, "tty");
	if (!c->tty) {
		jw_null(w);
	} else {
		jw_begin_object(w);
		jw_key(w, "rows");
		jw_uint(w, c->tty_rows);
		jw_key(w, "cols");
		jw_uint(w, c->tty_cols);
		jw_end_object(w);
	}
}

/* null, or what build() made of the image: its name and layers. */
static void write_image(struct json_writer *w, const struct config_image *im)
{
	jw_key(w, "image");
	if (im->ref == NULL) {
		jw_null(w);
		return;
	}
	jw_begin_object(w);
	jw_key(w, "ref");
	jw_string(w, im->ref);
	jw_key(w, "name");
	jw_string(w, im->name);
	jw_key(w, "store");
	jw_string(w, im->store_dir);
	jw_key(w, "layers");
	jw_begin_array(w);
	for (size_t i = 0; i < im->n_layers; i++)
		jw_string(w, im->layers[i]);
	jw_end_array(w);
	jw_key(w, "upper");
	jw_string(w, im->upper);
	jw_key(w, "tmpfs_upper");
	jw_bool(w, im->tmpfs_upper);
	jw_end_object(w);
}

char *config_json(const struct mvm_config *c, mvm_error **err)
{
	struct json_writer w = {0};
	jw_begin_object(&w);
	jw_key(&w, "log_level");
	jw_string(&w, mvm_log_level_name(c->log.level));
	jw_key(&w, "root_path");
	jw_string(&w, c->root_path);
	jw_key(&w, "num_vcpus");
	jw_uint(&w, c->num_vcpus);
	jw_key(&w, "ram_mib");
	jw_uint(&w, c->ram_mib);
	jw_key(&w, "dax_window_mib");
	jw_uint(&w, c->dax_window_mib);
	write_lists(&w, c);
	write_program(&w, c);
	jw_key(&w, "console_output");
	jw_string(&w, c->console_output);
	jw_key(&w, "vsock");
	jw_string(&w, c->vsock_path);
	jw_key(&w, "assigned_ip");
	if (c->has_assigned_ip) {
		char ip[IPV4_STR_MAX];
		ipv4_format(c->assigned_ip, ip);
		jw_string(&w, ip);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "local_only");
	jw_bool(&w, c->local_only);
	jw_key(&w, "share_mode");
	jw_string(&w, mvm_share_mode_name(c->share_mode));
	jw_key(&w, "share_modes");
	jw_begin_object(&w);
	for (size_t i = 0; i < c->n_share_modes; i++) {
		jw_key(&w, c->share_modes[i].guest);
		jw_string(&w, mvm_share_mode_name(c->share_modes[i].mode));
	}
	jw_end_object(&w);
	jw_key(&w, "read_only");
	jw_begin_array(&w);
	for (size_t i = 0; i < c->n_read_only; i++)
		jw_string(&w, c->read_only[i]);
	jw_end_array(&w);
	jw_key(&w, "seccomp");
	jw_bool(&w, c->seccomp);
	jw_key(&w, "jail");
	jw_bool(&w, c->jail);
	jw_key(&w, "jail_user");
	if (c->has_jail_user) {
		char ids[32];
		snprintf(ids, sizeof(ids), "%" PRIu32 ":%" PRIu32, c->jail_uid, c->jail_gid);
		jw_string(&w, ids);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "hold");
	jw_bool(&w, c->hold);
	jw_key(&w, "publish_listening");
	if (c->publish_listening) {
		char ip[IPV4_STR_MAX];
		ipv4_format(c->publish_bind_ip, ip);
		jw_string(&w, ip);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "hostname");
	if (c->hostname)
		jw_string(&w, c->hostname);
	else
		jw_null(&w);
	jw_key(&w, "sysctls");
	jw_begin_array(&w);
	for (size_t i = 0; i < c->n_sysctls; i++)
		jw_string(&w, c->sysctls[i]);
	jw_end_array(&w);
	jw_key(&w, "guest_files");
	jw_begin_array(&w);
	for (size_t i = 0; i < c->n_files; i++) {
		jw_begin_object(&w);
		jw_key(&w, "path");
		jw_string(&w, c->files[i].path);
		jw_key(&w, "mode");
		jw_uint(&w, c->files[i].mode);
		jw_key(&w, "size");
		jw_uint(&w, c->files[i].len);
		jw_key(&w, "readonly");
		jw_bool(&w, c->files[i].readonly);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "tmpfs");
	jw_begin_array(&w);
	for (size_t i = 0; i < c->n_tmpfs; i++) {
		jw_begin_object(&w);
		jw_key(&w, "path");
		jw_string(&w, c->tmpfs[i].path);
		jw_key(&w, "flags");
		jw_uint(&w, c->tmpfs[i].flags);
		jw_key(&w, "data");
		jw_string(&w, c->tmpfs[i].data);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "groups");
	jw_begin_array(&w);
	for (size_t i = 0; i < c->n_groups; i++)
		jw_uint(&w, c->groups[i]);
	jw_end_array(&w);
	jw_key(&w, "user");
	if (c->has_ids) {
		char ids[32];
		snprintf(ids, sizeof(ids), "%" PRIu32 ":%" PRIu32, c->uid, c->gid);
		jw_string(&w, ids);
	} else {
		jw_null(&w);
	}
	write_image(&w, &c->image);
	jw_end_object(&w);
	char *text = jw_finish(&w);
	if (text == NULL)
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot format the VM configuration as JSON");
	return text;
}

char *mvm_vm_config_json(const mvm_vm *vm, mvm_error **err)
{
	if (vm == NULL) {
		mvm_err(err, MVM_ERR_INVALID, 0, "cannot format the configuration: the VM is NULL");
		return NULL;
	}
	return config_json(&vm->cfg, err);
}
