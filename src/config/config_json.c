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
	json_key(w, "mapped_dirs");
	json_begin_array(w);
	for (size_t i = 0; i < c->n_mapped_dirs; i++) {
		json_begin_object(w);
		json_key(w, "host");
		json_string(w, c->mapped_dirs[i].host);
		json_key(w, "guest");
		json_string(w, c->mapped_dirs[i].guest);
		json_end_object(w);
	}
	json_end_array(w);

	json_key(w, "port_map");
	json_begin_array(w);
	for (size_t i = 0; i < c->n_ports; i++) {
		json_begin_object(w);
		json_key(w, "host");
		json_uint(w, c->ports[i].host);
		json_key(w, "guest");
		json_uint(w, c->ports[i].guest);
		/* Only docker's longer forms add keys, so the reference's
		 * HOST:GUEST maps print exactly as before. */
		if (c->ports[i].bind_ip != PORT_SPEC_DEFAULT_BIND) {
			char ip[IPV4_STR_MAX];
			ipv4_format(c->ports[i].bind_ip, ip);
			json_key(w, "host_ip");
			json_string(w, ip);
		}
		if (c->ports[i].udp) {
			json_key(w, "protocol");
			json_string(w, "udp");
		}
		json_end_object(w);
	}
	json_end_array(w);

	json_key(w, "rlimits");
	json_begin_array(w);
	for (size_t i = 0; i < c->n_rlimits; i++) {
		json_begin_object(w);
		json_key(w, "resource");
		json_string(w, mvm_rlimit_name(c->rlimits[i].resource));
		json_key(w, "soft");
		json_uint(w, c->rlimits[i].soft);
		json_key(w, "hard");
		json_uint(w, c->rlimits[i].hard);
		json_end_object(w);
	}
	json_end_array(w);
}

static void write_program(struct json_writer *w, const struct mvm_config *c)
{
	json_key(w, "workdir_path");
	json_string(w, c->workdir_path);
	json_key(w, "exec_path");
	json_string(w, c->exec_path);
	json_key(w, "args");
	json_begin_array(w);
	for (size_t i = 0; i < c->n_args; i++)
		json_string(w, c->args[i]);
	json_end_array(w);
	json_key(w, "env");
	json_begin_array(w);
	for (size_t i = 0; i < c->n_env; i++) {
		json_begin_object(w);
		json_key(w, "key");
		json_string(w, c->env[i].key);
		json_key(w, "value");
		json_string(w, c->env[i].value);
		json_end_object(w);
	}
	json_end_array(w);
}

char *config_json(const struct mvm_config *c, mvm_error **err)
{
	struct json_writer w = {0};
	json_begin_object(&w);
	json_key(&w, "log_level");
	json_string(&w, mvm_log_level_name(c->log.level));
	json_key(&w, "root_path");
	json_string(&w, c->root_path);
	json_key(&w, "num_vcpus");
	json_uint(&w, c->num_vcpus);
	json_key(&w, "ram_mib");
	json_uint(&w, c->ram_mib);
	write_lists(&w, c);
	write_program(&w, c);
	json_key(&w, "console_output");
	json_string(&w, c->console_output);
	json_key(&w, "assigned_ip");
	if (c->has_assigned_ip) {
		char ip[IPV4_STR_MAX];
		ipv4_format(c->assigned_ip, ip);
		json_string(&w, ip);
	} else {
		json_null(&w);
	}
	json_key(&w, "local_only");
	json_bool(&w, c->local_only);
	json_key(&w, "share_mode");
	json_string(&w, mvm_share_mode_name(c->share_mode));
	json_key(&w, "share_modes");
	json_begin_object(&w);
	for (size_t i = 0; i < c->n_share_modes; i++) {
		json_key(&w, c->share_modes[i].guest);
		json_string(&w, mvm_share_mode_name(c->share_modes[i].mode));
	}
	json_end_object(&w);
	json_key(&w, "seccomp");
	json_bool(&w, c->seccomp);
	json_key(&w, "jail");
	json_bool(&w, c->jail);
	json_key(&w, "jail_user");
	if (c->has_jail_user) {
		char ids[32];
		snprintf(ids, sizeof(ids), "%" PRIu32 ":%" PRIu32, c->jail_uid, c->jail_gid);
		json_string(&w, ids);
	} else {
		json_null(&w);
	}
	json_end_object(&w);
	char *text = json_finish(&w);
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
