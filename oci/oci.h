/* SPDX-License-Identifier: Apache-2.0 */
/* mvm-runtime: a runc-compatible OCI runtime whose containers are mvm
 * microVMs (docs/oci.md). */
#ifndef MVM_OCI_OCI_H
#define MVM_OCI_OCI_H

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
int oci_features(const struct oci_globals *g, int argc, char **argv);

#endif
