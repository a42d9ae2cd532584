/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto_stream.c: fuzz the stream-port reader and credit frames against a
 * model. The model parses the same bytes on its own (u64 seq | u32 length,
 * length counting the 12-byte header) and every result of the reader must
 * match it, in order:
 *   - a frame declaring length L (HDR <= L <= max) comes out with that seq,
 *     len == L - HDR exactly, and data equal to the input's bytes; its data
 *     lies inside the reader's buffer; no frame is longer than max;
 *   - L > max gives -EMSGSIZE with that seq and len, and the next frame
 *     starts L bytes later; L < HDR gives -EPROTO (the model stops there:
 *     the reader drops what it held);
 *   - the bytes the frames account for never exceed the bytes fed;
 *   - at the end, what is left unreported is less than one whole frame.
 * Any mismatch aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "proto.h"

#define MAX (QP_STREAM_HDR + QP_STREAM_PAYLOAD)

static void credit(void *ctx, uint64_t seq, uint32_t bytes)
{
	*(uint64_t *)ctx += seq ^ bytes;
}

struct model {
	struct qp_reader *r;
	const uint8_t *data;
	size_t size;
	size_t pos;   /* where the next frame starts in data */
	size_t fed;   /* bytes the reader has taken (feed_chunks_counted) */
	int stopped;  /* -EPROTO seen: the model stops */
	uint64_t sum;
};

static int on_frame(void *ctx, int k, const struct qp_frame *f)
{
	struct model *m = ctx;
	/* A result needs a whole header at pos, and the header must have been fed. */
	if (m->pos + QP_STREAM_HDR > m->fed)
		abort();
	const uint8_t *h = m->data + m->pos;
	uint64_t seq = qp_be64(h);
	uint32_t len = qp_be32(h + 8);
	if (f->id != seq)
		abort();
	if (k == -EPROTO) {
		if (len >= QP_STREAM_HDR)
			abort();
		m->stopped = 1;
		return 1;
	}
	if (k == -EMSGSIZE) {
		if (len <= MAX || f->len != len - QP_STREAM_HDR)
			abort();
		m->pos += len;
		return 0;
	}
	if (k != 1 || len < QP_STREAM_HDR || len > MAX)
		abort();
	if (f->len != len - QP_STREAM_HDR || f->len > QP_STREAM_PAYLOAD)
		abort();
	if (f->len && (!f->data || f->data < m->r->buf || f->data + f->len > m->r->buf + m->r->len))
		abort();
	if (m->pos + len > m->fed)
		abort(); /* the frame's bytes were never fed */
	if (f->len && memcmp(f->data, h + QP_STREAM_HDR, f->len))
		abort();
	if (f->id == QP_SEQ_CREDIT)
		qp_credit_each(f, credit, &m->sum);
	m->pos += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qp_reader r;
	if (qp_reader_init(&r, QP_STREAM_HDR, MAX) < 0)
		return 0;
	struct model m = { .r = &r, .data = data, .size = size };
	int e = feed_chunks_counted(&r, data, size, size % 4093 + 1, on_frame, &m, &m.fed);
	if (!m.stopped) {
		/* Everything went in, and only a partial frame (or a skip) is left. */
		if (e != 0 || m.fed != size)
			abort();
		if (m.pos < size) {
			size_t rest = size - m.pos;
			if (rest >= QP_STREAM_HDR) {
				uint32_t len = qp_be32(data + m.pos + 8);
				if (len < QP_STREAM_HDR || len > MAX || rest >= len)
					abort(); /* a whole frame, or a bad header, was never reported */
			}
		}
	}
	qp_reader_free(&r);
	return 0;
}
