/* SPDX-License-Identifier: Apache-2.0 */
/* The end of the guest: report the status to the VMM, power off. */
#ifndef MVM_INIT_REPORT_H
#define MVM_INIT_REPORT_H

#include <stddef.h>

/* sync()s the file systems, waits until the consoles in `drain_fds` have
 * sent their output (tcdrain; -1 entries are skipped), writes `status`
 * to MVM_EXIT_PORT; if the VM is still running then, it restarts it
 * (see report.c for why not power-off). Never returns: PID 1 must not exit. */
__attribute__((noreturn)) void init_report_exit(int status, const int *drain_fds, size_t n_fds);

#endif
