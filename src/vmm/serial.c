/* SPDX-License-Identifier: Apache-2.0 */
#include "vmm/serial.h"

#include <string.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_THRE_TEMT 0x60 /* transmitter always empty: output is instant */
#define IIR_NO_INT 0x01
#define MSR_DCD_DSR_CTS 0xb0

void serial_init(struct serial *s, const struct mvm_logger *log)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->log = log;
}

static void flush_line(struct serial *s)
{
	if (s->line_len == 0)
		return;
	s->line[s->line_len] = '\0';
	log_debug(s->log, "guest: %s", s->line);
	s->line_len = 0;
}

void serial_destroy(struct serial *s)
{
	flush_line(s);
	pthread_mutex_destroy(&s->lock);
}

static void put_char(struct serial *s, uint8_t c)
{
	if (!mvm_log_enabled(s->log, MVM_LOG_DEBUG))
		return;
	if (c == '\n') {
		flush_line(s);
		return;
	}
	if (c == '\r')
		return;
	if (s->line_len >= sizeof(s->line) - 1)
		flush_line(s);
	s->line[s->line_len++] = (char)c;
}

/* In loopback mode, the modem status mirrors the modem control bits; the
 * kernel's 8250 autoconfig checks this to decide that a UART exists. */
static uint8_t loop_msr(uint8_t mcr)
{
	return (uint8_t)(((mcr & 0x1) << 5) | ((mcr & 0x2) << 3) | ((mcr & 0x4) << 4) |
			 ((mcr & 0x8) << 4));
}

void serial_io(struct serial *s, unsigned offset, uint8_t *data, bool is_write)
{
	pthread_mutex_lock(&s->lock);
	bool dlab = s->lcr & LCR_DLAB;
	if (is_write) {
		uint8_t v = *data;
		switch (offset) {
		case RBR_THR:
			if (dlab)
				s->dll = v;
			else if (!(s->mcr & MCR_LOOP))
				put_char(s, v);
			break;
		case IER:
			if (dlab)
				s->dlm = v;
			else
				s->ier = v & 0x0f;
			break;
		case LCR:
			s->lcr = v;
			break;
		case MCR:
			s->mcr = v & 0x1f;
			break;
		case SCR:
			s->scr = v;
			break;
		default:
			break;
		}
	} else {
		uint8_t v = 0;
		switch (offset) {
		case RBR_THR:
			v = dlab ? s->dll : 0;
			break;
		case IER:
			v = dlab ? s->dlm : s->ier;
			break;
		case IIR_FCR:
			v = IIR_NO_INT;
			break;
		case LCR:
			v = s->lcr;
			break;
		case MCR:
			v = s->mcr;
			break;
		case LSR:
			v = LSR_THRE_TEMT;
			break;
		case MSR:
			v = (s->mcr & MCR_LOOP) ? loop_msr(s->mcr) : MSR_DCD_DSR_CTS;
			break;
		case SCR:
			v = s->scr;
			break;
		default:
			break;
		}
		*data = v;
	}
	pthread_mutex_unlock(&s->lock);
}
