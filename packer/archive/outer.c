/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outer.c: the outer archive (the file `docker save` or an OCI exporter
 * wrote): passes over its members, an index of them by name, and members
 * kept in memory.
 *
 * Member order in these archives is arbitrary (docker save puts
 * manifest.json after the layers), so a pack reads it like this:
 *   pass 1   every header, once. Small members (<= 1 MiB) and JSON-looking
 *            ones (<= 16 MiB) are kept in memory; others are skipped, which
 *            is a seek when the archive is a plain tar in a regular file.
 *            A layer whose turn has come is applied as it streams by.
 *   later    a plain tar in a regular file: each remaining layer is read by
 *            offset (pread), in manifest order, once. A compressed archive
 *            (docker load accepts gzip/zstd/xz/bzip2 around the tar) is
 *            decompressed again for each run of layers stored out of order:
 *            CPU instead of a temporary copy on disk. A pipe cannot be read
 *            twice: it works when its members come in a usable order (our
 *            own images do), and is refused with a reason otherwise.
 * Nothing of the archive is ever written to disk by this file.
 *
 * An image directory (dir.c) is an outer archive too: its first pass is a
 * walk of the tree that fills the same index, and every member is read by
 * pread, so no pass ever streams and the readers cannot tell the difference.
 *
 * Names are cleaned (path.c); members whose names climb out of the archive
 * are left out of the index, so nothing can refer to them. Two regular
 * members with one name are refused: which one a tool would use differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive/formats.h"
#include "io.h"

#define OUTER_BLOCK (128u << 10)

static ssize_t read_cb(struct archive *a, void *cd, const void **buf)
{
	struct outer *o = cd;
	ssize_t n;
	do
		n = o->seekable ? pread(o->fd, o->buf, OUTER_BLOCK, (off_t)o->pos)
				: read(o->fd, o->buf, OUTER_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	o->pos += (uint64_t)n;
	*buf = o->buf;
	return n;
}

static la_int64_t skip_cb(struct archive *a, void *cd, la_int64_t req)
{
	struct outer *o = cd;
	(void)a;
	if (!o->seekable || req <= 0)
		return 0;
	uint64_t left = (uint64_t)o->st.st_size > o->pos ? (uint64_t)o->st.st_size - o->pos : 0;
	if ((uint64_t)req > left)
		req = (la_int64_t)left;
	o->pos += (uint64_t)req;
	return req;
}

int outer_open(struct outer *o, const char *path, const char *shown, struct qerr *err)
{
	*o = (struct outer){ .shown = shown, .fd = -1 };
	o->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0)
		return qerr_sys(err, errno, "%s", pq(shown));
	if (fstat(o->fd, &o->st) < 0)
		return qerr_sys(err, errno, "%s", pq(shown));
	if (S_ISDIR(o->st.st_mode) && !dir_image_kind(o->fd))
		return qerr_set(err, EISDIR, "%s: is a directory without oci-layout or manifest.json, not an image", pq(shown));
	o->dir = S_ISDIR(o->st.st_mode);
	o->seekable = S_ISREG(o->st.st_mode) || o->dir;
	if (!(o->buf = malloc(OUTER_BLOCK)))
		return qerr_set(err, ENOMEM, "out of memory");
	return 0;
}

void outer_close(struct outer *o)
{
	members_free(o);
	free(o->buf);
	io_close(&o->fd);
	*o = (struct outer){ .fd = -1 };
}

static uint8_t member_type(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return M_HARDLINK;
	switch (archive_entry_filetype(e)) {
	case AE_IFREG: return M_FILE;
	case AE_IFDIR: return M_DIR;
	case AE_IFLNK: return M_SYMLINK;
	default: return M_OTHER;
	}
}

/* Add the current header to the index. *out = NULL for a name we ignore. */
static int index_add(struct outer *o, struct archive *a, struct archive_entry *e,
		     struct member **out, struct qerr *err)
{
	char name[PATH_MAX], link[PATH_MAX];
	const char *raw = archive_entry_pathname(e);
	*out = NULL;
	if (!raw || path_clean(raw, name, sizeof name) < 0 || !name[0])
		return 0;
	uint8_t type = member_type(e);
	struct member *old = outer_find(o, name);
	if (old) {
		if (old->type == M_DIR && type == M_DIR)
			return 0;
		return qerr_set(err, EINVAL, "%s: two members are named \"%s\"", pq(o->shown), pq(name));
	}
	if (o->n >= PK_MAX_MEMBERS)
		return qerr_set(err, E2BIG, "%s: more than %d members", pq(o->shown), PK_MAX_MEMBERS);
	const char *target = type == M_HARDLINK ? archive_entry_hardlink(e)
			   : type == M_SYMLINK ? archive_entry_symlink(e) : NULL;
	if (type == M_HARDLINK && path_clean(target, link, sizeof link) < 0)
		target = NULL, type = M_OTHER;
	else if (type == M_HARDLINK)
		target = link;
	struct member *m = outer_member_new(o, name, type, target);
	if (!m)
		return qerr_set(err, ENOMEM, "out of memory");
	m->size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
	m->off = (uint64_t)archive_filter_bytes(a, 0);
	m->sparse = archive_entry_sparse_count(e) > 0;
	*out = m;
	return 0;
}

static int open_fail(struct outer *o, struct archive *a, struct qerr *err)
{
	unsigned char head[8];
	ssize_t n = o->seekable ? pread(o->fd, head, sizeof head, 0) : 0;
	const char *what = n > 0 ? sniff_unsupported(head, (size_t)n) : NULL;
	if (what)
		return qerr_set(err, ENOTSUP, "%s: compressed with %s; qpod reads tar archives, plain or compressed with gzip, zstd, xz or bzip2", pq(o->shown), what);
	return qerr_set(err, EINVAL, "%s: not a tar archive: %s", pq(o->shown), archive_error_string(a));
}

static struct archive *pass_open(struct outer *o, struct qerr *err)
{
	struct archive *a = archive_read_new();
	if (!a) {
		qerr_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	o->pos = 0;
	if (archive_read_open2(a, o, NULL, read_cb, skip_cb, NULL) != ARCHIVE_OK) {
		open_fail(o, a, err);
		archive_read_free(a);
		return NULL;
	}
	return a;
}

int outer_pass(struct outer *o, bool index, member_fn fn, void *ctx, struct qerr *err)
{
	if (o->dir)   /* the walk is the whole first pass: members are read by pread */
		return index && o->passes++ == 0 ? dir_index(o, err) : 0;
	if (o->passes > 0 && !o->seekable)
		return qerr_set(err, ESPIPE, "%s: not a regular file, and its members are not in an order that can be read in one pass; save it to a file first", pq(o->shown));
	struct archive *a = pass_open(o, err);
	if (!a)
		return -err->code;
	o->passes++;
	o->a = a;
	int r = 0;
	struct member *m = NULL;
	for (;;) {
		struct archive_entry *e;
		int s = archive_read_next_header(a, &e);
		if (s == ARCHIVE_EOF)
			break;
		if (s < ARCHIVE_WARN) {
			r = m ? qerr_set(err, EIO, "%s: after member %s: %s", pq(o->shown), pq(m->name), archive_error_string(a))
			      : qerr_set(err, EIO, "%s: %s", pq(o->shown), archive_error_string(a));
			break;
		}
		if (o->passes == 1 && o->n == 0)
			o->filter = archive_filter_code(a, 0);
		m = NULL;
		if (index)
			r = index_add(o, a, e, &m, err);
		else {
			char name[PATH_MAX];
			const char *raw = archive_entry_pathname(e);
			if (raw && path_clean(raw, name, sizeof name) == 0)
				m = outer_find(o, name);
		}
		if (r < 0)
			break;
		if (m && (r = fn(ctx, m, a)) != 0)
			break;
	}
	o->a = NULL;
	archive_read_free(a);
	return r < 0 ? r : 0;
}

int outer_lookup(struct outer *o, const char *dir, const char *ref, struct member **out, struct qerr *err)
{
	char name[PATH_MAX], d[PATH_MAX];
	(void)err;
	*out = NULL;
	if (!ref[0])
		return -ENOENT;
	int r = path_join_clean(dir, ref, true, name, sizeof name);
	for (int hops = 0; r == 0; hops++) {
		struct member *m = outer_find(o, name);
		if (!m)
			return -ENOENT;
		if (m->type == M_FILE) {
			*out = m;
			return 0;
		}
		if (hops > 16)
			return -ELOOP;
		if (m->type == M_HARDLINK)
			r = path_clean(m->link, name, sizeof name);
		else if (m->type == M_SYMLINK) {
			path_split(m->name, d, sizeof d);
			r = path_join_clean(d, m->link, true, name, sizeof name);
		} else
			return -EINVAL;
	}
	return r;
}

bool outer_rangeable(const struct outer *o, const struct member *m)
{
	return o->seekable && o->filter == ARCHIVE_FILTER_NONE && !m->sparse && m->type == M_FILE;
}

int outer_member_open(struct outer *o, const struct member *m, struct qerr *err)
{
	if (o->dir)
		return dir_member_open(o, m, err);
	int fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? qerr_sys(err, errno, "%s", pq(o->shown)) : fd;
}

/* Read the rest of the member into m->data; first is a block already read. */
static int stash_from(struct outer *o, struct member *m, struct archive *a,
		      const void *first, size_t first_n, la_int64_t first_off, struct qerr *err)
{
	unsigned char *buf = calloc(1, m->size + 1);
	if (!buf)
		return qerr_set(err, ENOMEM, "out of memory");
	const void *p = first;
	size_t n = first_n;
	la_int64_t off = first_off;
	int s = ARCHIVE_OK;
	while (p || (s = archive_read_data_block(a, &p, &n, &off)) == ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off > m->size || n > m->size - (uint64_t)off) {
			s = ARCHIVE_FATAL;
			archive_set_error(a, EINVAL, "member data beyond its size");
			break;
		}
		memcpy(buf + off, p, n);
		p = NULL;
	}
	if (s != ARCHIVE_EOF) {
		free(buf);
		return qerr_set(err, EIO, "%s: member %s: %s", pq(o->shown), pq(m->name), archive_error_string(a));
	}
	m->data = buf;
	sha256_hex(buf, m->size, m->sha);
	o->stashed += m->size;
	return 0;
}

/* In a member callback: read all of the current member's data into m->data. */
static int outer_stash(struct outer *o, struct member *m, struct archive *a, struct qerr *err)
{
	return m->data ? 0 : stash_from(o, m, a, NULL, 0, 0, err);
}

/* Pass-1 policy: keep small members, and JSON-looking ones up to the JSON limit. */
int outer_maybe_stash(struct outer *o, struct member *m, struct archive *a, struct qerr *err)
{
	if (m->type != M_FILE || m->data || m->size > PK_JSON_MAX || o->stashed + m->size > PK_STASH_TOTAL)
		return 0;
	if (m->size <= PK_STASH_SMALL)
		return stash_from(o, m, a, NULL, 0, 0, err);
	const void *p;
	size_t n;
	la_int64_t off;
	int s = archive_read_data_block(a, &p, &n, &off);
	if (s != ARCHIVE_OK)
		return s == ARCHIVE_EOF ? 0 : qerr_set(err, EIO, "%s: member %s: %s", pq(o->shown), pq(m->name), archive_error_string(a));
	const unsigned char *c = p;
	size_t i = 0;
	while (i < n && (c[i] == ' ' || c[i] == '\n' || c[i] == '\r' || c[i] == '\t'))
		i++;
	if (off != 0 || i == n || (c[i] != '{' && c[i] != '['))
		return 0;
	return stash_from(o, m, a, p, n, off, err);
}

/* pread until n bytes or EOF; the count, or -errno. */
static ssize_t pread_full(int fd, unsigned char *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

struct fetch_ctx {
	struct outer *o;
	struct member *want;
	struct qerr *err;
	bool done;
};

static int fetch_one(void *ctx, struct member *m, struct archive *a)
{
	struct fetch_ctx *f = ctx;
	if (m != f->want)
		return 0;
	int r = outer_stash(f->o, m, a, f->err);
	f->done = r == 0;
	return r < 0 ? r : 1;
}

int outer_fetch(struct outer *o, struct member *m, uint64_t max, struct qerr *err)
{
	if (m->data)
		return 0;
	if (m->size > max)
		return qerr_set(err, EFBIG, "%s: member %s is %llu bytes, more than the limit of %llu",
				pq(o->shown), pq(m->name), (unsigned long long)m->size, (unsigned long long)max);
	if (outer_rangeable(o, m)) {
		int fd = outer_member_open(o, m, err);
		if (fd < 0)
			return fd;
		unsigned char *buf = calloc(1, m->size + 1);
		ssize_t n = !buf ? -ENOMEM : m->size ? pread_full(fd, buf, m->size, m->off) : 0;
		close(fd);
		if (n != (ssize_t)m->size) {
			free(buf);
			return n == -ENOMEM ? qerr_set(err, ENOMEM, "out of memory")
			       : n < 0 ? qerr_sys(err, (int)-n, "%s: member %s", pq(o->shown), pq(m->name))
				     : qerr_set(err, EIO, "%s: member %s: truncated", pq(o->shown), pq(m->name));
		}
		m->data = buf;
		sha256_hex(buf, m->size, m->sha);
		return 0;
	}
	struct fetch_ctx f = { o, m, err, false };
	int r = outer_pass(o, false, fetch_one, &f, err);
	if (r < 0)
		return r;
	return f.done ? 0 : qerr_set(err, EIO, "%s: member %s vanished on a second read", pq(o->shown), pq(m->name));
}
