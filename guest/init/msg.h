/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-init's messages. They go to fd 2, which main() points at /dev/hvc1,
 * so the host shows them on the program's stderr. */
#ifndef MVM_INIT_MSG_H
#define MVM_INIT_MSG_H

#include <stdbool.h>

/* mvm_log_level MVM_LOG_DEBUG: from this level on init traces each step. */
#define INIT_LOG_DEBUG 4u

void init_msg_set_verbose(bool verbose);
bool init_msg_verbose(void);

/* "mvm-init: <message>\n" in one write(), so lines never interleave. */
void init_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like init_err, only when verbose. */
void init_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
