/*
 * proto_stream.c: fuzz the stream-port reader and credit frames. Bounds
 * that must hold for any input: no frame longer than the maximum is ever
 * delivered, and the buffer never grows past one whole frame plus the
 * initial size.
 */
#include <stdint.h>
#include <stdlib.h>

#include "frames.h"
#include "proto.h"

static void credit(void *ctx, uint64_t seq, uint32_t bytes)
{
	*(uint64_t *)ctx += seq ^ bytes;
}

struct bounds {
	struct qp_reader *r;
	size_t cap0;
	uint64_t sum;
};

static int on_frame(void *ctx, int k, const struct qp_frame *f)
{
	struct bounds *b = ctx;
	if (k > 0 && f->len > QP_STREAM_PAYLOAD)
		abort();
	if (k > 0 && f->id == QP_SEQ_CREDIT)
		qp_credit_each(f, credit, &b->sum);
	if (b->r->cap > b->cap0 + QP_STREAM_HDR + QP_STREAM_PAYLOAD)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qp_reader r;
	if (qp_reader_init(&r, QP_STREAM_HDR, QP_STREAM_HDR + QP_STREAM_PAYLOAD) < 0)
		return 0;
	struct bounds b = { .r = &r, .cap0 = r.cap };
	feed_chunks(&r, data, size, size % 4093 + 1, on_frame, &b);
	if (r.cap > b.cap0 + QP_STREAM_HDR + QP_STREAM_PAYLOAD)
		abort();
	qp_reader_free(&r);
	return 0;
}
