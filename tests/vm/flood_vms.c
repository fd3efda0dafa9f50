/* SPDX-License-Identifier: Apache-2.0 */
/* Flood isolation: a guest that floods its devices slows only itself. In
 * one process, VM B runs a fixed small job on its shared directory, first
 * alone, then while VM A floods:
 *   console-fs: stdout (hvc0, a pipe this program drains and counts) with
 *               `cat /dev/zero` (large writes), stderr (hvc1, /dev/null)
 *               with `yes` (a write per line), and its own shared
 *               directory with create/stat/rename/unlink in a loop;
 *   net:        UDP datagrams to the gateway (a host socket this program
 *               drains and counts), with tests/vm/nettool in the root.
 * B must run its job correctly within FACTOR (FACTOR_ONE_CPU pinned) times its time alone, and A
 * must still be flooding when B is done (else the comparison says nothing).
 * Usage: flood_vms ROOTFS WORKDIR console-fs|net  (prints ok/FAIL lines
 * like lib.sh, timings on stderr). WORKDIR gets a/ and b/, the VMs' shares. */
#include "vm_app.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* B's job under flood may take this many times as long as alone, timed
 * by B's guest clock: B's boot, which the host-side time includes, varies
 * 2x from run to run with the test machine's outside load, and is
 * printed but not judged. The host has two CPUs (emulated, in the test
 * machine; one for the network flood there) and A keeps three or more
 * threads busy (vCPU, event loop, fs workers or network thread), so fair
 * scheduling leaves B's vCPU and fs workers a third to a half of the CPU,
 * and each of B's fs round trips waits for a time slice behind A's
 * threads: measured 2.4x (network, pinned) and 2.7x (console and fs) on
 * a host with a load average of 8 on 2 cores. A VM whose device work made
 * B wait on A's (a shared lock, thread or queue) would stall B's job for
 * as long as the flood lasts. */
#define FACTOR 4.0
/* Pinned to one CPU (the network flood in the harness, tests/vm/guest.sh
 * PIN_IN_HARNESS), A's three busy threads and B's one runnable thread
 * share that CPU, so fair scheduling alone gives B a quarter of it: 4x is
 * the expected slowdown there, not a bound, and runs measured 1.8x to
 * 4.1x. B stalled behind A's device work would not finish its job while
 * A floods (B_DEADLINE_S), which this limit still catches. */
#define FACTOR_ONE_CPU 6.0
#define GUEST_MIB 64
/* B is stuck (and killed) after this long; alone it takes a few seconds. */
#define B_DEADLINE_S 120
/* A has not started flooding this long after its spawn: it is broken. */
#define A_START_S 120
/* B runs under the flood, and alone: one before A, one after. */
#define RUNS 2

static mvm_vm *make_vm(const char *root, const char *shared, int out_fd, int err_fd,
		       const char *script)
{
	mvm_error *e = NULL;
	mvm_builder *b = mvm_builder_new();
	if (b == NULL)
		return NULL;
	mvm_builder_root_path(b, root, &e);
	mvm_builder_mapped_dir_pair(b, shared, "/shared", &e);
	mvm_builder_ram_mib(b, GUEST_MIB, &e);
	/* One vCPU: in the emulated test machine a guest sending bulk data
	 * from a second CPU can be corrupted (docs/net.md). */
	mvm_builder_num_vcpus(b, 1, &e);
	mvm_builder_exec_path(b, "/bin/sh", &e);
	const char *args[] = {"-c", script};
	mvm_builder_args(b, args, 2, &e);
	mvm_builder_stdio(b, -1, out_fd, err_fd, &e);
	mvm_vm *vm = e ? NULL : mvm_builder_build(b, &e);
	if (vm == NULL)
		print_errors("flood_vms: ", "build", e);
	mvm_error_free(e);
	mvm_builder_free(b);
	return vm;
}

/* B's job: 100 files written, read back, checked and removed through
 * virtio-fs, timed by the guest's own clock too (/proc/uptime). Only shell
 * builtins but one rm: an exec per file would measure exec, not the fs.
 * 100, not more: in the emulated test machine on a loaded host each file
 * costs about a quarter of a second. */
static const char b_script[] =
    "read t0 x </proc/uptime; cd /shared || exit 4; i=0; "
    "while [ $i -lt 100 ]; do echo \"file $i\" >f$i || exit 5; i=$((i+1)); done; i=0; "
    "while [ $i -lt 100 ]; do read l <f$i; [ \"$l\" = \"file $i\" ] || exit 6; i=$((i+1)); "
    "done; rm f* || exit 7; [ -e f0 ] && exit 8; read t1 x </proc/uptime; echo \"job $t0 $t1\"";

struct b_result {
	double wall; /* spawn to end, as the host sees it */
	double job;  /* the file job alone, guest clock */
};

/* Runs B once; returns 0 if it ran its job correctly, else -1 with why
 * filled and *silent set when B printed nothing at all. */
static int run_b_once(const char *root, const char *shared, const char *label, struct b_result *r,
		      char *why, size_t why_len, bool *silent)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	mvm_vm *vm = make_vm(root, shared, p[1], 2, b_script);
	mvm_error *e = NULL;
	int st = -1, ended = 0;
	double t0 = now();
	if (vm && mvm_vm_spawn(vm, &e) == 0) {
		struct pollfd pf = {mvm_vm_wait_fd(vm), POLLIN, 0};
		while (!ended && now() - t0 < B_DEADLINE_S)
			ended = poll(&pf, 1, 1000) == 1;
		/* Each step of a stuck B is said, so that a hang in kill,
		 * wait, free or the read of its output shows where it is
		 * (CI once saw this test killed at 600 s without a word). */
		if (!ended) {
			printf("flood_vms: %s: B still running after %d s: killing it\n", label,
			       B_DEADLINE_S);
			fflush(stdout);
			mvm_vm_kill(vm, NULL);
		}
		if (mvm_vm_wait(vm, &st, &e) < 0)
			st = -1;
		if (!ended) {
			printf("flood_vms: %s: B killed and waited for (status %d)\n", label, st);
			fflush(stdout);
		}
	}
	r->wall = now() - t0;
	print_errors("flood_vms: ", label, e);
	mvm_error_free(e);
	mvm_vm_free(vm);
	close(p[1]);
	char out[128] = "";
	/* Every writer of the pipe is gone with the VM: it must be at its
	 * end at once. If not, a copy of B's stdout outlived mvm_vm_free(). */
	struct pollfd rp = {p[0], POLLIN, 0};
	ssize_t n = -1;
	if (poll(&rp, 1, 30000) == 1)
		n = read(p[0], out, sizeof(out) - 1);
	else
		printf("flood_vms: %s: B's stdout still open 30 s after the VM was freed\n", label);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	double j0 = 0, j1 = -1;
	int parsed = sscanf(out, "job %lf %lf", &j0, &j1) == 2;
	r->job = j1 - j0;
	snprintf(why, why_len, "%s, status %d, stdout [%s]", ended ? "ended" : "stuck and killed",
		 st, out);
	*silent = out[0] == '\0';
	return ended && st == 0 && parsed ? 0 : -1;
}

/* Runs B; returns 0 if it ran its job correctly. Inside the emulated test
 * machine, a B that never printed anything met its known boot hang (about
 * 2 in 300 boots, on 7dfb5e5 too; docs/with-kvm.md) and runs once more. */
static int run_b(const char *root, const char *shared, const char *label, struct b_result *r)
{
	char name[160], why[300];
	bool silent = false;
	int rc = run_b_once(root, shared, label, r, why, sizeof(why), &silent);
	if (rc < 0 && silent && in_harness()) {
		printf("note: %s: B never started its job (%s): the harness hangs a boot now "
		       "and then; once more\n",
		       label, why);
		rc = run_b_once(root, shared, label, r, why, sizeof(why), &silent);
	}
	snprintf(name, sizeof(name), "%s: B writes, reads back and removes 100 files", label);
	check(name, rc == 0, why);
	fprintf(stderr, "flood_vms: %s: B took %.2f s (job %.2f s in the guest)\n", label, r->wall,
		r->job);
	return rc;
}

/* What A has pushed out, counted by a thread that drains it at once. */
struct sink {
	int fd;
	atomic_ullong bytes;
	atomic_bool stop;
	pthread_t thread;
};

static void *drain(void *arg)
{
	struct sink *s = arg;
	static char buf[65536];
	while (!atomic_load(&s->stop)) {
		struct pollfd pf = {s->fd, POLLIN, 0};
		if (poll(&pf, 1, 200) <= 0)
			continue;
		ssize_t n = read(s->fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n > 0)
			atomic_fetch_add(&s->bytes, (unsigned long long)n);
	}
	return NULL;
}

static int udp_sink(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		fprintf(stderr, "flood_vms: UDP sink: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* The count A's fs loop leaves in its share every 5 rounds. A writes it
 * beside and renames it into place: a file rewritten in place can be read
 * empty (CI once computed -6 rounds from that). */
static long fs_progress(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/progress", dir);
	FILE *f = fopen(path, "re");
	long n = -1;
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[3], "console-fs") != 0 && strcmp(argv[3], "net") != 0)) {
		fprintf(stderr, "usage: %s ROOTFS WORKDIR console-fs|net\n", argv[0]);
		return 2;
	}
	const char *root = argv[1];
	bool net = strcmp(argv[3], "net") == 0;
	char dir_a[4096], dir_b[4096];
	snprintf(dir_a, sizeof(dir_a), "%s/a", argv[2]);
	snprintf(dir_b, sizeof(dir_b), "%s/b", argv[2]);
	if ((mkdir(dir_a, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(dir_b, 0755) < 0 && errno != EEXIST)) {
		fprintf(stderr, "flood_vms: mkdir in %s: %s\n", argv[2], strerror(errno));
		return 2;
	}

	/* B alone once before A starts and once after A has gone: the test
	 * machine's load from outside drifts, and bracketing the flooded runs
	 * in time keeps that drift out of the ratio. */
	struct b_result alone[RUNS], flooded[RUNS];
	if (run_b(root, dir_b, "alone, before", &alone[0]) < 0)
		return 1;

	/* A floods. */
	struct sink sink = {.fd = -1};
	int out_pipe[2] = {-1, -1};
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	char script[512];
	if (net) {
		uint16_t port;
		sink.fd = udp_sink(&port);
		if (sink.fd < 0)
			return 1;
		snprintf(script, sizeof(script), "exec nettool udp-flood 10.0.2.2 %u 1400", port);
	} else {
		if (pipe2(out_pipe, O_CLOEXEC) < 0)
			return 1;
		sink.fd = out_pipe[0];
		snprintf(script, sizeof(script),
			 "cd /shared || exit 4; "
			 "cat /dev/zero & "
			 "yes 'stderr flood 0123456789abcdefghijklmnopqrstuvwxyz' >&2 & "
			 "n=0; while :; do f=f$((n%%16)); echo $n >$f; [ -e $f ] || exit 5; "
			 "mv $f g; rm g; n=$((n+1)); "
			 "[ $((n%%5)) = 0 ] && echo $n >progress.new && mv progress.new progress; done");
	}
	if (devnull < 0 || pthread_create(&sink.thread, NULL, drain, &sink) != 0)
		return 1;
	mvm_vm *a = make_vm(root, dir_a, net ? devnull : out_pipe[1], devnull, script);
	mvm_error *e = NULL;
	if (a == NULL || mvm_vm_spawn(a, &e) < 0) {
		print_errors("flood_vms: ", "A", e);
		check("A starts", 0, "build or spawn failed");
		return 1;
	}
	mvm_error_free(e);
	e = NULL;
	/* Wait until A is really flooding: its output has started flowing
	 * (and, for the fs loop, its progress file appeared). */
	double t0 = now();
	struct pollfd apf = {mvm_vm_wait_fd(a), POLLIN, 0};
	bool a_ended = false, flooding = false;
	while (!a_ended && !flooding && now() - t0 < A_START_S) {
		a_ended = poll(&apf, 1, 100) == 1;
		flooding =
		    atomic_load(&sink.bytes) > (64u << 10) && (net || fs_progress(dir_a) > 0);
	}
	fprintf(stderr, "flood_vms: A (%s) flooding %.1f s after its spawn\n", argv[3], now() - t0);
	check("A floods", flooding, a_ended ? "A ended" : "no flood within the deadline");

	unsigned long long bytes0 = atomic_load(&sink.bytes);
	long fs0 = fs_progress(dir_a);
	double f0 = now();
	int b_ok = flooding ? 0 : -1;
	for (int i = 0; i < RUNS && b_ok == 0; i++)
		b_ok = run_b(root, dir_b,
			     net ? "under a network flood" : "under a console and fs flood",
			     &flooded[i]);
	double fsecs = now() - f0;
	unsigned long long bytes = atomic_load(&sink.bytes) - bytes0;
	long fs_rounds = fs_progress(dir_a) - fs0;
	a_ended = poll(&apf, 1, 0) == 1;
	char why[300];
	if (net)
		snprintf(why, sizeof(why), "A ended: %s; %.1f MiB of datagrams in %.1f s",
			 a_ended ? "yes" : "no", bytes / 1048576.0, fsecs);
	else
		snprintf(why, sizeof(why),
			 "A ended: %s; %.1f MiB of stdout and %ld fs rounds in %.1f s",
			 a_ended ? "yes" : "no", bytes / 1048576.0, fs_rounds, fsecs);
	fprintf(stderr, "flood_vms: while B ran: %s\n", why);
	check("A floods all the while B runs", !a_ended && bytes > 0 && (net || fs_rounds > 0),
	      why);

	/* A still floods: stop it from the host. */
	int st = -1;
	if (!a_ended)
		mvm_vm_kill(a, NULL);
	if (mvm_vm_wait(a, &st, &e) < 0)
		print_errors("flood_vms: ", "A", e);
	mvm_error_free(e);
	check("the flooding VM is killed (status 137)", st == 137, "wrong status");
	mvm_vm_free(a);
	atomic_store(&sink.stop, true);
	pthread_join(sink.thread, NULL);
	close(sink.fd);
	if (out_pipe[1] >= 0)
		close(out_pipe[1]);
	close(devnull);

	if (b_ok == 0 && run_b(root, dir_b, "alone, after", &alone[1]) < 0)
		b_ok = -1;
	if (b_ok == 0) {
		cpu_set_t cpus;
		double factor = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) == 1
				    ? FACTOR_ONE_CPU
				    : FACTOR;
		double wa = 0, wf = 0, ja = 0, jf = 0;
		for (int i = 0; i < RUNS; i++) {
			wa += alone[i].wall;
			wf += flooded[i].wall;
			ja += alone[i].job;
			jf += flooded[i].job;
		}
		char name[200];
		snprintf(name, sizeof(name),
			 "B's job under a %s flood: %.2f s vs %.2f s alone (%.2fx, limit %.1fx; "
			 "boot and job %.2f s vs %.2f s, %.2fx)",
			 net ? "network" : "console and fs", jf / RUNS, ja / RUNS, jf / ja, factor,
			 wf / RUNS, wa / RUNS, wf / wa);
		snprintf(why, sizeof(why), "%.2fx slower", jf / ja);
		check(name, jf <= factor * ja, why);
	}
	return failures ? 1 : 0;
}
