/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tar.c: the one tar header a bundle member has. libarchive's ustar writer
 * makes it (uid/gid 0, no owner names, mode 0644, the build's mtime); the
 * writers (build.c, registry.c: bd_tar_put) put it before each member and
 * the reader (read.c)
 * compares every header of a bundle with it, byte for byte. Names are at
 * most 99 bytes and sizes below 8 GiB (ustar's fields), else refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle.h"
#include "io.h"

struct capture {
	unsigned char *out;
	size_t got;
};

/* Take the header; refuse the data and padding libarchive would write next. */
static la_ssize_t take(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct capture *c = ctx;
	if (c->got >= BD_HDR)
		return -1;
	size_t k = n < BD_HDR - c->got ? n : BD_HDR - c->got;
	memcpy(c->out + c->got, buf, k);
	c->got += k;
	return (la_ssize_t)n;
}

int bd_tar_header(const char *name, uint64_t size, int64_t mtime, unsigned char out[BD_HDR])
{
	if (strlen(name) > 99)
		return -ENAMETOOLONG;
	if (size >= (8ull << 30))
		return -EFBIG;
	struct capture c = { .out = out };
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int r = -ENOMEM;
	if (!a || !e)
		goto out;
	archive_write_set_format_ustar(a);
	archive_write_set_bytes_per_block(a, 0); /* unblocked: the header arrives whole, now */
	r = -EIO;
	if (archive_write_open(a, &c, NULL, take, NULL) != ARCHIVE_OK)
		goto out;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) == ARCHIVE_OK && c.got == BD_HDR)
		r = 0;
out:
	archive_entry_free(e);
	if (a)
		archive_write_free(a); /* the padding it tries to write is refused */
	return r;
}

int bd_tar_put(int fd, const char *name, const void *data, const char *path, uint64_t size, int64_t mtime,
	       struct qerr *err)
{
	unsigned char h[BD_HDR];
	static const char zero[512];
	int e = bd_tar_header(name, size, mtime, h);
	if (e < 0)
		return qerr_sys(err, -e, "tar header for %s", name);
	if ((e = io_write_all(fd, h, BD_HDR)) < 0)
		return qerr_sys(err, -e, "write");
	if (data && (e = io_write_all(fd, data, size)) < 0)
		return qerr_sys(err, -e, "write");
	if (path) {
		int in = open(path, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return qerr_sys(err, errno, "open %s", path);
		uint64_t done = 0;
		while (done < size) {
			ssize_t n = copy_file_range(in, NULL, fd, NULL, size - done, 0);
			if (n <= 0) {
				close(in);
				return qerr_sys(err, n < 0 ? errno : EIO, "copy %s", path);
			}
			done += (uint64_t)n;
		}
		close(in);
	}
	if (bd_pad(size) != size && (e = io_write_all(fd, zero, bd_pad(size) - size)) < 0)
		return qerr_sys(err, -e, "write");
	return 0;
}
