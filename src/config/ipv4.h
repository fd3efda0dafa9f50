/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MVM_CONFIG_IPV4_H
#define MVM_CONFIG_IPV4_H

#include "mvm.h"

#include <stdint.h>

/* Buffer size for "255.255.255.255". */
#define IPV4_STR_MAX 16

/* Strict dotted quad: four decimal numbers 0..255 without signs, blanks or
 * leading zeros (which inet_aton would read as octal). Host byte order. */
int ipv4_parse(const char *s, uint32_t *out, mvm_error **err);
void ipv4_format(uint32_t addr, char buf[IPV4_STR_MAX]);
/* NULL for an address a guest may own, else why it may not ("loopback"). */
const char *ipv4_not_unicast_reason(uint32_t addr);

#endif
