/* SPDX-License-Identifier: Apache-2.0 */
/* Two VMs at once from one process through the C API: each gets its own
 * stdout pipe and exit status, and they overlap in time: each guest waits
 * in a shared directory for the other's marker, which only works if both
 * run at once (a timing comparison would be flaky on a loaded host).
 * Usage: concurrent_vms ROOTFS SHARED_DIR  (prints ok/FAIL lines like lib.sh) */
#include "vm_app.h"

#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static mvm_vm *make_vm(const char *root, const char *shared, int out_fd, const char *script)
{
	mvm_error *e = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, root, &e);
	if (shared)
		mvm_builder_mapped_dir_pair(b, shared, "/shared", &e);
	mvm_builder_ram_mib(b, 192, &e);
	mvm_builder_exec_path(b, "/bin/sh", &e);
	const char *args[] = {"-c", script};
	mvm_builder_args(b, args, 2, &e);
	mvm_builder_stdio(b, -1, out_fd, 2, &e);
	mvm_vm *vm = e ? NULL : mvm_builder_build(b, &e);
	if (vm == NULL)
		print_errors("", "build", e);
	mvm_error_free(e);
	mvm_builder_free(b);
	return vm;
}

/* Open fds and threads of this process: what a VM's teardown must give back. */
static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;
	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s ROOTFS SHARED_DIR\n", argv[0]);
		return 2;
	}
	int p1[2], p2[2];
	if (pipe(p1) < 0 || pipe(p2) < 0)
		return 2;
	int fds_before = count_dir("/proc/self/fd");
	int threads_before = count_dir("/proc/self/task");
	/* Rendezvous: each leaves its marker and waits (at most ~120 s) for the
	 * other's; exit 9 means the other VM never ran alongside. */
	mvm_vm *a = make_vm(argv[1], argv[2], p1[1],
			    "touch /shared/a; i=0; while [ ! -e /shared/b ]; do i=$((i+1)); "
			    "[ $i -gt 1200 ] && exit 9; sleep 0.1; done; echo from-a; exit 3");
	mvm_vm *b = make_vm(argv[1], argv[2], p2[1],
			    "touch /shared/b; i=0; while [ ! -e /shared/a ]; do i=$((i+1)); "
			    "[ $i -gt 1200 ] && exit 9; sleep 0.1; done; echo from-b; exit 4");
	if (!a || !b) {
		check("two VMs built", 0, "build failed");
		return 1;
	}
	mvm_error *e = NULL;
	double t0 = now();
	int sa = mvm_vm_spawn(a, &e), sb = mvm_vm_spawn(b, &e);
	if (sa < 0 || sb < 0)
		print_errors("", "spawn", e);
	check("two VMs spawned", sa == 0 && sb == 0, "spawn failed");
	int st_a = -1, st_b = -1;
	struct pollfd pf[2] = {{mvm_vm_wait_fd(a), POLLIN, 0}, {mvm_vm_wait_fd(b), POLLIN, 0}};
	check("wait fds are pollable", pf[0].fd >= 0 && pf[1].fd >= 0, "no wait fd");
	/* The guests give up after ~120 s; a VM still running well after that
	 * is stuck, and is killed so that this test fails instead of hanging. */
	int ended = 0;
	while (ended < 2 && now() - t0 < 300) {
		if (poll(pf, 2, 1000) < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd >= 0 && (pf[i].revents & POLLIN)) {
				pf[i].fd = -1;
				ended++;
			}
		}
	}
	const char *stuck = pf[0].fd >= 0 && pf[1].fd >= 0 ? "VMs a and b are stuck (killed)"
			    : pf[0].fd >= 0		   ? "VM a is stuck (killed)"
							   : "VM b is stuck (killed)";
	check("both VMs end within 300 s", ended == 2, stuck);
	if (pf[0].fd >= 0)
		mvm_vm_kill(a, NULL);
	if (pf[1].fd >= 0)
		mvm_vm_kill(b, NULL);
	int ra = mvm_vm_wait(a, &st_a, &e);
	int rb = mvm_vm_wait(b, &st_b, &e);
	double both = now() - t0;
	if (ra < 0 || rb < 0)
		print_errors("", "wait", e);
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
	mvm_vm *c = make_vm(argv[1], NULL, p3[1], "exit 0");
	double t1 = now();
	int st_c = -1;
	e = NULL;
	if (c == NULL || mvm_vm_start(c, &st_c, &e) < 0)
		print_errors("", "single", e);
	mvm_error_free(e);
	double one = now() - t1;
	fprintf(stderr, "concurrent_vms: two VMs took %.2fs, one alone %.2fs\n", both, one);
	check("a third VM runs after the first two", st_c == 0, "wrong status");
	mvm_vm_free(a);
	mvm_vm_free(b);
	mvm_vm_free(c);
	close(p1[0]);
	close(p2[0]);
	close(p3[0]);
	close(p3[1]);
	char leak[128];
	int fds_after = count_dir("/proc/self/fd"), threads_after = count_dir("/proc/self/task");
	snprintf(leak, sizeof(leak), "fds %d -> %d, threads %d -> %d", fds_before, fds_after,
		 threads_before, threads_after);
	/* The pipes of this test were opened before the first count. */
	check("teardown returns every fd", fds_after == fds_before - 4, leak);
	check("teardown joins every thread", threads_after == threads_before, leak);
	return failures ? 1 : 0;
}
