/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blob.c: read one layer blob, verify it, and apply it.
 *
 *   source (memory, pread range of the outer file, or the outer archive's
 *   current member) --raw_read: sha256 of the blob, progress-->
 *   libarchive "raw" reader with gzip/zstd/xz/bzip2 filters (decided by the
 *   data's magic, never by a name or media type) --tar_read: sha256 of the
 *   tar stream = diff_id, size limit-->
 *   libarchive tar reader --> layer.c
 *
 * The blob is read once. When the tar reader stops (at the end-of-archive
 * blocks) the rest of the decompressed stream and of the blob is still read
 * and hashed, so the digests cover every byte, as docker computes them. An
 * uncompressed blob is hashed once (its tar digest is its blob digest).
 * Blobs over blob_thread_min (1 MiB) are read, decompressed and hashed in a
 * producer thread that hands blocks to the tar reader through pipe.c, so
 * that work overlaps the file writes.
 * Checks after the layer: blob size and digest against the manifest's
 * descriptor, the digest a member name claims (blobs/sha256/<hex>,
 * <hex>.tar.gz: either the blob's or the tar's), and the tar's digest
 * against the config's rootfs.diff_ids. A mismatch fails the whole unpack
 * (the caller discards the temporary directory).
 *
 * Errors name the handle that failed: a read error of the archive, a
 * decompression error, a tar error, or a limit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "layer/layer.h"
#include "layer/pipe.h"

#define RANGE_BLOCK (1u << 20)

size_t blob_thread_min = PIPE_SLOT;

struct bstream {
	struct applier *ap;
	struct qerr *err;
	struct progress *prog;
	const struct blob_src *src;
	const char *what;
	struct sha *raw_sha, *tar_sha;
	uint64_t raw_n, tar_n, limit;
	struct archive *dec;
	unsigned char *buf;
	const void *pending;     /* first decompressed block, read before the tar reader opens */
	size_t pending_n;
	unsigned char head[8];   /* its first bytes, to name an unsupported compression */
	size_t head_n;
	bool same;               /* no compression: the tar's digest is the blob's */
	bool threaded;           /* decompression and hashing run in a producer thread */
	struct pipe q;
	bool failed;             /* a callback failed: detail says why */
	int code;
	char detail[QERR_MSG_MAX];
};

/* A read callback failed: remember the first cause, and hand it to the
 * reader so that its error (and the applier's message) carries it. */
static ssize_t fail_cb(struct bstream *b, struct archive *a, int errnum, const char *fmt, ...)
{
	if (!b->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->detail, sizeof b->detail, fmt, ap);
		va_end(ap);
		b->failed = true;
		b->code = errnum;
	}
	if (a)
		archive_set_error(a, b->code, "%s", b->detail);
	return -1;
}

/* The error of a callback, worded for the whole layer. */
static int failed(struct bstream *b)
{
	return qerr_set(b->err, b->code, "%s: %s", b->what, b->detail);
}

static ssize_t raw_next(struct bstream *b, struct archive *a, const void **out)
{
	const struct blob_src *s = b->src;
	if (s->kind == SRC_MEM) {
		size_t n = s->len - b->raw_n < RANGE_BLOCK ? (size_t)(s->len - b->raw_n) : RANGE_BLOCK;
		*out = s->mem + b->raw_n;
		return (ssize_t)n;
	}
	if (s->kind == SRC_RANGE) {
		size_t want = s->len - b->raw_n < RANGE_BLOCK ? (size_t)(s->len - b->raw_n) : RANGE_BLOCK;
		ssize_t n;
		do
			n = want ? pread(s->fd, b->buf, want, (off_t)(s->off + b->raw_n)) : 0;
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return fail_cb(b, a, errno, "read: %s", strerror(errno));
		if (n == 0 && want)
			return fail_cb(b, a, EIO, "the archive is shorter than its index says");
		*out = b->buf;
		return n;
	}
	size_t n;
	la_int64_t off;
	int r = archive_read_data_block(s->outer, out, &n, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK)
		return fail_cb(b, a, EIO, "%s", archive_error_string(s->outer));
	if ((uint64_t)off != b->raw_n)
		return fail_cb(b, a, EINVAL, "sparse archive members are not supported");
	return (ssize_t)n;
}

static ssize_t raw_read(struct archive *a, void *cd, const void **out)
{
	struct bstream *b = cd;
	ssize_t n = raw_next(b, a, out);
	if (n > 0) {
		sha_update(b->raw_sha, *out, (size_t)n);
		b->raw_n += (uint64_t)n;
		progress_add(b->prog, (uint64_t)n);
	}
	return n;
}

/* The next block of the decompressed stream, hashed and counted. */
static ssize_t tar_next(struct bstream *b, struct archive *a, const void **out)
{
	size_t n;
	la_int64_t off;
	if (b->pending) {
		*out = b->pending;
		n = b->pending_n;
		b->pending = NULL;
	} else {
		int r = archive_read_data_block(b->dec, out, &n, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK)
			return fail_cb(b, a, EIO, "%s", archive_error_string(b->dec));
	}
	b->tar_n += n;
	if (b->tar_n > b->limit)
		return fail_cb(b, a, EFBIG, "expands beyond the limit of %llu bytes (--max-bytes)", (unsigned long long)b->limit);
	if (!b->same)
		sha_update(b->tar_sha, *out, n);
	return (ssize_t)n;
}

static ssize_t tar_read(struct archive *a, void *cd, const void **out)
{
	struct bstream *b = cd;
	if (!b->threaded)
		return tar_next(b, a, out);
	ssize_t n = pipe_get(&b->q, out);
	if (n < 0)
		archive_set_error(a, b->code, "%s", b->detail);
	return n < 0 ? -1 : n;
}

/* The producer thread: the decompressed stream into the pipe, then the rest
 * of the blob through the hashes. */
static void *produce(void *arg)
{
	struct bstream *b = arg;
	const void *p;
	ssize_t n;
	int r = 0;
	while (r == 0 && (n = tar_next(b, b->dec, &p)) > 0)
		r = pipe_put(&b->q, p, (size_t)n);
	if (r == 0 && n == 0)
		while ((n = raw_read(b->dec, b, &p)) > 0)
			;
	pipe_close(&b->q, r < 0 ? r : n < 0 ? -EIO : 0);
	return NULL;
}

static int open_dec(struct bstream *b)
{
	struct qerr *err = b->err;
	if (!(b->dec = archive_read_new()))
		return qerr_set(err, ENOMEM, "out of memory");
	archive_read_support_filter_gzip(b->dec);
	archive_read_support_filter_zstd(b->dec);
	archive_read_support_filter_xz(b->dec);
	archive_read_support_filter_bzip2(b->dec);
	archive_read_support_format_raw(b->dec);
	struct archive_entry *e;
	if (archive_read_open2(b->dec, b, NULL, raw_read, NULL, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(b->dec, &e) != ARCHIVE_OK)
		return b->failed ? failed(b) : qerr_set(err, EIO, "%s: %s", b->what, archive_error_string(b->dec));
	la_int64_t off;
	int r = archive_read_data_block(b->dec, &b->pending, &b->pending_n, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK)
		return b->failed ? failed(b) : qerr_set(err, EIO, "%s: %s", b->what, archive_error_string(b->dec));
	b->head_n = b->pending_n < sizeof b->head ? b->pending_n : sizeof b->head;
	memcpy(b->head, b->pending, b->head_n);
	b->same = archive_filter_code(b->dec, 0) == ARCHIVE_FILTER_NONE;
	return 1;
}

static int not_tar(struct bstream *b, struct archive *tar)
{
	const char *c = sniff_unsupported(b->head, b->head_n);
	if (c)
		return qerr_set(b->err, ENOTSUP, "%s: compressed with %s; layers may be plain tar or gzip, zstd, xz, bzip2", b->what, c);
	return qerr_set(b->err, EINVAL, "%s: not a tar stream: %s", b->what, archive_error_string(tar));
}

static int drain_raw(struct bstream *b)
{
	const void *p;
	ssize_t n;
	while ((n = raw_read(b->dec, b, &p)) > 0)
		;
	return n < 0 ? failed(b) : 0;
}

static int apply_tar(struct bstream *b)
{
	struct archive *tar = archive_read_new();
	int r;
	if (!tar)
		return qerr_set(b->err, ENOMEM, "out of memory");
	archive_read_support_format_tar(tar);
	if (archive_read_open2(tar, b, NULL, tar_read, NULL, NULL) != ARCHIVE_OK) {
		r = b->failed ? failed(b) : not_tar(b, tar);
	} else {
		b->ap->what = b->what;
		b->ap->err = b->err;
		r = layer_apply(b->ap, tar);
	}
	archive_read_free(tar);
	return r;
}

/* Big layers: decompression and hashing in a second thread. */
static int run_threaded(struct bstream *b)
{
	pthread_t t;
	if (pipe_init(&b->q) < 0)
		return qerr_set(b->err, ENOMEM, "out of memory");
	b->threaded = true;
	if (pthread_create(&t, NULL, produce, b) != 0) {
		pipe_free(&b->q);
		b->threaded = false;
		return qerr_set(b->err, EAGAIN, "cannot start a thread");
	}
	int r = apply_tar(b);
	if (r < 0)
		pipe_stop(&b->q);
	else
		pipe_discard(&b->q);
	pthread_join(t, NULL);
	b->threaded = false;
	if (r == 0 && b->q.err < 0)
		r = failed(b);
	pipe_free(&b->q);
	return r;
}

/* Decompress and apply; then read what the tar reader left, for the digests. */
static int run(struct bstream *b)
{
	int r = open_dec(b);
	if (r <= 0)
		return r < 0 ? r : drain_raw(b);
	if (b->src->len > blob_thread_min)
		return run_threaded(b);
	r = apply_tar(b);
	const void *p;
	ssize_t n = 0;
	while (r == 0 && (n = tar_next(b, b->dec, &p)) > 0)
		;
	if (r == 0 && n == 0)
		r = drain_raw(b);
	return r < 0 ? r : n < 0 ? failed(b) : 0;
}

static int verify(struct bstream *b, const struct blob_check *l)
{
	char raw[HEX64], tar[HEX64];
	struct qerr *err = b->err;
	sha_hex(b->raw_sha, raw);
	if (b->same)
		memcpy(tar, raw, HEX64);
	else
		sha_hex(b->tar_sha, tar);
	if (l->size != UINT64_MAX && l->size != b->raw_n)
		return qerr_set(err, EINVAL, "%s: size mismatch: the blob has %llu bytes, the manifest says %llu",
				b->what, (unsigned long long)b->raw_n, (unsigned long long)l->size);
	if (l->raw[0] && strcmp(l->raw, raw))
		return qerr_set(err, EINVAL, "%s: digest mismatch: the blob is sha256:%.12s..., the manifest says sha256:%.12s...",
				b->what, raw, l->raw);
	for (int k = 0; k < 2; k++) {
		char named[HEX64];
		name_digest(k ? l->member : l->name, named);
		if (named[0] && strcmp(named, raw) && strcmp(named, tar))
			return qerr_set(err, EINVAL, "%s: digest mismatch: the member's name says sha256:%.12s..., its content is sha256:%.12s...",
					b->what, named, raw);
	}
	if (l->diff_id[0] && strcmp(l->diff_id, tar))
		return qerr_set(err, EINVAL, "%s: diff_id mismatch: the uncompressed layer is sha256:%.12s..., the config says sha256:%.12s...",
				b->what, tar, l->diff_id);
	return 0;
}

int blob_apply(struct applier *ap, const char *what, const struct blob_src *src,
	       const struct blob_check *want, struct progress *prog)
{
	struct bstream b = { .ap = ap, .err = ap->err, .prog = prog, .src = src, .what = what, .limit = want->limit };
	b.raw_sha = sha_new();
	b.tar_sha = sha_new();
	b.buf = src->kind == SRC_RANGE ? malloc(RANGE_BLOCK) : NULL;
	int r;
	if (!b.raw_sha || !b.tar_sha || (src->kind == SRC_RANGE && !b.buf))
		r = qerr_set(b.err, ENOMEM, "out of memory");
	else if ((r = src->len ? run(&b) : drain_raw(&b)) == 0)
		r = verify(&b, want);
	if (b.dec)
		archive_read_free(b.dec);
	free(b.buf);
	sha_free(b.raw_sha);
	sha_free(b.tar_sha);
	return r;
}
