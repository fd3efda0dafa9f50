/* SPDX-License-Identifier: Apache-2.0 */
/* config.json's network namespace, entered by create before it forks the
 * VM's process, which inherits it: the path the client prepared (podman,
 * the CRI), or a new empty one as runc would make (docs/oci.md,
 * "Network"). */
#ifndef MVM_OCI_NETNS_H
#define MVM_OCI_NETNS_H

#include "mvm.h"
#include "oci/spec.h"

#include <stdint.h>

int oci_enter_netns(const struct oci_spec *spec, mvm_error **err);
/* An address for the guest (host order) whose /24 no interface of the
 * current network namespace overlaps: the guest's network is libslirp's
 * own, and a peer inside it that the guest also reaches through the
 * namespace (slirp4netns's 10.0.2.100) would get no answer. */
int oci_guest_ip(uint32_t *ip, mvm_error **err);

#endif
