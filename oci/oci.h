/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-runtime: a runc-compatible OCI runtime whose containers are mvm
 * microVMs (docs/oci.md). */
#ifndef MVM_OCI_OCI_H
#define MVM_OCI_OCI_H

#include "mvm.h"

#include <stdbool.h>

/* The flags before the command, as runc takes them. */
struct oci_globals {
	const char *root;    /* --root: the state directory */
	const char *log;     /* --log FILE */
	bool log_json;	     /* --log-format json */
	bool debug;	     /* --debug */
	bool systemd_cgroup; /* --systemd-cgroup: accepted; no cgroup is made */
};

int oci_create(const struct oci_globals *g, int argc, char **argv);
int oci_start(const struct oci_globals *g, int argc, char **argv);
int oci_state(const struct oci_globals *g, int argc, char **argv);
int oci_kill(const struct oci_globals *g, int argc, char **argv);
int oci_delete(const struct oci_globals *g, int argc, char **argv);
int oci_ps(const struct oci_globals *g, int argc, char **argv);
int oci_exec(const struct oci_globals *g, int argc, char **argv);
/* process.terminal: a host pty whose raw slave goes to *slave (the
 * program's stdio) and whose master goes to the client over SOCKET_PATH,
 * as runc sends it (terminal.c). */
int oci_open_terminal(const char *socket_path, int *slave, mvm_error **err);
int oci_features(const struct oci_globals *g, int argc, char **argv);

#endif
