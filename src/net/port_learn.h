/* SPDX-License-Identifier: Apache-2.0 */
/* Reads mvm-init's port reports ("P+T8080\n", MVM_CTRL_PORT) out of what
 * the guest writes on hvc2. The guest is untrusted: a line is taken only
 * in exactly that form, anything else is skipped to its end, and the state
 * is a few bytes however much is written. */
#ifndef MVM_NET_PORT_LEARN_H
#define MVM_NET_PORT_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct port_learn {
	char line[8]; /* "+T65535" at most, past the 'P' */
	uint8_t len;
	bool in_line, skipping;
};

typedef void (*port_learn_fn)(void *ctx, bool add, bool udp, uint16_t port);

/* Calls fn for each well-formed report in buf (any split across calls).
 * Bytes outside a report (MVM_CTRL_READY) are ignored. */
void port_learn_feed(struct port_learn *p, const uint8_t *buf, size_t len, port_learn_fn fn,
		     void *ctx);

#endif
