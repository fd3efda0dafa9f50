/* SPDX-License-Identifier: Apache-2.0 */
/* One guest exhausting the fds its share may hold must not starve the
 * process: VM A creates files in its share, holding each one's inode, until
 * the server refuses; while A still holds them, VM B in the same process
 * boots, uses its own share and the network, and exits; then A, still
 * served, reads a file it holds and exits. Run it under a low
 * `ulimit -n` (test_fd_exhaust.sh uses 512): without a per-process fd
 * budget A's guest drives the process to EMFILE and B cannot start.
 * Usage: fd_exhaust_vms ROOTFS SHARED_A SHARED_B CTL_DIR HTTP_PORT
 * (prints ok/FAIL lines like lib.sh) */
#include "vm_app.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_S 300

static mvm_vm *make_vm(const char *root, const char *shared, const char *ctl, int out_fd,
		       const char *script)
{
	mvm_error *e = NULL;
	mvm_builder *b = mvm_builder_new();
	mvm_builder_root_path(b, root, &e);
	mvm_builder_mapped_dir_pair(b, shared, "/shared", &e);
	if (ctl)
		mvm_builder_mapped_dir_pair(b, ctl, "/ctl", &e);
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

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int count_fds(void)
{
	return count_entries("/proc/self/fd") - 1; /* the DIR's own fd */
}

/* Reads fd until `want` appears in what was read, the fd ends, or the
 * deadline passes; the text read so far stays in buf. */
static int read_until(int fd, char *buf, size_t cap, const char *want, double deadline)
{
	size_t used = strlen(buf);
	while (!strstr(buf, want) && now() < deadline && used + 1 < cap) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 1000) <= 0)
			continue;
		ssize_t n = read(fd, buf + used, cap - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
	}
	return strstr(buf, want) != NULL;
}

/* Appends what is left on fd, to its end. */
static void read_rest(int fd, char *buf, size_t cap)
{
	size_t used = strlen(buf);
	ssize_t n;
	while (used + 1 < cap && (n = read(fd, buf + used, cap - 1 - used)) > 0) {
		used += (size_t)n;
		buf[used] = '\0';
	}
}

/* Waits for a VM to end, killing it at the deadline. -1 if it had to die. */
static int wait_vm(mvm_vm *vm, double deadline, int *status)
{
	struct pollfd p = {mvm_vm_wait_fd(vm), POLLIN, 0};
	while (now() < deadline && poll(&p, 1, 1000) == 0)
		;
	int stuck = !(p.revents & POLLIN);
	if (stuck)
		mvm_vm_kill(vm, NULL);
	mvm_error *e = NULL;
	if (mvm_vm_wait(vm, status, &e) < 0)
		print_errors("", "wait", e);
	mvm_error_free(e);
	return stuck ? -1 : 0;
}

/* Can the process still open n more fds? */
static int has_spare_fds(int n)
{
	int fds[64], got = 0;
	while (got < n && got < 64 && (fds[got] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		got++;
	for (int i = 0; i < got; i++)
		close(fds[i]);
	return got == n;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s ROOTFS SHARED_A SHARED_B CTL_DIR HTTP_PORT\n", argv[0]);
		return 2;
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	fprintf(stderr, "fd_exhaust_vms: RLIMIT_NOFILE %llu:%llu\n",
		(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	int a_out[2], b_out[2];
	if (pipe(a_out) < 0 || pipe(b_out) < 0)
		return 2;
	char go[512];
	snprintf(go, sizeof(go), "%s/go", argv[4]);
	int fds_before = count_fds();
	/* Creates files until the share refuses one (or 5000, which a capped
	 * server never allows under the test's limit), reports, and then holds
	 * them all until the host says go (in another share). */
	mvm_vm *a =
	    make_vm(argv[1], argv[2], argv[4], a_out[1],
		    "cd /shared || exit 1; i=0; while [ $i -lt 5000 ] && "
		    "echo x 2>/dev/null >f$i; do i=$((i+1)); done; echo \"full $i\"; "
		    "while [ ! -e /ctl/go ]; do sleep 0.2; done; cat f0 && ls | wc -l; exit 3");
	if (a == NULL) {
		check("VM a built", 0, "build failed");
		return 1;
	}
	mvm_error *e = NULL;
	double t0 = now();
	if (mvm_vm_spawn(a, &e) < 0)
		print_errors("", "spawn a", e);
	mvm_error_free(e);
	e = NULL;
	char out_a[4096] = {0};
	int full = 0;
	/* A progress line every 30 s, so that a slow or stuck guest shows. */
	while (!full && now() < t0 + DEADLINE_S) {
		full = read_until(a_out[0], out_a, sizeof(out_a), "\n", now() + 30);
		if (!full)
			fprintf(stderr, "fd_exhaust_vms: %.0fs: VM a made %d files so far\n",
				now() - t0, count_entries(argv[2]));
	}
	int made = -1;
	sscanf(out_a, "full %d", &made);
	fprintf(stderr, "fd_exhaust_vms: VM a made %d files in %.1fs; process holds %d fds\n", made,
		now() - t0, count_fds());
	check("VM a's guest is refused new files", full && made > 0 && made < 5000, out_a);
	check("the process is not at EMFILE", has_spare_fds(64),
	      "cannot open 64 more fds while VM a holds its files");

	/* VM B while A holds everything it could get. */
	char script_b[256];
	snprintf(script_b, sizeof(script_b),
		 "echo b-share >/shared/b && cat /shared/b && wget -qO- http://10.0.2.2:%s/ && "
		 "exit 4",
		 argv[5]);
	mvm_vm *b = make_vm(argv[1], argv[3], NULL, b_out[1], script_b);
	int st_b = -1;
	double t1 = now();
	int spawned = b != NULL && mvm_vm_spawn(b, &e) == 0;
	if (!spawned && e)
		print_errors("", "spawn b", e);
	mvm_error_free(e);
	e = NULL;
	check("VM b starts beside the exhausted VM a", spawned, "spawn failed");
	if (spawned)
		check("VM b ends within the deadline", wait_vm(b, t1 + DEADLINE_S, &st_b) == 0,
		      "VM b is stuck (killed)");
	close(b_out[1]);
	char out_b[256] = {0};
	read_rest(b_out[0], out_b, sizeof(out_b));
	char why[8192];
	snprintf(why, sizeof(why), "status %d, output [%s]", st_b, out_b);
	check("VM b uses its share and the network, exit status 4",
	      st_b == 4 && strcmp(out_b, "b-share\nhost-page\n") == 0, why);

	/* A is still served: it reads a file it holds and lists its share. */
	int st_a = -1;
	int gofd = open(go, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	check("VM a told to go on", gofd >= 0, "cannot create the go file");
	if (gofd >= 0)
		close(gofd);
	check("VM a ends within the deadline", wait_vm(a, now() + DEADLINE_S, &st_a) == 0,
	      "VM a is stuck (killed)");
	close(a_out[1]);
	read_rest(a_out[0], out_a, sizeof(out_a));
	char want_a[64];
	snprintf(want_a, sizeof(want_a), "full %d\nx\n%d\n", made, made);
	snprintf(why, sizeof(why), "status %d, output [%s], want [%s]", st_a, out_a, want_a);
	check("VM a still served after the refusals, exit status 3",
	      st_a == 3 && strcmp(out_a, want_a) == 0, why);

	mvm_vm_free(a);
	mvm_vm_free(b);
	close(a_out[0]);
	close(b_out[0]);
	char leak[64];
	int fds_after = count_fds();
	snprintf(leak, sizeof(leak), "fds %d -> %d", fds_before, fds_after);
	check("teardown returns every fd", fds_after == fds_before - 4, leak);
	return failures ? 1 : 0;
}
