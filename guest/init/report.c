/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/report.h"

#include "guest/init/msg.h"
#include "guest/protocol.h"

#include <errno.h>
#include <string.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

void init_report_exit(int status, const int *drain_fds, size_t n_fds)
{
	if (status < 0 || status > 255)
		status = MVM_EXIT_SETUP_FAILED;
	init_debug("program status %d; syncing and powering off", status);
	sync();
	for (size_t i = 0; i < n_fds; i++)
		if (drain_fds[i] >= 0)
			tcdrain(drain_fds[i]);
	/* One port write: the VMM stops the VM on it (guest/protocol.h). */
	if (ioperm(MVM_EXIT_PORT, 4, 1) == 0)
		outl((unsigned)status, MVM_EXIT_PORT);
	else
		init_err("ioperm port 0x%x: %s", MVM_EXIT_PORT, strerror(errno));
	/* Reached only if the port write did not stop the VM (no
	 * CONFIG_X86_IOPL_IOPERM in the guest kernel, or a VMM without the
	 * port). Without ACPI a power-off only halts the vCPUs, which the VMM
	 * cannot see when the irqchip is in the kernel. A restart can be
	 * seen: Linux writes 0xfe to the i8042 port 0x64, then triple-faults
	 * (KVM_EXIT_SHUTDOWN). The VMM treats either as "exited, no status". */
	reboot(RB_AUTOBOOT);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
