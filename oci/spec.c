/* SPDX-License-Identifier: Apache-2.0 */
#include "oci/spec.h"

#include "guest/protocol.h"
#include "util/error.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Fields a VM stands in for: they describe how a host kernel confines a
 * container's processes, and the guest kernel is the confinement here
 * (docs/oci.md). */
static const char *const vm_boundary[] = {
    "process.capabilities", "process.noNewPrivileges", "process.apparmorProfile",
    "process.selinuxLabel", "process.oomScoreAdj",     "linux.seccomp",
    "linux.maskedPaths",    "linux.readonlyPaths",     "linux.devices",
    "linux.cgroupsPath",    "linux.resources.devices", "linux.resources.pids",
    "linux.mountLabel",	    "linux.rootfsPropagation",
};

/* Fields refused until mvm supports them, with what is missing. */
static const struct {
	const char *field;
	const char *why;
} not_yet[] = {
    {"domainname", "the guest's domain name is not settable yet"},
    {"hooks", "OCI hooks are not run"},
    {"process.ioPriority", "not supported"},
    {"process.scheduler", "not supported"},
    {"process.execCPUAffinity", "not supported"},
    {"linux.uidMappings", "user namespaces are not supported yet"},
    {"linux.gidMappings", "user namespaces are not supported yet"},
    {"linux.intelRdt", "not supported"},
    {"linux.personality", "not supported"},
    {"linux.timeOffsets", "not supported"},
};

struct ctx {
	mvm_builder *b;
	struct oci_spec *out;
	mvm_error **err;
};

static void accepted(struct ctx *c, const char *field)
{
	size_t used = strlen(c->out->accepted);
	snprintf(c->out->accepted + used, sizeof(c->out->accepted) - used, "%s%s", used ? "," : "",
		 field);
}

/* obj.path (dotted) or NULL. */
static json_t *at(json_t *root, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = root;
	for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
	     tok = strtok_r(NULL, ".", &save))
		cur = json_is_object(cur) ? json_object_get(cur, tok) : NULL;
	return cur;
}

/* A field is "given" when present and not null, false, 0, "" or empty. */
static bool given(json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	return true;
}

static const char *string_at(struct ctx *c, json_t *root, const char *path, bool required)
{
	json_t *v = at(root, path);
	if (v == NULL || json_is_null(v)) {
		if (required)
			mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: %s is required", path);
		return NULL;
	}
	if (!json_is_string(v)) {
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: %s must be a string", path);
		return NULL;
	}
	return json_string_value(v);
}

/* A non-negative integer that fits max, or -1 (reported). */
static long long number_at(struct ctx *c, json_t *v, const char *path, long long max)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		mvm_err(c->err, MVM_ERR_INVALID, 0,
			"config.json: %s must be an integer from 0 to %lld", path, max);
		return -1;
	}
	return json_integer_value(v);
}

/* annotations[key]: keys hold dots, so not through at(). */
static const char *annotation(struct ctx *c, json_t *root, const char *key)
{
	json_t *v = json_object_get(json_object_get(root, "annotations"), key);
	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: annotation %s must be a string",
			key);
		return NULL;
	}
	return json_string_value(v);
}

static void map_root(struct ctx *c, json_t *root, const char *bundle)
{
	const char *path = string_at(c, root, "root.path", true);
	if (path == NULL)
		return;
	json_t *ro = at(root, "root.readonly");
	if (ro && !json_is_boolean(ro))
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: root.readonly must be a boolean");
	else if (json_is_true(ro))
		mvm_builder_read_only(c->b, "/", c->err);
	char full[PATH_MAX];
	int n = path[0] == '/' ? snprintf(full, sizeof(full), "%s", path)
			       : snprintf(full, sizeof(full), "%s/%s", bundle, path);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: root.path `%s`: too long", path);
		return;
	}
	c->out->root = strdup(full);
	mvm_builder_root_path(c->b, full, c->err);
}

static void map_user(struct ctx *c, json_t *root)
{
	json_t *user = at(root, "process.user");
	if (user == NULL)
		return;
	long long uid =
	    number_at(c, json_object_get(user, "uid"), "process.user.uid", 4294967294LL);
	long long gid =
	    number_at(c, json_object_get(user, "gid"), "process.user.gid", 4294967294LL);
	json_t *groups = json_object_get(user, "additionalGids");
	if (groups && !json_is_null(groups)) {
		uint32_t gids[MVM_MAX_GROUPS];
		size_t n = 0, k;
		json_t *v;
		if (!json_is_array(groups) || json_array_size(groups) > MVM_MAX_GROUPS)
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: process.user.additionalGids must be an array of at "
				"most %d ids",
				MVM_MAX_GROUPS);
		else
			json_array_foreach(groups, k, v)
			{
				char what[64];
				snprintf(what, sizeof(what), "process.user.additionalGids[%zu]", k);
				long long g = number_at(c, v, what, 4294967294LL);
				if (g >= 0)
					gids[n++] = (uint32_t)g;
			}
		if (n == json_array_size(groups))
			mvm_builder_groups(c->b, gids, n, c->err);
	}
	json_t *umask = json_object_get(user, "umask");
	if (umask && !(json_is_integer(umask) && json_integer_value(umask) == 022))
		mvm_err(c->err, MVM_ERR_UNSUPPORTED, 0,
			"config.json: process.user.umask: only 0022 (18), mvm-init's, is supported "
			"yet");
	if (given(json_object_get(user, "username")))
		mvm_err(c->err, MVM_ERR_UNSUPPORTED, 0,
			"config.json: process.user.username: a Windows field");
	if (uid < 0 || gid < 0)
		return;
	char spec[32];
	snprintf(spec, sizeof(spec), "%lld:%lld", uid, gid);
	mvm_builder_user(c->b, spec, c->err);
}

static void map_process(struct ctx *c, json_t *root)
{
	json_t *proc = at(root, "process");
	if (!json_is_object(proc)) {
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: process is required");
		return;
	}
	if (given(json_object_get(proc, "terminal"))) {
		/* The guest's pty, at consoleSize (else 24 x 80 until the
		 * client resizes). */
		json_t *size = json_object_get(proc, "consoleSize");
		long long rows = 0, cols = 0;
		if (size) {
			rows = number_at(c, json_object_get(size, "height"),
					 "process.consoleSize.height", 65535);
			cols = number_at(c, json_object_get(size, "width"),
					 "process.consoleSize.width", 65535);
		}
		c->out->terminal = true;
		mvm_builder_tty(c->b, true, rows > 0 ? (unsigned)rows : 0,
				cols > 0 ? (unsigned)cols : 0, c->err);
	}
	json_t *args = json_object_get(proc, "args");
	size_t i;
	json_t *v;
	if (!json_is_array(args) || json_array_size(args) == 0) {
		mvm_err(c->err, MVM_ERR_INVALID, 0,
			"config.json: process.args must be a non-empty array of strings");
	} else {
		json_array_foreach(args, i, v)
		{
			if (!json_is_string(v)) {
				mvm_err(c->err, MVM_ERR_INVALID, 0,
					"config.json: process.args[%zu] must be a string", i);
				continue;
			}
			if (i == 0)
				mvm_builder_exec_path(c->b, json_string_value(v), c->err);
			else
				mvm_builder_arg(c->b, json_string_value(v), c->err);
		}
	}
	json_t *env = json_object_get(proc, "env");
	if (env && !json_is_array(env))
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: process.env must be an array");
	json_array_foreach(env, i, v)
	{
		if (!json_is_string(v))
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: process.env[%zu] must be a string", i);
		else
			mvm_builder_env(c->b, json_string_value(v), c->err);
	}
	const char *cwd = string_at(c, root, "process.cwd", true);
	if (cwd)
		mvm_builder_workdir_path(c->b, cwd, c->err);
	map_user(c, root);
	json_t *rl = json_object_get(proc, "rlimits");
	if (rl && !json_is_array(rl))
		mvm_err(c->err, MVM_ERR_INVALID, 0,
			"config.json: process.rlimits must be an array");
	json_array_foreach(rl, i, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		json_t *soft = json_object_get(v, "soft"), *hard = json_object_get(v, "hard");
		if (type == NULL || !json_is_integer(soft) || !json_is_integer(hard)) {
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: process.rlimits[%zu] needs type, soft and hard", i);
			continue;
		}
		char spec[128];
		snprintf(spec, sizeof(spec), "%s=%llu:%llu", type,
			 (unsigned long long)json_integer_value(soft),
			 (unsigned long long)json_integer_value(hard));
		mvm_builder_rlimit(c->b, spec, c->err);
	}
}

/* The mounts a Linux container always gets: mvm-init makes its own. */
static bool made_by_init(const char *dest, const char *type)
{
	static const struct {
		const char *dest, *type;
	} std[] = {
	    {"/proc", "proc"},
	    {"/sys", "sysfs"},
	    {"/dev", "tmpfs"},
	    {"/dev/pts", "devpts"},
	    {"/dev/shm", "tmpfs"},
	    {"/tmp", "tmpfs"},
	    {"/dev/mqueue", "mqueue"},
	    {"/sys/fs/cgroup", "cgroup"},
	    {"/sys/fs/cgroup", "cgroup2"},
	};
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (strcmp(dest, std[i].dest) == 0 && type && strcmp(type, std[i].type) == 0)
			return true;
	return false;
}

static bool has_option(json_t *options, const char *opt)
{
	size_t i;
	json_t *v;
	json_array_foreach(options, i, v) if (json_is_string(v) &&
					      strcmp(json_string_value(v), opt) == 0) return true;
	return false;
}

/* A tmpfs elsewhere (containerd's /run): mvm-init mounts it with the
 * options a tmpfs takes; propagation options mean nothing in a guest of
 * its own, and the library refuses any other by name. */
static void tmpfs_mount(struct ctx *c, size_t i, const char *dest, json_t *opts)
{
	static const char *const propagation[] = {"private", "rprivate", "slave", "rslave",
						  "shared",  "rshared",	 "unbindable", "runbindable"};
	char buf[512] = "";
	size_t k;
	json_t *v;
	json_array_foreach(opts, k, v)
	{
		const char *o = json_string_value(v);
		if (o == NULL) {
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: mounts[%zu].options[%zu] must be a string", i, k);
			return;
		}
		bool skip = false;
		for (size_t p = 0; p < sizeof(propagation) / sizeof(propagation[0]); p++)
			skip |= strcmp(o, propagation[p]) == 0;
		size_t used = strlen(buf);
		if (!skip && (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s",
					      used ? "," : "", o) >= sizeof(buf) - used) {
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: mounts[%zu] (%s): options too long", i, dest);
			return;
		}
	}
	mvm_error *e = NULL;
	if (mvm_builder_tmpfs(c->b, dest, buf, &e) < 0) {
		mvm_err_wrap(&e, "config.json: mounts[%zu]", i);
		mvm_err_merge(c->err, &e);
	}
}

/* A bind of one file (podman's /etc/hosts, /etc/resolv.conf,
 * /etc/hostname, /run/.containerenv): its content as it is now, placed in
 * the guest by mvm-init. A copy, not the file: later changes on either
 * side stay there (docs/oci.md). */
static void bind_file(struct ctx *c, size_t i, const char *src, const char *dest,
		      const struct stat *st, bool ro)
{
	if (st->st_size > (off_t)MVM_MAX_GUEST_FILE_SIZE) {
		mvm_err(c->err, MVM_ERR_UNSUPPORTED, 0,
			"config.json: mounts[%zu]: %s is %lld bytes; a bound file may have %u", i,
			src, (long long)st->st_size, MVM_MAX_GUEST_FILE_SIZE);
		return;
	}
	FILE *f = fopen(src, "re");
	char *data = malloc((size_t)st->st_size + 1);
	size_t n = f && data ? fread(data, 1, (size_t)st->st_size, f) : 0;
	if (f == NULL || data == NULL || (ferror(f))) {
		mvm_err(c->err, MVM_ERR_IO, errno, "config.json: mounts[%zu]: %s", i, src);
	} else {
		mvm_builder_guest_file(c->b, dest, st->st_mode & 07777, ro, data, n, c->err);
	}
	if (f)
		fclose(f);
	free(data);
}

static void map_mounts(struct ctx *c, json_t *root)
{
	json_t *mounts = at(root, "mounts");
	if (mounts && !json_is_array(mounts)) {
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: mounts must be an array");
		return;
	}
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m)
	{
		const char *dest = json_string_value(json_object_get(m, "destination"));
		const char *type = json_string_value(json_object_get(m, "type"));
		const char *src = json_string_value(json_object_get(m, "source"));
		json_t *opts = json_object_get(m, "options");
		if (dest == NULL) {
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: mounts[%zu].destination is required", i);
			continue;
		}
		bool bind = (type && strcmp(type, "bind") == 0) || has_option(opts, "bind") ||
			    has_option(opts, "rbind");
		if (!bind && made_by_init(dest, type))
			continue;
		/* A client's /dev/shm bind (podman's per-container tmpfs) is
		 * for sharing IPC between containers, which separate kernels
		 * cannot: the guest's own tmpfs stands in. */
		if (bind && strcmp(dest, "/dev/shm") == 0) {
			accepted(c, "mounts:/dev/shm");
			continue;
		}
		if (!bind && type && strcmp(type, "tmpfs") == 0) {
			tmpfs_mount(c, i, dest, opts);
			continue;
		}
		if (!bind) {
			mvm_err(
			    c->err, MVM_ERR_UNSUPPORTED, 0,
			    "config.json: mounts[%zu]: a %s mount on %s is not supported yet "
			    "(mvm-init makes /proc, /sys, /dev, /dev/pts, /dev/shm, /dev/mqueue, "
			    "/sys/fs/cgroup and /tmp; other mounts must be binds or tmpfs)",
			    i, type ? type : "typeless", dest);
			continue;
		}
		if (src == NULL) {
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: mounts[%zu].source is required", i);
			continue;
		}
		struct stat st;
		if (stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
			bind_file(c, i, src, dest, &st, has_option(opts, "ro"));
			continue;
		}
		/* The builder names a source that is not a directory. */
		mvm_builder_mapped_dir_pair(c->b, src, dest, c->err);
		if (has_option(opts, "ro"))
			mvm_builder_read_only(c->b, dest, c->err);
	}
}

/* vCPUs and RAM from linux.resources (docs/oci.md, "Sizes"); annotations
 * override. */
static void map_resources(struct ctx *c, json_t *root)
{
	unsigned cpus = 1;
	uint64_t ram_mib = OCI_DEFAULT_RAM_MIB;
	json_t *limit = at(root, "linux.resources.memory.limit");
	if (limit && !json_is_null(limit)) {
		if (!json_is_integer(limit)) {
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: linux.resources.memory.limit must be an integer");
		} else if (json_integer_value(limit) > 0) {
			/* Rounded up to whole MiB, at least the floor a guest
			 * boots in. */
			uint64_t bytes = (uint64_t)json_integer_value(limit);
			ram_mib = (bytes + (1u << 20) - 1) >> 20;
			if (ram_mib < OCI_MIN_RAM_MIB)
				ram_mib = OCI_MIN_RAM_MIB;
		}
	}
	json_t *quota = at(root, "linux.resources.cpu.quota");
	json_t *period = at(root, "linux.resources.cpu.period");
	if (json_is_integer(quota) && json_integer_value(quota) > 0) {
		long long p = json_is_integer(period) && json_integer_value(period) > 0
				  ? json_integer_value(period)
				  : 100000;
		long long n = (json_integer_value(quota) + p - 1) / p;
		cpus = n > 255 ? 255 : (unsigned)n;
	}
	const char *ann_ram = annotation(c, root, OCI_ANNOTATION_RAM_MIB);
	const char *ann_cpus = annotation(c, root, OCI_ANNOTATION_CPUS);
	char *end;
	if (ann_ram) {
		unsigned long v = strtoul(ann_ram, &end, 10);
		if (*end || end == ann_ram || v == 0 || v > UINT32_MAX)
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: annotation %s `%s`: a size in MiB",
				OCI_ANNOTATION_RAM_MIB, ann_ram);
		else
			ram_mib = v;
	}
	if (ann_cpus) {
		unsigned long v = strtoul(ann_cpus, &end, 10);
		if (*end || end == ann_cpus || v == 0 || v > 255)
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: annotation %s `%s`: a vCPU count, 1 to 255",
				OCI_ANNOTATION_CPUS, ann_cpus);
		else
			cpus = (unsigned)v;
	}
	if (ram_mib > UINT32_MAX)
		ram_mib = UINT32_MAX;
	mvm_builder_ram_mib(c->b, (uint32_t)ram_mib, c->err);
	mvm_builder_num_vcpus(c->b, cpus, c->err);
}

static void map_system(struct ctx *c, json_t *root)
{
	const char *host = string_at(c, root, "hostname", false);
	if (host && *host)
		mvm_builder_hostname(c->b, host, c->err);
	json_t *sysctl = at(root, "linux.sysctl");
	if (sysctl && !json_is_object(sysctl)) {
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: linux.sysctl must be an object");
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(sysctl, key, v)
	{
		if (!json_is_string(v)) {
			mvm_err(c->err, MVM_ERR_INVALID, 0,
				"config.json: linux.sysctl[%s] must be a string", key);
			continue;
		}
		char *spec = NULL;
		if (asprintf(&spec, "%s=%s", key, json_string_value(v)) < 0) {
			mvm_err(c->err, MVM_ERR_NOMEM, ENOMEM, "config.json: linux.sysctl");
			return;
		}
		mvm_builder_sysctl(c->b, spec, c->err);
		free(spec);
	}
}

static void map_namespaces(struct ctx *c, json_t *root)
{
	json_t *ns = at(root, "linux.namespaces");
	size_t i;
	json_t *v;
	json_array_foreach(ns, i, v)
	{
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *path = json_string_value(json_object_get(v, "path"));
		if (type && strcmp(type, "network") == 0) {
			/* The VMM's network lives there: libslirp's sockets are the
			 * guest's way out, and what the client publishes into it
			 * reaches the guest's listeners (docs/oci.md, "Network"). */
			free(c->out->netns);
			c->out->netns = NULL;
			c->out->new_netns = !(path && *path);
			if (path && *path) {
				if (path[0] != '/')
					mvm_err(c->err, MVM_ERR_INVALID, 0,
						"config.json: linux.namespaces[%zu]: path `%s` is not "
						"absolute",
						i, path);
				else if (!(c->out->netns = strdup(path)))
					mvm_err(c->err, MVM_ERR_NOMEM, ENOMEM,
						"config.json: linux.namespaces");
				mvm_builder_local_only(c->b, false, c->err);
				mvm_builder_publish_listening(c->b, "0.0.0.0", c->err);
			}
		} else if (type && strcmp(type, "user") == 0)
			mvm_err(c->err, MVM_ERR_UNSUPPORTED, 0,
				"config.json: linux.namespaces[%zu]: user namespaces are not "
				"supported yet",
				i);
	}
	if (json_array_size(ns))
		accepted(c, "linux.namespaces");
}

static void map_annotations(struct ctx *c, json_t *root)
{
	json_t *ann = at(root, "annotations");
	if (ann && !json_is_object(ann)) {
		mvm_err(c->err, MVM_ERR_INVALID, 0, "config.json: annotations must be an object");
		return;
	}
	if (ann)
		c->out->annotations = json_dumps(ann, JSON_COMPACT);
	const char *kernel = annotation(c, root, OCI_ANNOTATION_KERNEL);
	if (kernel)
		mvm_builder_kernel_path(c->b, kernel, c->err);
	/* When the VM boots (docs/oci.md, "Boot at create"). */
	const char *boot = annotation(c, root, OCI_ANNOTATION_BOOT);
	if (boot && strcmp(boot, "start") == 0)
		c->out->boot_at_start = true;
	else if (boot && strcmp(boot, "create") != 0)
		mvm_err(c->err, MVM_ERR_INVALID, 0,
			"config.json: annotation %s `%s`: `create` (the default) or `start`",
			OCI_ANNOTATION_BOOT, boot);
	if (!c->out->boot_at_start)
		mvm_builder_hold(c->b, true, c->err);
	/* The VMM's log, on the container's stderr: for finding out why. */
	const char *level = annotation(c, root, OCI_ANNOTATION_LOG_LEVEL);
	mvm_log_level lv;
	if (level && mvm_log_level_parse(level, &lv, c->err) == 0)
		mvm_builder_log_level(c->b, lv, c->err);
	const char *mode = annotation(c, root, OCI_ANNOTATION_SHARE_MODE);
	mvm_share_mode sm;
	if (mode && mvm_share_mode_parse(mode, &sm, c->err) == 0)
		mvm_builder_share_mode(c->b, sm, c->err);
}

int oci_spec_parse(const char *json, size_t len, const char *bundle, mvm_builder *b,
		   struct oci_spec *out, mvm_error **err)
{
	*out = (struct oci_spec){0};
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return mvm_err(err, MVM_ERR_INVALID, 0, "config.json: line %d: %s", jerr.line,
			       root ? "not an object" : jerr.text);
	}
	mvm_error *problems = NULL;
	struct ctx c = {.b = b, .out = out, .err = &problems};
	const char *version = string_at(&c, root, "ociVersion", true);
	if (version && strncmp(version, "1.", 2) != 0)
		mvm_err(&problems, MVM_ERR_UNSUPPORTED, 0,
			"config.json: ociVersion `%s`: mvm reads 1.x", version);
	for (size_t i = 0; i < sizeof(not_yet) / sizeof(not_yet[0]); i++)
		if (given(at(root, not_yet[i].field)))
			mvm_err(&problems, MVM_ERR_UNSUPPORTED, 0, "config.json: %s: %s",
				not_yet[i].field, not_yet[i].why);
	for (size_t i = 0; i < sizeof(vm_boundary) / sizeof(vm_boundary[0]); i++)
		if (given(at(root, vm_boundary[i])))
			accepted(&c, vm_boundary[i]);
	map_root(&c, root, bundle);
	map_process(&c, root);
	map_mounts(&c, root);
	map_resources(&c, root);
	map_system(&c, root);
	map_namespaces(&c, root);
	map_annotations(&c, root);
	json_decref(root);
	if (problems) {
		mvm_err_merge(err, &problems);
		oci_spec_clear(out);
		return -1;
	}
	return 0;
}

int oci_spec_load(const char *bundle, mvm_builder *b, struct oci_spec *out, mvm_error **err)
{
	*out = (struct oci_spec){0};
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", bundle) >= sizeof(path))
		return mvm_err(err, MVM_ERR_INVALID, 0, "bundle `%s`: path too long", bundle);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return mvm_err(err, MVM_ERR_INVALID, errno, "bundle `%s`: cannot read config.json",
			       bundle);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			char *nb =
			    cap < (8u << 20) ? realloc(buf, cap = cap ? cap * 2 : 65536) : NULL;
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return mvm_err(err, MVM_ERR_INVALID, 0,
					       "%s: larger than 8 MiB, or out of memory", path);
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	int rc = oci_spec_parse(buf, len, bundle, b, out, err);
	free(buf);
	return rc;
}

void oci_spec_clear(struct oci_spec *s)
{
	free(s->root);
	free(s->annotations);
	free(s->netns);
	*s = (struct oci_spec){0};
}
