/* SPDX-License-Identifier: Apache-2.0 */
/* An OCI bundle's config.json as a VM (docs/oci.md, "config.json"): what
 * maps onto the builder is set on it, what mvm cannot honour yet is
 * refused with the field's name, and what a VM makes unnecessary is
 * listed, never silently dropped. */
#ifndef MVM_OCI_SPEC_H
#define MVM_OCI_SPEC_H

#include "mvm.h"

#include <stdbool.h>
#include <stddef.h>

/* Annotations mvm reads (docs/oci.md). */
#define OCI_ANNOTATION_KERNEL "org.mvm.kernel"
#define OCI_ANNOTATION_SHARE_MODE "org.mvm.share-mode"
#define OCI_ANNOTATION_RAM_MIB "org.mvm.ram-mib"
#define OCI_ANNOTATION_CPUS "org.mvm.cpus"
#define OCI_ANNOTATION_LOG_LEVEL "org.mvm.log-level"
#define OCI_ANNOTATION_BOOT "org.mvm.boot"

/* Guest RAM and vCPUs when linux.resources says nothing. */
#define OCI_DEFAULT_RAM_MIB 512u
#define OCI_MIN_RAM_MIB 64u

/* What config.json says that mvm needs past the builder. */
struct oci_spec {
	char *root;	   /* root.path, absolute */
	char *annotations; /* the "annotations" object as JSON, or NULL */
	bool terminal;	   /* process.terminal: the program gets a pty */
	char *netns;	   /* a network namespace to join (its path), or NULL */
	bool new_netns;	   /* a new, empty one */
	bool boot_at_start; /* org.mvm.boot=start: the VM boots at start, not
			     * at create */
	/* Fields accepted because the VM boundary stands in for them
	 * (comma-separated, for --debug). */
	char accepted[512];
};

/* Reads BUNDLE/config.json and sets b from it. Every problem found is in
 * *err (all of them, not only the first), each naming its field. */
int oci_spec_load(const char *bundle, mvm_builder *b, struct oci_spec *out, mvm_error **err);
/* The same from the JSON text (tests, fuzzing); bundle resolves a relative
 * root.path. */
int oci_spec_parse(const char *json, size_t len, const char *bundle, mvm_builder *b,
		   struct oci_spec *out, mvm_error **err);
void oci_spec_clear(struct oci_spec *s);

#endif
