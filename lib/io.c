/* SPDX-License-Identifier: Apache-2.0 */
/* io.c: EINTR and short-transfer helpers (see io.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

ssize_t io_read(int fd, void *buf, size_t n)
{
	ssize_t r;
	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

ssize_t io_write(int fd, const void *buf, size_t n)
{
	ssize_t r;
	do
		r = write(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int io_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t r = io_write(fd, p, n);
		if (r < 0)
			return (int)r;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

ssize_t io_read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = io_read(fd, p + got, n - got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int io_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

void io_close(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

int io_create_own(const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd = open(path, flags | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode), e = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		e = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		e = -EPERM;
	else if (ftruncate(fd, 0) < 0 || (e = io_nonblock(fd, 0)) < 0)
		e = e ? e : -errno;
	if (e)
		io_close(&fd);
	return e ? e : fd;
}

ssize_t io_read_text(int fd, char *buf, size_t cap)
{
	ssize_t n = fd < 0 ? -errno : cap ? io_read_full(fd, buf, cap - 1) : 0;
	io_close(&fd);
	if (cap)
		buf[n > 0 ? n : 0] = '\0';
	return n;
}

char *io_slurp(int fd, size_t max)
{
	struct stat st;
	if (fd < 0)
		return NULL;
	/* Sized by the file (nothing more is allocated), at most max. */
	size_t cap = fstat(fd, &st) == 0 && st.st_size >= 0 && (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
	char *buf = malloc(cap + 1);
	ssize_t n = buf ? io_read_full(fd, buf, cap) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}
