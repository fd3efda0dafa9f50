/* SPDX-License-Identifier: Apache-2.0 */
/* Runs the built VM in the foreground, as `docker run` does: the guest
 * program's status becomes mvm's. SIGINT goes on to the guest program
 * (docker's --sig-proxy); SIGTERM and SIGHUP shut the guest down
 * (mvm_vm_stop: SIGTERM to every guest process, so the agent's programs
 * end cleanly too); a second signal stops the VM at once, so a hung guest
 * never traps the user. */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

static void relay_size(mvm_vm *vm);

static void relay_signal(mvm_vm *vm, int sfd, unsigned *count, bool tty)
{
	struct signalfd_siginfo si;
	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH) {
		if (tty)
			relay_size(vm);
		return;
	}
	mvm_error *err = NULL;
	if ((*count)++ == 0) {
		int rc = si.ssi_signo == SIGINT ? mvm_vm_signal(vm, SIGINT, &err)
						: mvm_vm_stop(vm, &err);
		if (rc < 0)
			mvm_vm_kill(vm, NULL);
	} else {
		cli_error("second signal: stopping the VM");
		mvm_vm_kill(vm, &err);
	}
	cli_print_errors(err);
	mvm_error_free(err);
}

/* A thread of mvm's broke its seccomp list (docs/seccomp.md): say which
 * and what, then end. Runs on that thread, under its filter, so it makes
 * only calls every list allows: write and exit_group. */
static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
	(void)sig;
	(void)uctx;
	static const char prefix[] = "mvm: error: ";
	char msg[256];
	size_t n = mvm_seccomp_describe(info, msg, sizeof(msg));
	if (n == 0) {
		static const char other[] = "SIGSYS from outside mvm's seccomp lists";
		memcpy(msg, other, sizeof(other));
		n = sizeof(other) - 1;
	}
	msg[n < sizeof(msg) - 1 ? n++ : sizeof(msg) - 1] = '\n';
	(void)!write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
	(void)!write(STDERR_FILENO, msg, n);
	_exit(EXIT_SECCOMP);
}

/* Once the VM runs, this thread only waits and relays signals: it gives up
 * every capability (root's included) and the right to gain any, as the
 * VM's threads did (docs/security.md, "The jail"). capset() changes this
 * thread only; nothing else of the process needs them any more. */
static void drop_privileges(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct none[2] = {{0}, {0}};
	if (syscall(SYS_capset, &hdr, none) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		cli_warn("could not drop the capabilities of mvm's main thread: %s",
			 strerror(errno));
}

/* SIGWINCH: the guest's terminal follows ours. */
static void relay_size(mvm_vm *vm)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return;
	mvm_error *err = NULL;
	if (mvm_vm_resize(vm, ws.ws_row, ws.ws_col, &err) < 0)
		cli_print_errors(err);
	mvm_error_free(err);
}

int run_vm(mvm_vm *vm, bool tty)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	if (tty)
		sigaddset(&sigs, SIGWINCH);
	/* Blocked before the VM's threads exist, so they inherit the mask and
	 * the signals reach only the signalfd below. */
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	mvm_error *err = NULL;
	struct termios saved;
	bool restore = false;
	int status = EXIT_MVM_ERROR;
	if (sfd < 0) {
		cli_error("signalfd: %s", strerror(errno));
		goto out;
	}
	restore = tty && cli_raw_terminal(&saved);
	if (mvm_vm_spawn(vm, &err) < 0)
		goto out;
	drop_privileges();
	unsigned signals = 0;
	for (;;) {
		struct pollfd pf[2] = {{mvm_vm_wait_fd(vm), POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents)
			break;
		if (pf[1].revents)
			relay_signal(vm, sfd, &signals, tty);
	}
	int guest_status;
	if (mvm_vm_wait(vm, &guest_status, &err) == 0)
		status = guest_status;
out:
	if (restore)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	cli_print_errors(err);
	mvm_error_free(err);
	if (sfd >= 0)
		close(sfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}
