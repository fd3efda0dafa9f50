/* SPDX-License-Identifier: Apache-2.0 */
/* A write-only 16550 at COM1 for the guest kernel's console. It exists for
 * debugging (its lines are logged at debug level) and so that kernel
 * messages never land on the program's hvc0. Each byte costs two VM
 * exits, so the guest kernel is told to be quiet unless debugging. */
#ifndef MVM_VMM_SERIAL_H
#define MVM_VMM_SERIAL_H

#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_PORTS 8

struct serial {
	pthread_mutex_t lock;
	const struct mvm_logger *log;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	char line[256];
	unsigned line_len;
};

void serial_init(struct serial *s, const struct mvm_logger *log);
void serial_destroy(struct serial *s);
/* offset is port - SERIAL_COM1_BASE, 0..7. */
void serial_io(struct serial *s, unsigned offset, uint8_t *data, bool is_write);

#endif
