/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frames.h: feed bytes to a qp_reader CHUNK at a time, as a port would
 * deliver them, and hand every result of qp_reader_next (1: a frame, or a
 * negative error) to fn. fn returns non-zero to stop. Shared by the framing
 * unit test and the fuzz targets. feed_chunks_counted also keeps *fed, the
 * bytes the reader has taken so far, current whenever fn runs.
 */
#ifndef QPOD_TEST_FRAMES_H
#define QPOD_TEST_FRAMES_H

#include "proto.h"

typedef int (*frame_fn)(void *ctx, int k, const struct qp_frame *f);

/* 0 when all bytes went in; -1 when fn stopped it or the reader failed. */
static inline int feed_chunks_counted(struct qp_reader *r, const uint8_t *data, size_t size, size_t chunk,
				      frame_fn fn, void *ctx, size_t *fed)
{
	size_t off = 0;
	*fed = 0;
	for (;;) {
		struct qp_frame f;
		int k;
		while ((k = qp_reader_next(r, &f)) != 0)
			if (fn(ctx, k, &f))
				return -1;
		if (off >= size)
			return 0;
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t took = qp_reader_feed(r, data + off, n);
		if (took < 0)
			return -1;
		off += (size_t)took;
		*fed = off;
	}
}

static inline int feed_chunks(struct qp_reader *r, const uint8_t *data, size_t size, size_t chunk,
			      frame_fn fn, void *ctx)
{
	size_t fed;
	return feed_chunks_counted(r, data, size, chunk, fn, ctx, &fed);
}

#endif
