/* SPDX-License-Identifier: Apache-2.0 */
/* The exec client's inside, for its fuzz target: the public calls are in
 * mvm.h ("Programs in a running guest"). */
#ifndef MVM_SANDBOX_EXEC_H
#define MVM_SANDBOX_EXEC_H

#include "mvm.h"

/* A client on fd, a stream already connected to an agent (the CONNECT/OK
 * exchange done), without an EXEC frame sent: mvm_exec_wait() then reads
 * whatever the other end says. Takes fd (closed on failure too). */
mvm_exec *exec_client_adopt(int fd, mvm_error **err);

#endif
