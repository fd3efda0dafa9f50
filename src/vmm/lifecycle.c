/* SPDX-License-Identifier: Apache-2.0 */
/* The public VM lifecycle: spawn (non-blocking), wait, signal, kill, and
 * start = spawn + wait. None of it calls exit(): the program's status is
 * returned, so a host program can run several VMs, one after another or
 * at once. */
#include "guest/protocol.h"
#include "util/error.h"
#include "vmm/vm.h"
#include "vmm/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int vm_open_console_output(const char *path, mvm_error **err)
{
	/* Append, never truncate: a console log must not lose earlier runs.
	 * O_NOFOLLOW: a symlink planted at the name (say in /tmp, by another
	 * user) must not redirect our writes to a file of its choosing.
	 * O_NOCTTY: a terminal named here must not become our controlling
	 * terminal. O_NONBLOCK only for the open itself: a FIFO without a
	 * reader fails at once instead of hanging. 0666 as the shell's `>>`
	 * does: the umask of the process decides. The file is checked only
	 * through the fd we write to, so nothing can swap it in between. */
	int fd = open(
	    path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
	    0666);
	if (fd < 0) {
		if (errno == ELOOP)
			return mvm_err(err, MVM_ERR_INVALID, errno,
				       "open console output `%s`: it is a symbolic link", path);
		if (errno == ENXIO)
			return mvm_err(err, MVM_ERR_INVALID, errno,
				       "open console output `%s`: a FIFO without a reader, or a "
				       "socket",
				       path);
		return mvm_err_sys(err, "open console output `%s`", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int rc = mvm_err_sys(err, "stat console output `%s`", path);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
		close(fd);
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "open console output `%s`: not a regular file, FIFO or character "
			       "device",
			       path);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int rc = mvm_err_sys(err, "console output `%s`: clear O_NONBLOCK", path);
		close(fd);
		return rc;
	}
	return fd;
}

int mvm_vm_spawn(mvm_vm *vm, mvm_error **err)
{
	if (vm == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_vm_spawn: vm is NULL");
	if (vm->state != VM_STATE_BUILT)
		return mvm_err(err, MVM_ERR_STATE, 0,
			       "this VM was already started; build a new one to run again");
	struct vmm_stdio stdio = {vm->cfg.stdin_fd, vm->cfg.stdout_fd, vm->cfg.stderr_fd};
	if (vm->cfg.console_output) {
		vm->console_fd = vm_open_console_output(vm->cfg.console_output, err);
		if (vm->console_fd < 0)
			return -1;
		stdio.out_fd = stdio.err_fd = vm->console_fd;
	}
	vm->vmm = vmm_create(&vm->cfg, &stdio, err);
	if (vm->vmm == NULL)
		return mvm_err_wrap(err, "start VM");
	if (vmm_start(vm->vmm, err) < 0) {
		mvm_err_wrap(err, "start VM");
		mvm_error *ignored = NULL;
		vmm_wait(vm->vmm, &ignored);
		mvm_error_free(ignored);
		vm->state = VM_STATE_ENDED;
		return -1;
	}
	vm->state = VM_STATE_RUNNING;
	return 0;
}

int mvm_vm_wait(mvm_vm *vm, int *exit_status, mvm_error **err)
{
	if (vm == NULL || vm->state != VM_STATE_RUNNING)
		return mvm_err(err, MVM_ERR_STATE, 0, "mvm_vm_wait: the VM is not running");
	int status = vmm_wait(vm->vmm, err);
	vm->state = VM_STATE_ENDED;
	if (status < 0)
		return -1;
	if (exit_status)
		*exit_status = status;
	return 0;
}

int mvm_vm_start(mvm_vm *vm, int *exit_status, mvm_error **err)
{
	if (mvm_vm_spawn(vm, err) < 0)
		return -1;
	return mvm_vm_wait(vm, exit_status, err);
}

int mvm_vm_wait_fd(const mvm_vm *vm)
{
	return vm && vm->vmm ? vm->vmm->done_fd : -1;
}

int mvm_vm_signal(mvm_vm *vm, int sig, mvm_error **err)
{
	if (vm == NULL || vm->state != VM_STATE_RUNNING)
		return mvm_err(err, MVM_ERR_STATE, 0, "mvm_vm_signal: the VM is not running");
	return vmm_signal(vm->vmm, sig, err);
}

int mvm_vm_get_stats(mvm_vm *vm, mvm_vm_stats *out, mvm_error **err)
{
	if (out == NULL)
		return mvm_err(err, MVM_ERR_INVALID, 0, "mvm_vm_get_stats: out is NULL");
	if (vm == NULL || vm->state != VM_STATE_RUNNING)
		return mvm_err(err, MVM_ERR_STATE, 0, "mvm_vm_get_stats: the VM is not running");
	vmm_get_stats(vm->vmm, out);
	return 0;
}

int mvm_vm_stop(mvm_vm *vm, mvm_error **err)
{
	if (vm == NULL || vm->state != VM_STATE_RUNNING)
		return mvm_err(err, MVM_ERR_STATE, 0, "mvm_vm_stop: the VM is not running");
	const char cmd = MVM_CTRL_STOP;
	return vmm_control(vm->vmm, &cmd, 1, err);
}

int mvm_vm_release(mvm_vm *vm, mvm_error **err)
{
	if (vm == NULL || vm->state != VM_STATE_RUNNING)
		return mvm_err(err, MVM_ERR_STATE, 0, "mvm_vm_release: the VM is not running");
	if (!vm->cfg.hold)
		return mvm_err(err, MVM_ERR_STATE, 0,
			       "mvm_vm_release: the VM does not hold its program (mvm_builder_hold)");
	const char cmd = MVM_CTRL_GO;
	return vmm_control(vm->vmm, &cmd, 1, err);
}

int mvm_vm_resize(mvm_vm *vm, unsigned rows, unsigned cols, mvm_error **err)
{
	if (vm == NULL || vm->state == VM_STATE_ENDED)
		return mvm_err(err, MVM_ERR_STATE, 0, "mvm_vm_resize: the VM is not running");
	if (!vm->cfg.tty)
		return mvm_err(err, MVM_ERR_STATE, 0,
			       "mvm_vm_resize: the VM has no terminal (mvm_builder_tty)");
	if (rows < 1 || rows > UINT16_MAX || cols < 1 || cols > UINT16_MAX)
		return mvm_err(err, MVM_ERR_INVALID, 0,
			       "mvm_vm_resize: %ux%u: rows and columns go from 1 to %u", rows, cols,
			       UINT16_MAX);
	if (vm->state == VM_STATE_BUILT) {
		/* Not started: the size it starts with (no threads yet). */
		vm->cfg.tty_rows = (uint16_t)rows;
		vm->cfg.tty_cols = (uint16_t)cols;
		return 0;
	}
	char msg[24];
	int n = snprintf(msg, sizeof(msg), "%c%u;%u\n", MVM_CTRL_RESIZE, rows, cols);
	return vmm_control(vm->vmm, msg, (size_t)n, err);
}

int mvm_vm_kill(mvm_vm *vm, mvm_error **err)
{
	if (vm == NULL || vm->state != VM_STATE_RUNNING)
		return mvm_err(err, MVM_ERR_STATE, 0, "mvm_vm_kill: the VM is not running");
	log_info(&vm->cfg.log, "VM killed by the host");
	vmm_end(vm->vmm, -1, NULL);
	return 0;
}
