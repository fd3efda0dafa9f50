/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/stdin_relay.h"

#include "guest/init/msg.h"
#include "guest/init/tty.h"
#include "guest/protocol.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

void stdin_relay_init(struct stdin_relay *r, int src, int dst)
{
	memset(r, 0, sizeof(*r));
	r->src = src;
	r->dst = dst;
}

static void close_dst(struct stdin_relay *r)
{
	if (r->dst >= 0) {
		init_debug("stdin: end of input after %llu bytes",
			   (unsigned long long)r->relayed);
		if (!r->keep_dst)
			close(r->dst);
	}
	r->dst = -1;
	r->src = -1; /* hvc0 stays open for output; we only stop reading it */
	r->len = r->off = 0;
}

/* All announced bytes were passed on: the program may see EOF. */
static void maybe_finish(struct stdin_relay *r)
{
	if (r->eof_known && r->relayed >= r->eof_at && r->off == r->len)
		close_dst(r);
}

short stdin_relay_src_events(const struct stdin_relay *r)
{
	bool want = r->src >= 0 && r->dst >= 0 && r->len == 0 &&
		    !(r->eof_known && r->relayed >= r->eof_at);
	return want ? POLLIN : 0;
}

short stdin_relay_dst_events(const struct stdin_relay *r)
{
	return r->dst >= 0 && r->off < r->len ? POLLOUT : 0;
}

void stdin_relay_read(struct stdin_relay *r)
{
	if (r->src < 0 || r->len != 0)
		return;
	size_t want = sizeof(r->buf);
	/* Never read past the announced end: later bytes are not stdin's. */
	if (r->eof_known && r->eof_at - r->relayed < want)
		want = (size_t)(r->eof_at - r->relayed);
	ssize_t n = read(r->src, r->buf, want);
	if (n <= 0) {
		init_debug("stdin: read: %zd (%s)", n, n < 0 ? strerror(errno) : "0");
		return; /* EAGAIN; a console has no EOF of its own */
	}
	init_debug("stdin: %zd bytes", n);
	r->len = (size_t)n;
	r->off = 0;
	r->relayed += (uint64_t)n;
	stdin_relay_write(r);
}

void stdin_relay_write(struct stdin_relay *r)
{
	while (r->dst >= 0 && r->off < r->len) {
		ssize_t n = write(r->dst, r->buf + r->off, r->len - r->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			/* EPIPE: the program closed its stdin; drop the rest. */
			close_dst(r);
			return;
		}
		r->off += (size_t)n;
	}
	r->len = r->off = 0;
	maybe_finish(r);
}

void stdin_relay_eof(struct stdin_relay *r, uint64_t total)
{
	init_debug("stdin: host input ends after %llu bytes", (unsigned long long)total);
	r->eof_known = true;
	r->eof_at = total;
	maybe_finish(r);
}

/* "W<rows>;<cols>\n": sizes a tty only within what a winsize holds. */
static void resize_byte(struct control_parser *p, unsigned char byte)
{
	if (byte >= '0' && byte <= '9') {
		p->value = p->value * 10 + (byte - '0');
		p->overflow |= p->value > UINT16_MAX;
		if (p->overflow)
			p->value = 0;
		return;
	}
	if (byte == ';' && !p->second) {
		p->second = true;
		p->rows = p->value;
		p->value = 0;
		return;
	}
	if (byte == '\n' && p->second && !p->overflow)
		init_tty_resize(p->tty_fd, (unsigned)p->rows, (unsigned)p->value);
	else
		init_debug("ignoring malformed resize message");
	p->in_resize = false;
}

unsigned char control_parse(struct control_parser *p, unsigned char byte, struct stdin_relay *r)
{
	if (p->in_resize) {
		resize_byte(p, byte);
		return 0;
	}
	if (!p->in_eof) {
		if (byte == MVM_CTRL_RESIZE) {
			*p = (struct control_parser){.in_resize = true, .tty_fd = p->tty_fd};
			return 0;
		}
		if (byte != MVM_CTRL_STDIN_EOF)
			return byte;
		*p = (struct control_parser){.in_eof = true, .tty_fd = p->tty_fd};
		return 0;
	}
	if (byte >= '0' && byte <= '9') {
		if (p->value > (UINT64_MAX - 9) / 10)
			p->overflow = true;
		else
			p->value = p->value * 10 + (byte - '0');
		return 0;
	}
	bool ok = byte == '\n' && !p->overflow;
	if (ok && r)
		stdin_relay_eof(r, p->value);
	else if (!ok)
		init_debug("ignoring malformed end-of-input message");
	p->in_eof = false;
	return 0;
}
