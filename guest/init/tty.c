/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/tty.h"

#include "guest/init/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int init_tty_open(unsigned rows, unsigned cols, int *master, int *slave)
{
	*master = *slave = -1;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -1;
	char name[64];
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0 ||
	    fcntl(m, F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail;
	struct winsize ws = {.ws_row = (unsigned short)(rows ? rows : 24),
			     .ws_col = (unsigned short)(cols ? cols : 80)};
	ioctl(m, TIOCSWINSZ, &ws);
	init_debug("terminal %s, %ux%u", name, ws.ws_row, ws.ws_col);
	*master = m;
	*slave = s;
	return 0;
fail:;
	int e = errno;
	close(m);
	errno = e;
	return -1;
}

void init_tty_resize(int master, unsigned rows, unsigned cols)
{
	if (master < 0)
		return;
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
	if (ioctl(master, TIOCSWINSZ, &ws) < 0)
		init_debug("terminal size %ux%u: %s", rows, cols, strerror(errno));
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the host end is gone: nothing to tell it */
		p += w;
		n -= (size_t)w;
	}
}

bool tty_out_pump(struct tty_out *t)
{
	for (;;) {
		ssize_t n = read(t->master, t->buf, sizeof(t->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		/* EIO: every slave fd is closed (Linux); nothing more comes
		 * until one is opened again. */
		if (n <= 0)
			return false;
		write_all(t->out, t->buf, (size_t)n);
	}
}

void tty_out_drain(struct tty_out *t)
{
	tty_out_pump(t);
}
