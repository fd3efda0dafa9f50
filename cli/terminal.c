/* SPDX-License-Identifier: Apache-2.0 */
/* The host terminal in raw mode, for `mvm run -t` and `mvm exec -t`. */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* -t: our terminal passes every key to the guest's (Ctrl-C included, as a
 * 0x03 byte its line discipline turns into SIGINT) and shows its output
 * unchanged; restored on every way out of run_vm. */
bool cli_raw_terminal(struct termios *saved)
{
	if (tcgetattr(STDIN_FILENO, saved) < 0) {
		cli_warn("-t: cannot read the terminal's settings: %s", strerror(errno));
		return false;
	}
	struct termios raw = *saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0) {
		cli_warn("-t: cannot put the terminal into raw mode: %s", strerror(errno));
		return false;
	}
	return true;
}
