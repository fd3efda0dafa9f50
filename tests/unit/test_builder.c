/* SPDX-License-Identifier: Apache-2.0 */
/* The builder's setters, its life cycle, logging, and the JSON of a VM. */
#include "test_util.h"

#include "config/config.h"
#include "vmm/vm.h"

static void test_null_builder_and_values(void **state)
{
	mvm_error *err = NULL;
	assert_int_equal(mvm_builder_root_path(NULL, "/", &err), -1);
	assert_int_equal(mvm_builder_num_vcpus(NULL, 1, &err), -1);
	assert_int_equal(mvm_builder_port_map(NULL, "80", &err), -1);
	assert_null(mvm_builder_build(NULL, &err));
	assert_null(mvm_vm_config_json(NULL, &err));
	assert_int_equal(mvm_error_count(err), 5);
	assert_error_has(err, "the builder is NULL");
	assert_error_has(err, "the VM is NULL");
	mvm_error_free(err);
	err = NULL;

	mvm_builder *b = mvm_builder_new();
	assert_int_equal(mvm_builder_root_path(b, NULL, &err), -1);
	assert_int_equal(mvm_builder_mapped_dir(b, NULL, &err), -1);
	assert_int_equal(mvm_builder_mapped_dir_pair(b, "/", NULL, &err), -1);
	assert_int_equal(mvm_builder_env_pair(b, NULL, "v", &err), -1);
	assert_int_equal(mvm_builder_arg(b, NULL, &err), -1);
	assert_int_equal(mvm_builder_args(b, NULL, 2, &err), -1);
	assert_int_equal(mvm_builder_assigned_ip(b, NULL, &err), -1);
	assert_int_equal(mvm_error_count(err), 7);
	assert_error_has(err, "to NULL");
	mvm_error_free(err);
	/* A NULL err is allowed: the failure is only in the return value. */
	assert_int_equal(mvm_builder_root_path(b, NULL, NULL), -1);
	assert_int_equal(mvm_builder_port_map(b, "0", NULL), -1);
	mvm_builder_free(b);
	mvm_builder_free(NULL);
	mvm_vm_free(NULL);
}

static void test_args(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_arg(b, "one", &err), 0);
	assert_int_equal(mvm_builder_arg(b, "", &err), 0);
	const char *const argv[] = {"-m", "http.server", "8080", "a \"quoted\"\narg"};
	assert_int_equal(mvm_builder_args(b, argv, 4, &err), 0);
	assert_int_equal(mvm_builder_arg(b, "last", &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.n_args, 5);
	assert_string_equal(vm->cfg.args[0], "-m");
	assert_string_equal(vm->cfg.args[3], "a \"quoted\"\narg");
	assert_string_equal(vm->cfg.args[4], "last");
	mvm_vm_free(vm);

	/* A NULL entry fails without touching the current list. */
	const char *const bad[] = {"x", NULL};
	assert_int_equal(mvm_builder_args(b, bad, 2, &err), -1);
	assert_error_has(err, "argument 1 is NULL");
	mvm_error_free(err);
	err = NULL;
	vm = build_ok(b);
	assert_int_equal(vm->cfg.n_args, 5);
	mvm_vm_free(vm);

	/* No arguments at all clears the list. */
	assert_int_equal(mvm_builder_args(b, NULL, 0, &err), 0);
	vm = build_ok(b);
	assert_int_equal(vm->cfg.n_args, 0);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_many_args_and_env(void **state)
{
	/* The reference panics the guest beyond 32; mvm has no count limit. */
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	for (int i = 0; i < 1000; i++) {
		char s[32];
		snprintf(s, sizeof(s), "V%d=%d", i, i);
		assert_int_equal(mvm_builder_env(b, s, &err), 0);
		assert_int_equal(mvm_builder_arg(b, s, &err), 0);
	}
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.n_env, 1000);
	assert_int_equal(vm->cfg.n_args, 1000);
	assert_string_equal(vm->cfg.env[999].value, "999");
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_builder_reusable_after_build(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, "/usr", &err);
	mvm_builder_mapped_dir(b, "/tmp:/data/", &err);
	mvm_error *e1 = build_fails(b); /* no RAM */
	mvm_error_free(e1);
	mvm_builder_ram_mib(b, 128, &err);
	mvm_vm *vm1 = build_ok(b);
	mvm_vm *vm2 = build_ok(b);
	/* Each VM owns its copy; the builder keeps the raw setting. */
	assert_ptr_not_equal(vm1->cfg.mapped_dirs, vm2->cfg.mapped_dirs);
	assert_string_equal(vm1->cfg.mapped_dirs[0].guest, "/data");
	mvm_builder_free(b);
	assert_string_equal(vm2->cfg.mapped_dirs[0].guest, "/data");
	mvm_vm_free(vm1);
	mvm_vm_free(vm2);
	assert_null(err);
}

static void test_kernel_path(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_kernel_path(b, "", &err), -1);
	assert_error_has(err, "kernel path", "empty");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_kernel_path(b, "/boot/vmlinux", &err), 0);
	assert_int_equal(mvm_builder_kernel_path(b, "build/vmlinux", &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_string_equal(vm->cfg.kernel_path, "build/vmlinux");
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_log_level_setter(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_log_level(b, (mvm_log_level)6, &err), -1);
	assert_error_has(err, "log level 6");
	mvm_error_free(err);
	err = NULL;
	mvm_log_level lv;
	assert_int_equal(mvm_log_level_parse("DeBuG", &lv, &err), 0);
	assert_int_equal(mvm_builder_log_level(b, lv, &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.log.level, MVM_LOG_DEBUG);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

struct log_capture {
	int lines;
	mvm_log_level last_level;
	char last[256];
};

static void capture(void *userdata, mvm_log_level level, const char *msg)
{
	struct log_capture *c = userdata;
	c->lines++;
	c->last_level = level;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

static void test_log_callback(void **state)
{
	mvm_error *err = NULL;
	struct log_capture cap = {0};
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_log_callback(b, capture, &cap, &err), 0);
	mvm_vm_free(build_ok(b)); /* level off: silent */
	assert_int_equal(cap.lines, 0);
	mvm_builder_log_level(b, MVM_LOG_INFO, &err);
	mvm_vm_free(build_ok(b)); /* build logs at debug: still silent */
	assert_int_equal(cap.lines, 0);
	mvm_builder_log_level(b, MVM_LOG_DEBUG, &err);
	mvm_vm_free(build_ok(b));
	assert_int_equal(cap.lines, 1);
	assert_int_equal(cap.last_level, MVM_LOG_DEBUG);
	assert_non_null(strstr(cap.last, "64 MiB"));
	assert_null(err);
	mvm_builder_free(b);
}

static void test_json_of_reference_example(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_log_level(b, MVM_LOG_DEBUG, &err);
	mvm_builder_root_path(b, "/usr", &err);
	mvm_builder_num_vcpus(b, 2, &err);
	mvm_builder_ram_mib(b, 1024, &err);
	mvm_builder_dax_window_mib(b, 0, &err);
	mvm_builder_mapped_dir(b, "/tmp:/guest/mount", &err);
	mvm_builder_port_map(b, "8080:80", &err);
	mvm_builder_rlimit(b, "7=1024:1024", &err);
	mvm_builder_workdir_path(b, "/workdir", &err);
	mvm_builder_exec_path(b, "/bin/example", &err);
	const char *const args[] = {"arg1", "arg2"};
	mvm_builder_args(b, args, 2, &err);
	mvm_builder_env(b, "KEY1=VALUE1", &err);
	mvm_builder_env(b, "KEY2=VALUE\"2\n", &err);
	mvm_builder_console_output(b, "/tmp/console.log", &err);
	mvm_builder_assigned_ip(b, "10.0.2.15", &err);
	mvm_builder_local_only(b, false, &err);
	mvm_builder_share_mode(b, MVM_SHARE_VIRTUAL, &err);
	mvm_builder_share_mode_for(b, "/guest/mount/", MVM_SHARE_PASSTHROUGH, &err);
	mvm_builder_seccomp(b, false, &err);
	mvm_builder_jail(b, true, &err);
	mvm_builder_jail_user(b, 1000, 4294967294u, &err);
	assert_null(err);
	mvm_vm *vm = build_ok(b);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(json);
	assert_string_equal(
	    json,
	    "{\"log_level\":\"debug\",\"root_path\":\"/usr\",\"num_vcpus\":2,\"ram_mib\":1024,"
	    "\"dax_window_mib\":0,"
	    "\"mapped_dirs\":[{\"host\":\"/tmp\",\"guest\":\"/guest/mount\"}],"
	    "\"port_map\":[{\"host\":8080,\"guest\":80}],"
	    "\"rlimits\":[{\"resource\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":1024}],"
	    "\"workdir_path\":\"/workdir\",\"exec_path\":\"/bin/example\","
	    "\"args\":[\"arg1\",\"arg2\"],"
	    "\"env\":[{\"key\":\"KEY1\",\"value\":\"VALUE1\"},"
	    "{\"key\":\"KEY2\",\"value\":\"VALUE\\\"2\\u000a\"}],\"tty\":null,"
	    "\"console_output\":\"/tmp/console.log\",\"vsock\":null,\"assigned_ip\":\"10.0.2.15\","
	    "\"local_only\":false,\"share_mode\":\"virtual\","
	    "\"share_modes\":{\"/guest/mount\":\"passthrough\"},\"read_only\":[],\"seccomp\":false,\"jail\":true,"
	    "\"jail_user\":\"1000:4294967294\",\"hold\":false,\"publish_listening\":null,\"hostname\":null,\"sysctls\":[],\"guest_files\":[],\"tmpfs\":[],\"groups\":[],\"user\":null,\"image\":null}");
	free(json);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_share_mode(void **state)
{
	mvm_error *err = NULL;
	mvm_share_mode m = MVM_SHARE_VIRTUAL;
	assert_int_equal(mvm_share_mode_parse("passthrough", &m, &err), 0);
	assert_int_equal(m, MVM_SHARE_PASSTHROUGH);
	assert_int_equal(mvm_share_mode_parse("auto", &m, &err), 0);
	assert_int_equal(m, MVM_SHARE_AUTO);
	assert_null(err);
	const char *bad[] = {"", "Virtual", "virtual ", "pass", NULL};
	for (int i = 0; i < 5; i++) {
		m = MVM_SHARE_VIRTUAL;
		assert_int_equal(mvm_share_mode_parse(bad[i], &m, &err), -1);
		assert_int_equal(m, MVM_SHARE_VIRTUAL);
		assert_non_null(err);
		assert_int_equal(mvm_error_get_code(err), MVM_ERR_INVALID);
		if (bad[i] && bad[i][0])
			assert_non_null(strstr(mvm_error_get_message(err), bad[i]));
		mvm_error_free(err);
		err = NULL;
	}
	assert_string_equal(mvm_share_mode_name(MVM_SHARE_PASSTHROUGH), "passthrough");
	assert_string_equal(mvm_share_mode_name((mvm_share_mode)7), "invalid");
	mvm_builder *b = mvm_builder_new();
	assert_int_equal(mvm_builder_share_mode(b, (mvm_share_mode)3, &err), -1);
	assert_non_null(strstr(mvm_error_get_message(err), "invalid share mode 3"));
	mvm_error_free(err);
	mvm_builder_free(b);
}

/* One share's own mode: set by a normalised guest path, replaced by a
 * later call, and at build() it must name the root or a mapped dir. */
static void test_share_mode_for(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/usr");
	mvm_builder_mapped_dir(b, "/tmp:/data", &err);
	mvm_builder_share_mode(b, MVM_SHARE_PASSTHROUGH, &err);
	assert_int_equal(mvm_builder_share_mode_for(b, "/data/./", MVM_SHARE_VIRTUAL, &err), 0);
	assert_int_equal(mvm_builder_share_mode_for(b, "/", MVM_SHARE_VIRTUAL, &err), 0);
	assert_int_equal(mvm_builder_share_mode_for(b, "//data", MVM_SHARE_AUTO, &err), 0);
	assert_null(err);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.n_share_modes, 2);
	assert_int_equal(config_share_mode_of(&vm->cfg, "/data"), MVM_SHARE_AUTO);
	assert_int_equal(config_share_mode_of(&vm->cfg, "/"), MVM_SHARE_VIRTUAL);
	assert_int_equal(config_share_mode_of(&vm->cfg, "/other"), MVM_SHARE_PASSTHROUGH);
	struct mvm_config copy;
	assert_int_equal(mvm_config_copy(&copy, &vm->cfg, &err), 0);
	mvm_vm_free(vm);
	assert_int_equal(config_share_mode_of(&copy, "/data"), MVM_SHARE_AUTO);
	mvm_config_clear(&copy);

	/* Bad values fail at the setter and change nothing. */
	assert_int_equal(mvm_builder_share_mode_for(b, "/data", (mvm_share_mode)5, &err), -1);
	assert_error_has(err, "invalid share mode 5");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_share_mode_for(b, NULL, MVM_SHARE_VIRTUAL, &err), -1);
	assert_error_has(err, "to NULL");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_share_mode_for(b, "data", MVM_SHARE_VIRTUAL, &err), -1);
	assert_error_has(err, "share mode guest path");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_share_mode_for(NULL, "/", MVM_SHARE_VIRTUAL, &err), -1);
	assert_error_has(err, "the builder is NULL");
	mvm_error_free(err);
	err = NULL;

	/* A path that names no share: neither one below a share nor one
	 * that is not there at all. */
	mvm_builder_share_mode_for(b, "/data/sub", MVM_SHARE_VIRTUAL, &err);
	mvm_builder_share_mode_for(b, "/nope", MVM_SHARE_VIRTUAL, &err);
	assert_null(err);
	assert_null(mvm_builder_build(b, &err));
	assert_int_equal(mvm_error_count(err), 2);
	assert_error_has(err, "share mode for `/data/sub`: no share is mounted there");
	assert_error_has(err, "share mode for `/nope`: no share is mounted there");
	mvm_error_free(err);
	mvm_builder_free(b);
}

/* -t: the size is kept as given and shown; one out of range is refused. */
static void test_tty(void **state)
{
	(void)state;
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_tty(b, true, 70000, 80, &err), -1);
	assert_error_has(err, "terminal size 70000x80: rows and columns go up to 65535");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_tty(b, true, 40, 120, &err), 0);
	mvm_vm *vm = build_ok(b);
	mvm_builder_free(b);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"tty\":{\"rows\":40,\"cols\":120}"));
	free(json);
	/* Before the start, a resize is the size it starts with. */
	assert_int_equal(mvm_vm_resize(vm, 0, 10, &err), -1);
	assert_error_has(err, "0x10: rows and columns go from 1 to 65535");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_vm_resize(vm, 10, 11, &err), 0);
	json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"tty\":{\"rows\":10,\"cols\":11}"));
	free(json);
	mvm_vm_free(vm);
	/* Only a VM with a terminal has one to resize. */
	b = minimal_builder("/");
	vm = build_ok(b);
	mvm_builder_free(b);
	assert_int_equal(mvm_vm_resize(vm, 10, 10, &err), -1);
	assert_error_has(err, "has no terminal");
	mvm_error_free(err);
	mvm_vm_free(vm);
}

static void test_publish_listening(void **state)
{
	(void)state;
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_publish_listening(b, "0.0.0.256", &err), -1);
	assert_error_has(err, "0.0.0.256");
	assert_error_has(err, "the address to publish listening ports on");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_publish_listening(b, "0.0.0.0", &err), 0);
	mvm_vm *vm = build_ok(b);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"publish_listening\":\"0.0.0.0\""));
	free(json);
	mvm_vm_free(vm);
	/* NULL turns it off again. */
	assert_int_equal(mvm_builder_publish_listening(b, NULL, &err), 0);
	vm = build_ok(b);
	json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"publish_listening\":null"));
	free(json);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

/* tmpfs options as mount(8) writes them: flags to bits, values kept,
 * anything else refused by name; groups bounded. */
static void test_tmpfs_and_groups(void **state)
{
	(void)state;
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	static const char *const bad[] = {"huge=always", "mode=8",	 "mode=07777x", "size=",
					  "size=1t",	 "uid=-1",	 "gid=4294967295", "bind",
					  "nr_inodes=5%", "mode=01777,,x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mvm_builder_tmpfs(b, "/run", bad[i], &err), -1);
		assert_error_has(err, "tmpfs on `/run`");
		mvm_error_free(err);
		err = NULL;
	}
	assert_int_equal(mvm_builder_tmpfs(b, "/run/", "rw,nosuid,nodev,noexec,mode=1777,size=50%,"
						       "nr_inodes=4k,uid=7,gid=8,strictatime",
					   &err),
			 0);
	assert_int_equal(mvm_builder_tmpfs(b, "/scratch", NULL, &err), 0);
	static const uint32_t gids[] = {10, 0, 4294967294u};
	assert_int_equal(mvm_builder_groups(b, gids, 3, &err), 0);
	static const uint32_t bad_gid[] = {UINT32_MAX};
	assert_int_equal(mvm_builder_groups(b, bad_gid, 1, &err), -1);
	assert_error_has(err, "4294967295");
	mvm_error_free(err);
	err = NULL;
	uint32_t many[65] = {0};
	assert_int_equal(mvm_builder_groups(b, many, 65, &err), -1);
	assert_error_has(err, "65 supplementary groups: at most 64");
	mvm_error_free(err);
	err = NULL;
	mvm_vm *vm = build_ok(b);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"tmpfs\":[{\"path\":\"/run\",\"flags\":39,"
				     "\"data\":\"mode=1777,size=50%,nr_inodes=4k,uid=7,gid=8\"},"
				     "{\"path\":\"/scratch\",\"flags\":0,\"data\":\"\"}],"
				     "\"groups\":[10,0,4294967294]"));
	free(json);
	mvm_vm_free(vm);
	/* The root is a share, not a tmpfs; 17 are too many. */
	assert_int_equal(mvm_builder_tmpfs(b, "/", "", &err), 0);
	for (int i = 0; i < 15; i++)
		mvm_builder_tmpfs(b, "/x", "", &err);
	assert_null(mvm_builder_build(b, &err));
	assert_error_has(err, "tmpfs on `/`");
	assert_error_has(err, "18 tmpfs mounts: at most 16");
	mvm_error_free(err);
	mvm_builder_free(b);
}

/* Read-only shares: only where a share is, and never an image's root. */
static void test_read_only(void **state)
{
	(void)state;
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_read_only(b, "data", &err), -1);
	assert_error_has(err, "data");
	mvm_error_free(err);
	err = NULL;
	assert_int_equal(mvm_builder_read_only(b, "/", &err), 0);
	assert_int_equal(mvm_builder_read_only(b, "/nowhere/", &err), 0);
	assert_null(mvm_builder_build(b, &err));
	assert_error_has(err, "read-only share `/nowhere`: no share is mounted there");
	mvm_error_free(err);
	err = NULL;
	mvm_builder_free(b);
	b = minimal_builder("/usr");
	mvm_builder_mapped_dir_pair(b, "/tmp", "/data", &err);
	assert_int_equal(mvm_builder_read_only(b, "/data/", &err), 0);
	assert_int_equal(mvm_builder_read_only(b, "/data", &err), 0); /* once */
	mvm_vm *vm = build_ok(b);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"read_only\":[\"/data\"]"));
	free(json);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

/* A held program is released only in a running VM that holds one. */
static void test_hold(void **state)
{
	(void)state;
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	mvm_vm *vm = build_ok(b);
	assert_int_equal(mvm_vm_release(vm, &err), -1);
	assert_error_has(err, "not running");
	mvm_error_free(err);
	err = NULL;
	mvm_vm_free(vm);
	assert_int_equal(mvm_builder_hold(b, true, &err), 0);
	vm = build_ok(b);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"hold\":true"));
	free(json);
	mvm_vm_free(vm);
	assert_int_equal(mvm_vm_release(NULL, &err), -1);
	mvm_error_free(err);
	mvm_builder_free(b);
}

static void test_json_of_unset_values(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	mvm_vm *vm = build_ok(b);
	char *json = mvm_vm_config_json(vm, &err);
	assert_string_equal(json, "{\"log_level\":\"off\",\"root_path\":\"/\",\"num_vcpus\":1,"
				  "\"ram_mib\":64,\"dax_window_mib\":0,"
				  "\"mapped_dirs\":[],\"port_map\":[],"
				  "\"rlimits\":[],\"workdir_path\":null,\"exec_path\":null,"
				  "\"args\":[],\"env\":[],\"tty\":null,\"console_output\":null,\"vsock\":null,"
				  "\"assigned_ip\":null,\"local_only\":true,"
				  "\"share_mode\":\"auto\",\"share_modes\":{},\"read_only\":[],"
				  "\"seccomp\":true,\"jail\":true,"
				  "\"jail_user\":null,\"hold\":false,\"publish_listening\":null,\"hostname\":null,\"sysctls\":[],\"guest_files\":[],\"tmpfs\":[],\"groups\":[],\"user\":null,\"image\":null}");
	free(json);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_config_copy_is_deep(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/usr");
	mvm_builder_mapped_dir(b, "/tmp:/a", &err);
	mvm_builder_env(b, "K=V", &err);
	mvm_builder_arg(b, "x", &err);
	mvm_builder_rlimit(b, "1=1:2", &err);
	mvm_builder_port_map(b, "1:2", &err);
	mvm_builder_exec_path(b, "/e", &err);
	mvm_builder_dax_window_mib(b, 1024, &err);
	mvm_vm *vm = build_ok(b);
	struct mvm_config copy;
	assert_int_equal(mvm_config_copy(&copy, &vm->cfg, &err), 0);
	mvm_vm_free(vm); /* the copy must survive its source */
	assert_string_equal(copy.mapped_dirs[0].guest, "/a");
	assert_string_equal(copy.env[0].value, "V");
	assert_string_equal(copy.args[0], "x");
	assert_string_equal(copy.exec_path, "/e");
	assert_true(copy.rlimits[0].hard == 2);
	assert_int_equal(copy.ports[0].guest, 2);
	assert_int_equal(copy.dax_window_mib, 1024);
	mvm_config_clear(&copy);
	assert_null(copy.root_path);
	assert_int_equal(copy.n_env, 0);
	assert_int_equal(copy.num_vcpus, 1); /* cleared back to defaults */
	mvm_config_clear(&copy);	     /* twice is harmless */
	mvm_builder_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_builder_and_values),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_many_args_and_env),
	    cmocka_unit_test(test_builder_reusable_after_build),
	    cmocka_unit_test(test_kernel_path),
	    cmocka_unit_test(test_log_level_setter),
	    cmocka_unit_test(test_log_callback),
	    cmocka_unit_test(test_json_of_reference_example),
	    cmocka_unit_test(test_json_of_unset_values),
	    cmocka_unit_test(test_tty),
	    cmocka_unit_test(test_publish_listening),
	    cmocka_unit_test(test_tmpfs_and_groups),
	    cmocka_unit_test(test_read_only),
	    cmocka_unit_test(test_hold),
	    cmocka_unit_test(test_share_mode),
	    cmocka_unit_test(test_share_mode_for),
	    cmocka_unit_test(test_config_copy_is_deep),
	};
	return cmocka_run_group_tests_name("builder", tests, NULL, NULL);
}
