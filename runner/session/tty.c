/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tty.c: the host terminal for -t. Raw mode while the VM runs (stdin's
 * terminal, or stdout's when stdin is not one), restored on
 * every exit path (main calls tty_restore; it is also registered with
 * atexit). The window size comes from whichever of stdin/stdout is a tty.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "session.h"

static struct termios saved;
static int saved_fd = -1;

void tty_restore(void)
{
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSADRAIN, &saved);
		saved_fd = -1;
	}
}

static int tty_raw(int fd)
{
	struct termios t;
	if (!isatty(fd) || tcgetpgrp(fd) != getpgrp() || tcgetattr(fd, &saved) < 0)
		return -ENOTTY;
	t = saved;
	cfmakeraw(&t); /* the guest's own pty does the line discipline */
	if (tcsetattr(fd, TCSADRAIN, &t) < 0)
		return -errno;
	saved_fd = fd;
	atexit(tty_restore);
	return 0;
}

/* As docker with -t: the guest's pty does the line discipline and the CR of
 * every newline, so the host terminal passes bytes through (without -i
 * too: else each line ends "\r\r\n"). Only from the terminal's foreground:
 * a background runner leaves the terminal to whoever owns it. */
int tty_raw_host(void)
{
	return tty_raw(0) == 0 ? 0 : tty_raw(1);
}

int tty_size(uint16_t *rows, uint16_t *cols)
{
	struct winsize ws;
	for (int fd = 0; fd < 3; fd++)
		if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
			*rows = ws.ws_row;
			*cols = ws.ws_col;
			return 0;
		}
	return -ENOTTY;
}
