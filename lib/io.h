/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io.h: tiny syscall helpers shared by both sides. They retry EINTR and
 * finish short reads and writes, so callers never do.
 */
#ifndef QPOD_IO_H
#define QPOD_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes (blocking fd). 0, or -errno. */
int io_write_all(int fd, const void *buf, size_t n);
/* Read exactly n bytes (blocking fd). n, a smaller count at EOF, or -errno. */
ssize_t io_read_full(int fd, void *buf, size_t n);
/* One read/write, EINTR retried. The count, or -errno (-EAGAIN included). */
ssize_t io_read(int fd, void *buf, size_t n);
ssize_t io_write(int fd, const void *buf, size_t n);
/* Set O_NONBLOCK on or off. 0, or -errno. */
int io_nonblock(int fd, int on);
/* Open path for writing (flags: O_WRONLY or O_RDWR), empty: made with mode
 * if missing, else only a regular file of ours, never through a symlink,
 * and never blocking on a fifo. The fd, or -errno (-EPERM: not ours). */
int io_create_own(const char *path, int flags, mode_t mode);
/* A whole file, its first max bytes at most, NUL-terminated (malloc'ed),
 * or NULL; fd is closed either way (fd < 0: NULL). */
char *io_slurp(int fd, size_t max);
/* A small file's text into buf: at most cap - 1 bytes of fd, NUL-terminated
 * ("" when nothing was read); fd is closed. The caller opens it, with its
 * own flags (O_NOFOLLOW, openat), and may pass open()'s result straight in:
 * fd < 0 gives that open's -errno. The count (cap - 1: maybe more was
 * there), or -errno. */
ssize_t io_read_text(int fd, char *buf, size_t cap);
/* close() that keeps errno and ignores fd < 0; sets *fd to -1. */
void io_close(int *fd);

#endif
