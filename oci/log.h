/* SPDX-License-Identifier: Apache-2.0 */
/* Errors as runc reports them: text on stderr, and with --log FILE a line
 * there too, `--log-format json` making it {"level","msg","time"}. One
 * line per failure: podman reads the whole file as one JSON object. */
#ifndef MVM_OCI_LOG_H
#define MVM_OCI_LOG_H

#include "mvm.h"

#include <stdbool.h>

void oci_log_setup(const char *path, bool json);
/* Every problem of e, joined into one line. */
void oci_log_errors(const char *prefix, const mvm_error *e);
void oci_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
