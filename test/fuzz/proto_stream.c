/*
 * proto_stream.c: fuzz the stream-port reader and credit frames. Bounds
 * that must hold for any input: no frame longer than the maximum is ever
 * delivered, and the buffer never grows past one whole frame plus the
 * initial size.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto.h"

static void credit(void *ctx, uint64_t seq, uint32_t bytes)
{
	*(uint64_t *)ctx += seq ^ bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qp_reader r;
	const size_t max = QP_STREAM_HDR + QP_STREAM_PAYLOAD;
	if (qp_reader_init(&r, QP_STREAM_HDR, max) < 0)
		return 0;
	size_t cap0 = r.cap, off = 0, chunk = size % 4093 + 1;
	uint64_t sum = 0;
	for (;;) {
		struct qp_frame f;
		int k;
		while ((k = qp_reader_next(&r, &f)) != 0) {
			if (k > 0 && f.len > QP_STREAM_PAYLOAD)
				abort();
			if (k > 0 && f.id == QP_SEQ_CREDIT)
				qp_credit_each(&f, credit, &sum);
		}
		if (r.cap > cap0 + max)
			abort();
		if (off >= size)
			break;
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t took = qp_reader_feed(&r, data + off, n);
		if (took < 0)
			break;
		off += (size_t)took;
	}
	qp_reader_free(&r);
	return 0;
}
