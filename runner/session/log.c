/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: a detached VM's log of its command's stdout and stderr, kept
 * apart and timestamped, with a size bound (`--log-max-size`).
 *
 * The file is a sequence of records, each a 16-byte header and the bytes:
 *
 *   | u8 stream (1 stdout, 2 stderr) | u8 0 | u16 0 | u32 length | u64 time ns |
 *
 * integers little-endian, time CLOCK_REALTIME. When a record would take the
 * file past max/2, it is renamed to NAME.1 (the older half, replacing the
 * last one) and a new file starts: the two never hold more than max bytes.
 * A reader reads NAME.1 then NAME, and trusts no length it finds there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "session.h"

#define LOG_HDR 16u

int log_open(struct log *l, const char *path, uint64_t max, struct qerr *err)
{
	struct stat st;
	*l = (struct log){ .fd = -1, .max = max < 2 * (LOG_HDR + 4096) ? 2 * (LOG_HDR + 4096) : max };
	if (snprintf(l->path, sizeof l->path, "%s", path) >= (int)sizeof l->path)
		return qerr_set(err, ENAMETOOLONG, "log path %s is too long", path);
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (l->fd < 0 || fstat(l->fd, &st) < 0)
		return qerr_sys(err, errno, "open the log %s", path);
	l->size = (uint64_t)st.st_size;
	return 0;
}

static int rotate(struct log *l)
{
	char old[sizeof l->path + 2];
	snprintf(old, sizeof old, "%s.1", l->path);
	if (rename(l->path, old) < 0)
		return -errno;
	io_close(&l->fd);
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	l->size = 0;
	return l->fd < 0 ? -errno : 0;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int log_write(struct log *l, int stream, const void *data, size_t n)
{
	const uint8_t *d = data;
	while (n) {
		/* A record never exceeds half the bound, so one always fits. */
		size_t chunk = n < l->max / 2 - LOG_HDR ? n : l->max / 2 - LOG_HDR;
		if (l->size + LOG_HDR + chunk > l->max / 2 && l->size) {
			int e = rotate(l);
			if (e < 0)
				return e;
		}
		struct timespec ts;
		uint8_t hdr[LOG_HDR] = { (uint8_t)stream };
		clock_gettime(CLOCK_REALTIME, &ts);
		put_le(hdr + 4, chunk, 4);
		put_le(hdr + 8, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, 8);
		int e;
		if ((e = io_write_all(l->fd, hdr, sizeof hdr)) < 0 || (e = io_write_all(l->fd, d, chunk)) < 0)
			return e;
		l->size += LOG_HDR + chunk;
		d += chunk;
		n -= chunk;
	}
	return 0;
}

void log_close(struct log *l)
{
	io_close(&l->fd);
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The records of one file from offset *off on, in order; *off moves past
 * each whole record read. Stops at a bad or cut record (a writer may be
 * in the middle of one). */
int log_read_file(const char *path, uint64_t *off, int (*fn)(void *ctx, const struct log_rec *r), void *ctx)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	static uint8_t buf[1u << 20];
	uint8_t hdr[LOG_HDR];
	int e = 0;
	if (fseeko(f, (off_t)*off, SEEK_SET) < 0) {
		fclose(f);
		return -errno;
	}
	while (!e && fread(hdr, 1, sizeof hdr, f) == sizeof hdr) {
		struct log_rec r = { .stream = hdr[0], .len = (size_t)get_le(hdr + 4, 4), .time_ns = get_le(hdr + 8, 8) };
		if ((r.stream != 1 && r.stream != 2) || r.len > sizeof buf || fread(buf, 1, r.len, f) != r.len)
			break;
		r.data = buf;
		*off += LOG_HDR + r.len;
		e = fn(ctx, &r);
	}
	fclose(f);
	return e;
}

int log_read(const char *path, int (*fn)(void *ctx, const struct log_rec *r), void *ctx)
{
	char old[4200];
	uint64_t o1 = 0, o2 = 0;
	snprintf(old, sizeof old, "%s.1", path);
	int e = log_read_file(old, &o1, fn, ctx);
	return e ? e : log_read_file(path, &o2, fn, ctx);
}
