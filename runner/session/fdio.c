/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fdio.c: the host's stdin, stdout and stderr as the session's loop uses
 * them. Those epoll can watch (pipes, ttys, sockets) are made non-blocking;
 * the others (regular files, directories, /dev/null) are always ready and
 * stay as they are. fdio_restore puts O_NONBLOCK back as it was, so the
 * shell that started us never inherits a changed file.
 */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

void fdio_open(struct fdio *io, int fd, bool want)
{
	struct stat st;
	io->fd = fd;
	io->orig_flags = -1;
	io->pollable = false;
	if (!want || fstat(fd, &st) < 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return;
	struct epoll_event ev = { 0 };
	int probe = epoll_create1(EPOLL_CLOEXEC);
	io->pollable = probe >= 0 && epoll_ctl(probe, EPOLL_CTL_ADD, fd, &ev) == 0;
	if (probe >= 0)
		close(probe);
	if (io->pollable && !(fl & O_NONBLOCK)) {
		io->orig_flags = fl;
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
}

void fdio_restore(struct fdio *io)
{
	if (io->orig_flags >= 0)
		fcntl(io->fd, F_SETFL, io->orig_flags);
	io->orig_flags = -1;
}
