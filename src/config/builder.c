/* SPDX-License-Identifier: Apache-2.0 */
/* Setters of the public builder. They only store; the rules that span
 * several settings or touch the host filesystem run in build(), so that
 * build() can report every problem at once. The string forms are parsed
 * here, because a string that does not parse has nothing to store. */
#include "config/builder.h"
#include "config/port_spec.h"

#include "config/guest_path.h"
#include "config/ipv4.h"
#include "config/tmpfs.h"
#include "guest/protocol.h"
#include "util/cleanup.h"
#include "util/error.h"

#include <inttypes.h>
#include <errno.h>
#include <string.h>

mvm_builder *mvm_builder_new(void)
{
	mvm_builder *b = calloc(1, sizeof(*b));
	if (b != NULL)
		mvm_config_init(&b->cfg);
	return b;
}

void mvm_builder_free(mvm_builder *b)
{
	if (b == NULL)
		return;
	mvm_config_clear(&b->cfg);
	free(b);
}

/* Every setter starts here: a NULL builder or string is a caller bug, but
 * still an error, never a crash. */
static int check_builder(const mvm_builder *b, const char *what, mvm_error **err)
{
	if (b == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "cannot set %s: the builder is NULL", what);
	return 0;
}

static int check_args(const mvm_builder *b, const void *value, const char *what, mvm_error **err)
{
	if (check_builder(b, what, err) < 0)
		return -1;
	if (value == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "cannot set %s to NULL", what);
	return 0;
}

static int replace_string(char **slot, const char *value, const char *what, mvm_error **err)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot store %s `%s`", what, value);
	free(*slot);
	*slot = copy;
	return 0;
}

static int set_string(mvm_builder *b, char **slot, const char *value, const char *what,
		      mvm_error **err)
{
	if (check_args(b, value, what, err) < 0)
		return -1;
	return replace_string(slot, value, what, err);
}

/* Grows a list by one element; returns the new (zeroed) slot or NULL. */
static void *append_slot(void **items, size_t *count, size_t elem, const char *what,
			 mvm_error **err)
{
	char *n = realloc(*items, (*count + 1) * elem);
	if (n == NULL) {
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot add %s", what);
		return NULL;
	}
	*items = n;
	memset(n + *count * elem, 0, elem);
	return n + (*count)++ * elem;
}

int mvm_builder_log_level(mvm_builder *b, mvm_log_level level, mvm_error **err)
{
	if (check_builder(b, "the log level", err) < 0)
		return -1;
	if (mvm_log_level_name(level) == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid log level %d: expected MVM_LOG_OFF..MVM_LOG_TRACE",
			       (int)level);
	b->cfg.log.level = level;
	return 0;
}

int mvm_builder_log_callback(mvm_builder *b, mvm_log_fn fn, void *userdata, mvm_error **err)
{
	if (check_builder(b, "the log callback", err) < 0)
		return -1;
	b->cfg.log.fn = fn;
	b->cfg.log.userdata = userdata;
	return 0;
}

int mvm_builder_root_path(mvm_builder *b, const char *path, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.root_path : NULL, path, "the root path", err);
}

int mvm_builder_num_vcpus(mvm_builder *b, unsigned int n, mvm_error **err)
{
	if (check_builder(b, "the vCPU count", err) < 0)
		return -1;
	b->cfg.num_vcpus = n;
	return 0;
}

int mvm_builder_ram_mib(mvm_builder *b, uint32_t mib, mvm_error **err)
{
	if (check_builder(b, "the RAM size", err) < 0)
		return -1;
	b->cfg.ram_mib = mib;
	b->cfg.ram_set = true;
	return 0;
}

int mvm_builder_dax_window_mib(mvm_builder *b, uint32_t mib, mvm_error **err)
{
	if (check_builder(b, "the DAX window size", err) < 0)
		return -1;
	b->cfg.dax_window_mib = mib;
	return 0;
}

int mvm_builder_tty(mvm_builder *b, bool tty, unsigned rows, unsigned cols, mvm_error **err)
{
	if (check_builder(b, "the terminal", err) < 0)
		return -1;
	if (rows > UINT16_MAX || cols > UINT16_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "terminal size %ux%u: rows and columns go up to %u", rows, cols,
			       UINT16_MAX);
	b->cfg.tty = tty;
	b->cfg.tty_rows = (uint16_t)rows;
	b->cfg.tty_cols = (uint16_t)cols;
	return 0;
}

/* Appends *p, taking over its strings; on failure p keeps them. */
static int push_mapped_dir(mvm_builder *b, mvm_path_pair *p, mvm_error **err)
{
	mvm_path_pair *slot = append_slot((void **)&b->cfg.mapped_dirs, &b->cfg.n_mapped_dirs,
					  sizeof(*slot), "a mapped dir", err);
	if (slot == NULL)
		return -1;
	*slot = *p;
	*p = (mvm_path_pair){0};
	return 0;
}

int mvm_builder_mapped_dir_pair(mvm_builder *b, const char *host, const char *guest,
				mvm_error **err)
{
	if (check_args(b, host, "a mapped dir's host path", err) < 0 ||
	    check_args(b, guest, "a mapped dir's guest path", err) < 0)
		return -1;
	mvm_path_pair p = {strdup(host), strdup(guest)};
	int r = p.host && p.guest
		    ? push_mapped_dir(b, &p, err)
		    : mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot add mapped dir `%s`", host);
	mvm_path_pair_clear(&p);
	return r;
}

int mvm_builder_mapped_dir(mvm_builder *b, const char *spec, mvm_error **err)
{
	if (check_args(b, spec, "a mapped dir", err) < 0)
		return -1;
	mvm_path_pair p;
	if (mvm_path_pair_parse(spec, &p, err) < 0)
		return -1;
	int r = push_mapped_dir(b, &p, err);
	mvm_path_pair_clear(&p);
	return r;
}

int mvm_builder_port_pair(mvm_builder *b, uint16_t host, uint16_t guest, mvm_error **err)
{
	if (check_builder(b, "a port mapping", err) < 0)
		return -1;
	mvm_port_pair *slot = append_slot((void **)&b->cfg.ports, &b->cfg.n_ports, sizeof(*slot),
					  "a port mapping", err);
	if (slot == NULL)
		return -1;
	*slot = (mvm_port_pair){.host = host, .guest = guest, .bind_ip = PORT_SPEC_DEFAULT_BIND};
	return 0;
}

int mvm_builder_port_map(mvm_builder *b, const char *spec, mvm_error **err)
{
	if (check_args(b, spec, "a port mapping", err) < 0)
		return -1;
	struct net_port_spec p;
	if (net_port_spec_parse(spec, &p, err) < 0)
		return -1;
	if (mvm_builder_port_pair(b, p.host, p.guest, err) < 0)
		return -1;
	mvm_port_pair *slot = &b->cfg.ports[b->cfg.n_ports - 1];
	slot->bind_ip = p.bind_ip;
	slot->udp = p.udp;
	return 0;
}

int mvm_builder_rlimit_value(mvm_builder *b, int resource, uint64_t soft, uint64_t hard,
			     mvm_error **err)
{
	if (check_builder(b, "an rlimit", err) < 0)
		return -1;
	mvm_rlimit *slot = append_slot((void **)&b->cfg.rlimits, &b->cfg.n_rlimits, sizeof(*slot),
				       "an rlimit", err);
	if (slot == NULL)
		return -1;
	*slot = (mvm_rlimit){resource, soft, hard};
	return 0;
}

int mvm_builder_rlimit(mvm_builder *b, const char *spec, mvm_error **err)
{
	if (check_args(b, spec, "an rlimit", err) < 0)
		return -1;
	mvm_rlimit r;
	if (mvm_rlimit_parse(spec, &r, err) < 0)
		return -1;
	return mvm_builder_rlimit_value(b, r.resource, r.soft, r.hard, err);
}

int mvm_builder_workdir_path(mvm_builder *b, const char *path, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.workdir_path : NULL, path, "the workdir", err);
}

int mvm_builder_exec_path(mvm_builder *b, const char *path, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.exec_path : NULL, path, "the exec path", err);
}

int mvm_builder_kernel_path(mvm_builder *b, const char *path, mvm_error **err)
{
	if (check_args(b, path, "the kernel path", err) < 0)
		return -1;
	if (*path == '\0')
		return mvm_err(err, MVM_ERR_INVALID, 0, "invalid kernel path ``: it is empty");
	return replace_string(&b->cfg.kernel_path, path, "the kernel path", err);
}

int mvm_builder_stdio(mvm_builder *b, int in_fd, int out_fd, int err_fd, mvm_error **err)
{
	if (b == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "the builder is NULL");
	if (in_fd < -1 || out_fd < 0 || err_fd < 0)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid stdio fds %d, %d, %d: stdin must be >= -1, stdout and stderr "
			       ">= 0",
			       in_fd, out_fd, err_fd);
	b->cfg.stdin_fd = in_fd;
	b->cfg.stdout_fd = out_fd;
	b->cfg.stderr_fd = err_fd;
	return 0;
}

int mvm_builder_arg(mvm_builder *b, const char *arg, mvm_error **err)
{
	if (check_args(b, arg, "an argument", err) < 0)
		return -1;
	cleanup_free char *copy = strdup(arg);
	char **slot = NULL;
	if (copy)
		slot = append_slot((void **)&b->cfg.args, &b->cfg.n_args, sizeof(*slot),
				   "an argument", err);
	else
		mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot add argument `%s`", arg);
	if (slot == NULL)
		return -1;
	*slot = steal_pointer(&copy);
	return 0;
}

int mvm_builder_args(mvm_builder *b, const char *const *argv, size_t argc, mvm_error **err)
{
	if (check_args(b, argc ? (const void *)argv : "", "the arguments", err) < 0)
		return -1;
	for (size_t i = 0; i < argc; i++)
		if (argv[i] == NULL)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "cannot set the arguments: argument %zu is NULL", i);
	/* Build the new list aside, so a failure leaves the old one intact. */
	struct mvm_builder tmp = {.cfg = {.n_args = 0}};
	for (size_t i = 0; i < argc; i++) {
		if (mvm_builder_arg(&tmp, argv[i], err) < 0) {
			mvm_config_clear(&tmp.cfg);
			return -1;
		}
	}
	for (size_t i = 0; i < b->cfg.n_args; i++)
		free(b->cfg.args[i]);
	free(b->cfg.args);
	b->cfg.args = tmp.cfg.args;
	b->cfg.n_args = tmp.cfg.n_args;
	return 0;
}

/* Appends *p, taking over its strings; on failure p keeps them. */
static int push_env(mvm_builder *b, mvm_env_pair *p, mvm_error **err)
{
	mvm_env_pair *slot =
	    append_slot((void **)&b->cfg.env, &b->cfg.n_env, sizeof(*slot), "an env variable", err);
	if (slot == NULL)
		return -1;
	*slot = *p;
	*p = (mvm_env_pair){0};
	return 0;
}

int mvm_builder_env_pair(mvm_builder *b, const char *key, const char *value, mvm_error **err)
{
	if (check_args(b, key, "an env key", err) < 0 ||
	    check_args(b, value, "an env value", err) < 0)
		return -1;
	mvm_env_pair p = {strdup(key), strdup(value)};
	int r = p.key && p.value ? push_env(b, &p, err)
				 : mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot add env `%s`", key);
	mvm_env_pair_clear(&p);
	return r;
}

int mvm_builder_env(mvm_builder *b, const char *spec, mvm_error **err)
{
	if (check_args(b, spec, "an env variable", err) < 0)
		return -1;
	mvm_env_pair p;
	if (mvm_env_pair_parse(spec, &p, err) < 0)
		return -1;
	int r = push_env(b, &p, err);
	mvm_env_pair_clear(&p);
	return r;
}

int mvm_builder_console_output(mvm_builder *b, const char *path, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.console_output : NULL, path, "the console output", err);
}

int mvm_builder_vsock(mvm_builder *b, const char *path, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.vsock_path : NULL, path, "the vsock socket", err);
}

int mvm_builder_assigned_ipv4(mvm_builder *b, uint32_t addr, mvm_error **err)
{
	if (check_builder(b, "the assigned IP", err) < 0)
		return -1;
	b->cfg.assigned_ip = addr;
	b->cfg.has_assigned_ip = true;
	return 0;
}

int mvm_builder_assigned_ip(mvm_builder *b, const char *ipv4, mvm_error **err)
{
	if (check_args(b, ipv4, "the assigned IP", err) < 0)
		return -1;
	uint32_t addr;
	if (ipv4_parse(ipv4, &addr, err) < 0)
		return -1;
	return mvm_builder_assigned_ipv4(b, addr, err);
}

static int check_share_mode(mvm_share_mode mode, mvm_error **err)
{
	if (mode != MVM_SHARE_AUTO && mode != MVM_SHARE_VIRTUAL && mode != MVM_SHARE_PASSTHROUGH)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid share mode %d: expected MVM_SHARE_AUTO, MVM_SHARE_VIRTUAL "
			       "or MVM_SHARE_PASSTHROUGH",
			       (int)mode);
	return 0;
}

int mvm_builder_share_mode(mvm_builder *b, mvm_share_mode mode, mvm_error **err)
{
	if (check_builder(b, "the share mode", err) < 0 || check_share_mode(mode, err) < 0)
		return -1;
	b->cfg.share_mode = mode;
	return 0;
}

int mvm_builder_share_mode_for(mvm_builder *b, const char *guest_path, mvm_share_mode mode,
			       mvm_error **err)
{
	if (check_args(b, guest_path, "a share's mode", err) < 0 ||
	    check_share_mode(mode, err) < 0)
		return -1;
	cleanup_free char *g = guest_path_normalize(guest_path, "share mode guest path", err);
	if (g == NULL)
		return -1;
	struct mvm_config *c = &b->cfg;
	for (size_t i = 0; i < c->n_share_modes; i++) {
		if (strcmp(c->share_modes[i].guest, g) == 0) {
			c->share_modes[i].mode = mode;
			return 0;
		}
	}
	struct config_share_mode *slot = append_slot((void **)&c->share_modes, &c->n_share_modes,
						     sizeof(*slot), "a share's mode", err);
	if (slot == NULL)
		return -1;
	*slot = (struct config_share_mode){steal_pointer(&g), mode};
	return 0;
}

static const char *const share_mode_names[] = {
    [MVM_SHARE_AUTO] = "auto",
    [MVM_SHARE_VIRTUAL] = "virtual",
    [MVM_SHARE_PASSTHROUGH] = "passthrough",
};

const char *mvm_share_mode_name(mvm_share_mode mode)
{
	if ((unsigned)mode < sizeof(share_mode_names) / sizeof(share_mode_names[0]))
		return share_mode_names[mode];
	return "invalid";
}

int mvm_share_mode_parse(const char *s, mvm_share_mode *mode, mvm_error **err)
{
	for (unsigned m = 0; s && m < sizeof(share_mode_names) / sizeof(share_mode_names[0]); m++) {
		if (strcmp(s, share_mode_names[m]) == 0) {
			*mode = (mvm_share_mode)m;
			return 0;
		}
	}
	return mvm_err(err, MVM_ERR_INVALID, 0,
		       "invalid share mode `%s`: expected auto, virtual or passthrough",
		       s ? s : "(null)");
}

int mvm_builder_seccomp(mvm_builder *b, bool enabled, mvm_error **err)
{
	if (check_builder(b, "seccomp", err) < 0)
		return -1;
	b->cfg.seccomp = enabled;
	return 0;
}

int mvm_builder_jail(mvm_builder *b, bool enabled, mvm_error **err)
{
	if (check_builder(b, "jail", err) < 0)
		return -1;
	b->cfg.jail = enabled;
	return 0;
}

int mvm_builder_jail_user(mvm_builder *b, uint32_t uid, uint32_t gid, mvm_error **err)
{
	if (check_builder(b, "jail user", err) < 0)
		return -1;
	if (uid == UINT32_MAX || gid == UINT32_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "invalid jail user %" PRIu32 ":%" PRIu32 ": 4294967295 is no id", uid,
			       gid);
	b->cfg.has_jail_user = true;
	b->cfg.jail_uid = uid;
	b->cfg.jail_gid = gid;
	return 0;
}

int mvm_builder_local_only(mvm_builder *b, bool local_only, mvm_error **err)
{
	if (check_builder(b, "local-only", err) < 0)
		return -1;
	b->cfg.local_only = local_only;
	return 0;
}

int mvm_builder_publish_listening(mvm_builder *b, const char *bind_ip, mvm_error **err)
{
	if (check_builder(b, "publish-listening", err) < 0)
		return -1;
	if (bind_ip == NULL) {
		b->cfg.publish_listening = false;
		return 0;
	}
	uint32_t ip;
	if (ipv4_parse(bind_ip, &ip, err) < 0)
		return mvm_err_wrap(err, "the address to publish listening ports on");
	b->cfg.publish_listening = true;
	b->cfg.publish_bind_ip = ip;
	return 0;
}

int mvm_builder_image(mvm_builder *b, const char *store_dir, const char *ref, mvm_error **err)
{
	if (check_args(b, ref, "the image", err) < 0)
		return -1;
	cleanup_free char *store = NULL;
	if (store_dir != NULL && (store = strdup(store_dir)) == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot set the image store");
	if (replace_string(&b->cfg.image.ref, ref, "the image", err) < 0)
		return -1;
	free(b->cfg.image.store);
	b->cfg.image.store = steal_pointer(&store);
	return 0;
}

int mvm_builder_entrypoint(mvm_builder *b, const char *const *argv, size_t argc, mvm_error **err)
{
	if (check_args(b, argc ? (const void *)argv : "", "the entrypoint", err) < 0)
		return -1;
	char **v = argc ? calloc(argc, sizeof(*v)) : NULL;
	if (argc && v == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot set the entrypoint");
	for (size_t i = 0; i < argc; i++) {
		if (argv[i] == NULL || (v[i] = strdup(argv[i])) == NULL) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return argv[i] == NULL ? mvm_err(err, MVM_ERR_INVALID, 0,
							 "cannot set the entrypoint: argument %zu is NULL", i)
					       : mvm_err(err, MVM_ERR_NOMEM, ENOMEM,
							 "cannot set the entrypoint");
		}
	}
	for (size_t i = 0; i < b->cfg.image.n_entrypoint; i++)
		free(b->cfg.image.entrypoint[i]);
	free(b->cfg.image.entrypoint);
	b->cfg.image.entrypoint = v;
	b->cfg.image.n_entrypoint = argc;
	b->cfg.image.has_entrypoint = true;
	return 0;
}

int mvm_builder_upper_dir(mvm_builder *b, const char *dir, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.image.upper : NULL, dir, "the upper dir", err);
}

int mvm_builder_upper_tmpfs(mvm_builder *b, bool tmpfs, mvm_error **err)
{
	if (check_builder(b, "the tmpfs upper", err) < 0)
		return -1;
	b->cfg.image.tmpfs_upper = tmpfs;
	b->cfg.image.tmpfs_set = true;
	return 0;
}

int mvm_builder_user(mvm_builder *b, const char *user, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.user : NULL, user, "the user", err);
}

int mvm_builder_hostname(mvm_builder *b, const char *name, mvm_error **err)
{
	return set_string(b, b ? &b->cfg.hostname : NULL, name, "the host name", err);
}

int mvm_builder_sysctl(mvm_builder *b, const char *spec, mvm_error **err)
{
	if (check_args(b, spec, "a sysctl", err) < 0)
		return -1;
	char **slot = append_slot((void **)&b->cfg.sysctls, &b->cfg.n_sysctls, sizeof(*slot),
				  "a sysctl", err);
	if (slot == NULL)
		return -1;
	if ((*slot = strdup(spec)) == NULL) {
		b->cfg.n_sysctls--;
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot add sysctl `%s`", spec);
	}
	return 0;
}

int mvm_builder_tmpfs(mvm_builder *b, const char *guest_path, const char *options,
		      mvm_error **err)
{
	if (check_args(b, guest_path, "a tmpfs's path", err) < 0)
		return -1;
	uint32_t flags;
	char *data;
	if (config_tmpfs_options(options ? options : "", &flags, &data, err) < 0)
		return mvm_err_wrap(err, "tmpfs on `%s`", guest_path);
	struct config_tmpfs *slot = append_slot((void **)&b->cfg.tmpfs, &b->cfg.n_tmpfs,
						sizeof(*slot), "a tmpfs", err);
	if (slot == NULL) {
		free(data);
		return -1;
	}
	*slot = (struct config_tmpfs){.path = strdup(guest_path), .flags = flags, .data = data};
	if (slot->path == NULL) {
		free(data);
		b->cfg.n_tmpfs--;
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot add a tmpfs on `%s`", guest_path);
	}
	return 0;
}

int mvm_builder_hold(mvm_builder *b, bool hold, mvm_error **err)
{
	if (check_builder(b, "hold", err) < 0)
		return -1;
	b->cfg.hold = hold;
	return 0;
}

int mvm_builder_read_only(mvm_builder *b, const char *guest_path, mvm_error **err)
{
	if (check_args(b, guest_path, "a read-only share", err) < 0)
		return -1;
	cleanup_free char *g = guest_path_normalize(guest_path, "read-only share", err);
	if (g == NULL)
		return -1;
	if (config_read_only_of(&b->cfg, g))
		return 0;
	char **slot = append_slot((void **)&b->cfg.read_only, &b->cfg.n_read_only, sizeof(*slot),
				  "a read-only share", err);
	if (slot == NULL)
		return -1;
	*slot = steal_pointer(&g);
	return 0;
}

int mvm_builder_groups(mvm_builder *b, const uint32_t *gids, size_t n, mvm_error **err)
{
	if (check_builder(b, "the supplementary groups", err) < 0)
		return -1;
	if (n > MVM_MAX_GROUPS || (n && gids == NULL))
		return mvm_err(err, MVM_ERR_INVALID, 0, "%zu supplementary groups: at most %d", n,
			       MVM_MAX_GROUPS);
	for (size_t i = 0; i < n; i++)
		if (gids[i] == UINT32_MAX)
			return mvm_err(err, MVM_ERR_INVALID, 0,
				       "supplementary group %u: not a group id", gids[i]);
	uint32_t *copy = n ? malloc(n * sizeof(*copy)) : NULL;
	if (n && copy == NULL)
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "supplementary groups");
	if (n)
		memcpy(copy, gids, n * sizeof(*copy));
	free(b->cfg.groups);
	b->cfg.groups = copy;
	b->cfg.n_groups = n;
	return 0;
}

int mvm_builder_guest_file(mvm_builder *b, const char *guest_path, uint32_t mode, bool readonly,
			   const void *data, size_t len, mvm_error **err)
{
	if (check_args(b, guest_path, "a guest file's path", err) < 0)
		return -1;
	if (data == NULL && len > 0)
		return mvm_err(err, MVM_ERR_INVALID, 0, "guest file `%s`: no data for %zu bytes",
			       guest_path, len);
	struct config_file *slot = append_slot((void **)&b->cfg.files, &b->cfg.n_files,
					       sizeof(*slot), "a guest file", err);
	if (slot == NULL)
		return -1;
	*slot = (struct config_file){.path = strdup(guest_path),
				     .data = malloc(len ? len : 1),
				     .len = len,
				     .mode = mode,
				     .readonly = readonly};
	if (slot->path == NULL || slot->data == NULL) {
		free(slot->path);
		free(slot->data);
		b->cfg.n_files--;
		return mvm_err(err, MVM_ERR_NOMEM, ENOMEM, "cannot add guest file `%s`", guest_path);
	}
	if (len)
		memcpy(slot->data, data, len);
	return 0;
}
