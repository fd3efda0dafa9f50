/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/init/console.h"

#include <termios.h>

int init_console_make_raw(int fd)
{
	struct termios t;
	if (tcgetattr(fd, &t) < 0)
		return -1;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSANOW, &t);
}
