/* SPDX-License-Identifier: Apache-2.0 */
/* Two VMs at once from one process through the C API: each gets its own
 * stdout pipe and exit status, and they overlap in time.
 * Usage: concurrent_vms ROOTFS  (prints ok/FAIL lines like lib.sh) */
#include "mvm.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *name, int cond, const char *why)
{
	if (cond) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
}

static void print_err(const char *what, mvm_error *e)
{
	for (size_t i = 0; i < mvm_error_count(e); i++)
		fprintf(stderr, "%s: %s\n", what, mvm_error_message_at(e, i));
}

static mvm_vm *make_vm(const char *root, int out_fd, const char *script)
{
	mvm_error *e = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, root, &e);
	mvm_builder_ram_mib(b, 192, &e);
	mvm_builder_exec_path(b, "/bin/sh", &e);
	const char *args[] = {"-c", script};
	mvm_builder_args(b, args, 2, &e);
	mvm_builder_stdio(b, -1, out_fd, 2, &e);
	mvm_vm *vm = e ? NULL : mvm_builder_build(b, &e);
	if (vm == NULL)
		print_err("build", e);
	mvm_error_free(e);
	mvm_builder_free(b);
	return vm;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOTFS\n", argv[0]);
		return 2;
	}
	int p1[2], p2[2];
	if (pipe(p1) < 0 || pipe(p2) < 0)
		return 2;
	/* Each guest sleeps, so the run only takes ~1x the sleep if the VMs
	 * really overlap. */
	mvm_vm *a = make_vm(argv[1], p1[1], "sleep 2; echo from-a; exit 3");
	mvm_vm *b = make_vm(argv[1], p2[1], "sleep 2; echo from-b; exit 4");
	if (!a || !b) {
		check("two VMs built", 0, "build failed");
		return 1;
	}
	mvm_error *e = NULL;
	double t0 = now();
	int sa = mvm_vm_spawn(a, &e), sb = mvm_vm_spawn(b, &e);
	if (sa < 0 || sb < 0)
		print_err("spawn", e);
	check("two VMs spawned", sa == 0 && sb == 0, "spawn failed");
	int st_a = -1, st_b = -1;
	struct pollfd pf[2] = {{mvm_vm_wait_fd(a), POLLIN, 0}, {mvm_vm_wait_fd(b), POLLIN, 0}};
	check("wait fds are pollable", pf[0].fd >= 0 && pf[1].fd >= 0, "no wait fd");
	int ra = mvm_vm_wait(a, &st_a, &e);
	int rb = mvm_vm_wait(b, &st_b, &e);
	double both = now() - t0;
	if (ra < 0 || rb < 0)
		print_err("wait", e);
	mvm_error_free(e);
	close(p1[1]);
	close(p2[1]);
	char out_a[64] = {0}, out_b[64] = {0};
	ssize_t na = read(p1[0], out_a, sizeof(out_a) - 1);
	ssize_t nb = read(p2[0], out_b, sizeof(out_b) - 1);
	(void)na;
	(void)nb;
	check("VM a exit status 3", st_a == 3, "wrong status");
	check("VM b exit status 4", st_b == 4, "wrong status");
	check("VM a output", strcmp(out_a, "from-a\n") == 0, out_a);
	check("VM b output", strcmp(out_b, "from-b\n") == 0, out_b);
	/* Measure one VM alone for comparison. */
	int p3[2];
	if (pipe(p3) < 0)
		return 2;
	mvm_vm *c = make_vm(argv[1], p3[1], "sleep 2; exit 0");
	double t1 = now();
	int st_c = -1;
	e = NULL;
	if (c == NULL || mvm_vm_start(c, &st_c, &e) < 0)
		print_err("single", e);
	mvm_error_free(e);
	double one = now() - t1;
	char why[128];
	snprintf(why, sizeof(why), "two VMs took %.2fs, one took %.2fs", both, one);
	fprintf(stderr, "concurrent_vms: %s\n", why);
	check("VMs run concurrently", both < 1.7 * one, why);
	mvm_vm_free(a);
	mvm_vm_free(b);
	mvm_vm_free(c);
	return failures ? 1 : 0;
}
