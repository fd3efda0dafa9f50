/* SPDX-License-Identifier: Apache-2.0 */
/* build(): the rules on numbers, ports, rlimits, env and the IP, and
 * reporting every problem at once. */
#include "test_util.h"

#include "vmm/vm.h"

#include <inttypes.h>

static void expect_one_problem(mvm_builder *b, const char *needle1, const char *needle2)
{
	mvm_error *err = build_fails(b);
	if (mvm_error_count(err) != 1)
		print_problems(err);
	assert_int_equal(mvm_error_count(err), 1);
	assert_int_equal(mvm_error_get_code(err), MVM_ERR_INVALID);
	assert_error_has(err, needle1, needle2);
	mvm_error_free(err);
}

static void test_defaults(void **state)
{
	mvm_builder *b = minimal_builder("/");
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.num_vcpus, 1);
	assert_int_equal(vm->cfg.ram_mib, 64);
	assert_int_equal(vm->cfg.dax_window_mib, MVM_DEFAULT_DAX_WINDOW_MIB);
	assert_int_equal(vm->cfg.log.level, MVM_LOG_OFF);
	assert_true(vm->cfg.local_only);
	assert_false(vm->cfg.has_assigned_ip);
	assert_null(vm->cfg.exec_path);
	assert_null(vm->cfg.kernel_path);
	assert_int_equal(vm->cfg.n_args + vm->cfg.n_env + vm->cfg.n_ports + vm->cfg.n_rlimits +
			     vm->cfg.n_mapped_dirs,
			 0);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_vcpus(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	unsigned good[] = {1, 2, 255};
	for (size_t i = 0; i < 3; i++) {
		mvm_builder_num_vcpus(b, good[i], &err);
		mvm_vm *vm = build_ok(b);
		assert_int_equal(vm->cfg.num_vcpus, good[i]);
		mvm_vm_free(vm);
	}
	mvm_builder_num_vcpus(b, 0, &err);
	expect_one_problem(b, "vCPU count 0", "1..255");
	mvm_builder_num_vcpus(b, 256, &err);
	expect_one_problem(b, "vCPU count 256", "1..255");
	mvm_builder_num_vcpus(b, 4000000000u, &err);
	expect_one_problem(b, "vCPU count 4000000000", "1..255");
	assert_null(err);
	mvm_builder_free(b);
}

static void test_ram(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, "/", &err);
	expect_one_problem(b, "RAM size is required", "");
	mvm_builder_ram_mib(b, 0, &err);
	expect_one_problem(b, "RAM size 0", "> 0");
	mvm_builder_ram_mib(b, UINT32_MAX, &err);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.ram_mib, UINT32_MAX);
	mvm_vm_free(vm);
	assert_null(err);
	mvm_builder_free(b);
}

/* 0 (no DAX) or whole 2 MiB chunks up to 64 GiB; the setter stores
 * anything and build() names the bad value. */
static void test_dax_window(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	uint32_t good[] = {0, 2, 256, 65536};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(mvm_builder_dax_window_mib(b, good[i], &err), 0);
		mvm_vm *vm = build_ok(b);
		assert_int_equal(vm->cfg.dax_window_mib, good[i]);
		mvm_vm_free(vm);
	}
	uint32_t bad[] = {1, 3, 65538, 100000, UINT32_MAX};
	for (size_t i = 0; i < 5; i++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "DAX window size %" PRIu32 " MiB", bad[i]);
		assert_int_equal(mvm_builder_dax_window_mib(b, bad[i], &err), 0);
		expect_one_problem(b, needle, "0 or an even number of MiB from 2 to 65536");
	}
	assert_null(err);
	assert_int_equal(mvm_builder_dax_window_mib(NULL, 2, &err), -1);
	assert_error_has(err, "DAX window size", "the builder is NULL");
	mvm_error_free(err);
	mvm_builder_free(b);
}

static void test_ports(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_port_map(b, "8080:80", &err), 0);
	assert_int_equal(mvm_builder_port_map(b, "3000", &err), 0);
	assert_int_equal(mvm_builder_port_pair(b, 2222, 22, &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.n_ports, 3);
	assert_int_equal(vm->cfg.ports[1].host, 3000);
	assert_int_equal(vm->cfg.ports[1].guest, 3000);
	assert_int_equal(vm->cfg.ports[2].guest, 22);
	mvm_vm_free(vm);
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_port_map(b, "8080:80", &err);
	mvm_builder_port_map(b, "8080:81", &err);
	expect_one_problem(b, "duplicate host port 8080", "8080:81");
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_port_map(b, "8080:80", &err);
	mvm_builder_port_map(b, "9090:80", &err);
	expect_one_problem(b, "duplicate guest port 80", "9090:80");
	mvm_builder_free(b);

	/* "3000" occupies 3000 on both sides. */
	b = minimal_builder("/");
	mvm_builder_port_map(b, "3000", &err);
	mvm_builder_port_map(b, "3000:3001", &err);
	expect_one_problem(b, "duplicate host port 3000", "");
	mvm_builder_free(b);

	/* The typed setter cannot slip port 0 past build(). */
	b = minimal_builder("/");
	mvm_builder_port_pair(b, 0, 80, &err);
	expect_one_problem(b, "port mapping 0:80", "1..65535");
	mvm_builder_free(b);
	assert_null(err);
}

/* docker's longer forms: a host address and /udp. */
static void test_port_specs(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_port_map(b, "0.0.0.0:8080:80", &err), 0);
	assert_int_equal(mvm_builder_port_map(b, "5353:53/udp", &err), 0);
	/* TCP and UDP are separate: the same numbers do not clash. */
	assert_int_equal(mvm_builder_port_map(b, "5353:53/tcp", &err), 0);
	assert_int_equal(mvm_builder_port_map(b, "127.0.0.1:9000:90", &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.n_ports, 4);
	assert_int_equal(vm->cfg.ports[0].bind_ip, 0); /* 0.0.0.0: every address */
	assert_false(vm->cfg.ports[0].udp);
	assert_true(vm->cfg.ports[1].udp);
	assert_false(vm->cfg.ports[2].udp);
	assert_int_equal(vm->cfg.ports[3].bind_ip, 0x7f000001);
	assert_int_equal(vm->cfg.ports[1].bind_ip, 0x7f000001); /* the default */
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(json);
	assert_non_null(strstr(json, "{\"host\":5353,\"guest\":53,\"protocol\":\"udp\"}"));
	assert_non_null(strstr(json, "{\"host\":5353,\"guest\":53}"));
	assert_non_null(strstr(json, "{\"host\":8080,\"guest\":80,\"host_ip\":\"0.0.0.0\"}"));
	assert_non_null(strstr(json, "{\"host\":9000,\"guest\":90}"));
	free(json);
	mvm_vm_free(vm);
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_port_map(b, "6000:60/udp", &err);
	mvm_builder_port_map(b, "6000:61/udp", &err);
	expect_one_problem(b, "duplicate host port 6000", "6000:61");
	mvm_builder_free(b);
	assert_null(err);

	const char *bad[] = {"1.2.3:80:80", "127.0.0.1:80:80/sctp", "80:80/", "::1:80:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = minimal_builder("/");
		assert_int_equal(mvm_builder_port_map(b, bad[i], &err), -1);
		assert_non_null(err);
		mvm_error_free(err);
		err = NULL;
		mvm_builder_free(b);
	}
}

static void test_rlimits(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_rlimit(b, "RLIMIT_NOFILE=1024:1024", &err), 0);
	assert_int_equal(mvm_builder_rlimit(b, "3=8388608:16777216", &err), 0);
	assert_int_equal(mvm_builder_rlimit_value(b, 4, 0, UINT64_MAX, &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.n_rlimits, 3);
	assert_int_equal(vm->cfg.rlimits[1].resource, 3);
	assert_true(vm->cfg.rlimits[2].hard == UINT64_MAX);
	mvm_vm_free(vm);
	mvm_builder_free(b);

	/* Same resource by name and by number. */
	b = minimal_builder("/");
	mvm_builder_rlimit(b, "RLIMIT_NOFILE=1:1", &err);
	mvm_builder_rlimit(b, "7=2:2", &err);
	expect_one_problem(b, "duplicate rlimit RLIMIT_NOFILE", "");
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_rlimit_value(b, 7, 2, 1, &err);
	expect_one_problem(b, "rlimit 7=2:1", "soft limit exceeds the hard limit");
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_rlimit_value(b, 16, 1, 1, &err);
	expect_one_problem(b, "rlimit 16=1:1", "unknown resource");
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_rlimit_value(b, -1, 1, 1, &err);
	expect_one_problem(b, "rlimit -1=1:1", "unknown resource");
	mvm_builder_free(b);
	assert_null(err);

	/* A bad string adds nothing to the builder. */
	b = minimal_builder("/");
	assert_int_equal(mvm_builder_rlimit(b, "RLIMIT_NOFILE=2:1", &err), -1);
	assert_error_has(err, "`RLIMIT_NOFILE=2:1`");
	mvm_error_free(err);
	vm = build_ok(b);
	assert_int_equal(vm->cfg.n_rlimits, 0);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

static void test_env(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_env(b, "KEY=", &err), 0);
	assert_int_equal(mvm_builder_env(b, "A=b=c", &err), 0);
	assert_int_equal(mvm_builder_env_pair(b, "my.var", "x\ny", &err), 0);
	/* Duplicates are allowed; the guest's environment keeps the last. */
	assert_int_equal(mvm_builder_env(b, "KEY=again", &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_int_equal(vm->cfg.n_env, 4);
	assert_string_equal(vm->cfg.env[0].value, "");
	assert_string_equal(vm->cfg.env[1].key, "A");
	assert_string_equal(vm->cfg.env[1].value, "b=c");
	assert_string_equal(vm->cfg.env[2].value, "x\ny");
	mvm_vm_free(vm);
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_env_pair(b, "", "v", &err);
	expect_one_problem(b, "env key ``", "empty");
	mvm_builder_free(b);

	b = minimal_builder("/");
	mvm_builder_env_pair(b, "A=B", "v", &err);
	expect_one_problem(b, "env key `A=B`", "contains `=`");
	mvm_builder_free(b);
	assert_null(err);
}

static void test_guest_system(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_hostname(b, "box-1.lan", &err), 0);
	assert_int_equal(mvm_builder_sysctl(b, "net.ipv4.ping_group_range=0 0", &err), 0);
	assert_int_equal(mvm_builder_sysctl(b, "kernel/shmmax=1", &err), 0);
	assert_int_equal(mvm_builder_guest_file(b, "/etc//hosts/", 0644, true, "x", 1, &err), 0);
	assert_int_equal(mvm_builder_guest_file(b, "/e", 0, false, NULL, 0, &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_string_equal(vm->cfg.hostname, "box-1.lan");
	assert_int_equal(vm->cfg.n_sysctls, 2);
	assert_int_equal(vm->cfg.n_files, 2);
	assert_string_equal(vm->cfg.files[0].path, "/etc/hosts"); /* normalised */
	assert_true(vm->cfg.files[0].readonly);
	char *json = mvm_vm_config_json(vm, &err);
	assert_non_null(strstr(json, "\"hostname\":\"box-1.lan\""));
	assert_non_null(strstr(json, "\"guest_files\":[{\"path\":\"/etc/hosts\",\"mode\":420,\"size\":1,\"readonly\":true}"));
	free(json);
	mvm_vm_free(vm);
	mvm_builder_free(b);

	static const char *const bad_hosts[] = {"", "a b", "a_b", "x/y"};
	for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
		b = minimal_builder("/");
		mvm_builder_hostname(b, bad_hosts[i], &err);
		char q[64];
		snprintf(q, sizeof(q), "host name `%s`", bad_hosts[i]);
		expect_one_problem(b, q, "[A-Za-z0-9.-]");
		mvm_builder_free(b);
	}
	char longname[80];
	memset(longname, 'a', 65);
	longname[65] = '\0';
	b = minimal_builder("/");
	mvm_builder_hostname(b, longname, &err);
	expect_one_problem(b, "host name", "1 to 64");
	mvm_builder_free(b);
	static const char *const bad_sysctls[] = {"=1", "a..b=1", "../x=1", "a/=1", "x", "a b=1", "a=1\n2"};
	for (size_t i = 0; i < sizeof(bad_sysctls) / sizeof(bad_sysctls[0]); i++) {
		b = minimal_builder("/");
		mvm_builder_sysctl(b, bad_sysctls[i], &err);
		expect_one_problem(b, "invalid sysctl", "KEY=VALUE");
		mvm_builder_free(b);
	}
	b = minimal_builder("/");
	mvm_builder_guest_file(b, "relative", 0644, false, "x", 1, &err);
	expect_one_problem(b, "relative", "absolute");
	mvm_builder_free(b);
	b = minimal_builder("/");
	mvm_builder_guest_file(b, "/", 0644, false, "x", 1, &err);
	expect_one_problem(b, "guest file `/`", "cannot be the root");
	mvm_builder_free(b);
	b = minimal_builder("/");
	mvm_builder_guest_file(b, "/x", 010000, false, "x", 1, &err);
	expect_one_problem(b, "guest file `/x`", "mode 07777");
	mvm_builder_free(b);
	static char big[256 * 1024 + 1];
	b = minimal_builder("/");
	mvm_builder_guest_file(b, "/x", 0644, false, big, sizeof(big), &err);
	expect_one_problem(b, "262145 bytes", "at most 262144");
	mvm_builder_free(b);
	assert_int_equal(mvm_builder_guest_file(NULL, "/x", 0, false, "x", 1, &err), -1);
	mvm_error_free(err);
	err = NULL;
	b = minimal_builder("/");
	assert_int_equal(mvm_builder_guest_file(b, "/x", 0, false, NULL, 5, &err), -1);
	assert_error_has(err, "no data for 5 bytes");
	mvm_error_free(err);
	mvm_builder_free(b);
}

static void test_assigned_ip(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = minimal_builder("/");
	assert_int_equal(mvm_builder_assigned_ip(b, "10.0.2.15", &err), 0);
	mvm_vm *vm = build_ok(b);
	assert_true(vm->cfg.has_assigned_ip);
	assert_int_equal(vm->cfg.assigned_ip, 0x0a00020f);
	mvm_vm_free(vm);

	const char *bad[] = {"0.0.0.0",	  "255.255.255.255", "224.0.0.1",
			     "239.1.2.3", "127.0.0.1",	     "127.1.2.3"};
	const char *why[] = {"unspecified", "broadcast", "multicast",
			     "multicast",   "loopback",	 "loopback"};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(mvm_builder_assigned_ip(b, bad[i], &err), 0);
		char quoted[32];
		snprintf(quoted, sizeof(quoted), "`%s`", bad[i]);
		expect_one_problem(b, quoted, why[i]);
	}
	assert_int_equal(mvm_builder_assigned_ipv4(b, 0xe0000005, &err), 0);
	expect_one_problem(b, "`224.0.0.5`", "multicast");
	assert_null(err);
	/* The guest's network is the /24 around the address. */
	assert_int_equal(mvm_builder_assigned_ip(b, "192.168.50.0", &err), 0);
	expect_one_problem(b, "`192.168.50.0`", "network or broadcast");
	assert_int_equal(mvm_builder_assigned_ip(b, "192.168.50.255", &err), 0);
	expect_one_problem(b, "`192.168.50.255`", "network or broadcast");
	assert_null(err);

	/* A malformed address fails in the setter and keeps the old one. */
	assert_int_equal(mvm_builder_assigned_ip(b, "10.0.2.15", &err), 0);
	assert_int_equal(mvm_builder_assigned_ip(b, "10.0.2", &err), -1);
	assert_error_has(err, "`10.0.2`");
	mvm_error_free(err);
	vm = build_ok(b);
	assert_int_equal(vm->cfg.assigned_ip, 0x0a00020f);
	mvm_vm_free(vm);
	mvm_builder_free(b);
}

/* One builder with ten independent problems: build() names all ten. */
static void test_all_problems_at_once(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, "/nonexistent/root", &err);	    /* 1 */
	mvm_builder_num_vcpus(b, 0, &err);			    /* 2 */
	mvm_builder_ram_mib(b, 0, &err);			    /* 3 */
	mvm_builder_mapped_dir(b, "/nonexistent/host:/data", &err); /* 4 */
	mvm_builder_mapped_dir(b, "/:/data/", &err);		    /* 5 duplicate */
	mvm_builder_port_map(b, "80:80", &err);
	mvm_builder_port_map(b, "80:81", &err);	       /* 6 */
	mvm_builder_rlimit_value(b, 7, 5, 1, &err);    /* 7 */
	mvm_builder_env_pair(b, "", "x", &err);	       /* 8 */
	mvm_builder_workdir_path(b, "rel", &err);      /* 9 */
	mvm_builder_assigned_ip(b, "127.0.0.1", &err); /* 10 */
	assert_null(err);
	err = build_fails(b);
	if (mvm_error_count(err) != 10)
		print_problems(err);
	assert_int_equal(mvm_error_count(err), 10);
	assert_error_has(err, "/nonexistent/root");
	assert_error_has(err, "vCPU count 0");
	assert_error_has(err, "RAM size 0");
	assert_error_has(err, "/nonexistent/host");
	assert_error_has(err, "duplicate mapped dir guest path `/data`");
	assert_error_has(err, "duplicate host port 80");
	assert_error_has(err, "soft limit exceeds");
	assert_error_has(err, "env key ``");
	assert_error_has(err, "workdir `rel`");
	assert_error_has(err, "127.0.0.1");
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(mvm_error_code_at(err, i), MVM_ERR_INVALID);
	mvm_error_free(err);
	mvm_builder_free(b);
}

/* Setter problems and build problems collect in the same error. */
static void test_problems_append_to_caller_error(void **state)
{
	mvm_error *err = NULL;
	mvm_builder *b = mvm_builder_new();
	assert_int_equal(mvm_builder_port_map(b, "+80", &err), -1);
	assert_int_equal(mvm_builder_env(b, "NOEQUALS", &err), -1);
	assert_null(mvm_builder_build(b, &err));
	assert_int_equal(mvm_error_count(err), 4);
	assert_error_has(err, "`+80`");
	assert_error_has(err, "`NOEQUALS`");
	assert_error_has(err, "root path is required");
	assert_error_has(err, "RAM size is required");
	assert_string_equal(mvm_error_get_message(err), mvm_error_message_at(err, 0));
	assert_non_null(strstr(mvm_error_get_message(err), "+80"));
	mvm_error_free(err);
	mvm_builder_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_vcpus),
	    cmocka_unit_test(test_ram),
	    cmocka_unit_test(test_dax_window),
	    cmocka_unit_test(test_port_specs),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_rlimits),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_guest_system),
	    cmocka_unit_test(test_assigned_ip),
	    cmocka_unit_test(test_all_problems_at_once),
	    cmocka_unit_test(test_problems_append_to_caller_error),
	};
	return cmocka_run_group_tests_name("build_values", tests, NULL, NULL);
}
