/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frame.c: control and stream framing (see proto.h and docs/protocol.md).
 * The reader never trusts a length: it checks it against the header size and
 * the channel's maximum before it allocates or waits for a single byte more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "proto.h"
#include "vec.h"

const char *qp_type_name(uint32_t type)
{
	switch (type) {
	case QP_GETVERSION: return "GETVERSION";
	case QP_STARTPOD: return "STARTPOD";
	case QP_DESTROYPOD: return "DESTROYPOD";
	case QP_EXECCMD: return "EXECCMD";
	case QP_READY: return "READY";
	case QP_ACK: return "ACK";
	case QP_ERROR: return "ERROR";
	case QP_WINSIZE: return "WINSIZE";
	case QP_PING: return "PING";
	case QP_NEWCONTAINER: return "NEWCONTAINER";
	case QP_KILLCONTAINER: return "KILLCONTAINER";
	case QP_PROCESSASYNCEVENT: return "PROCESSASYNCEVENT";
	case QP_SIGNALPROCESS: return "SIGNALPROCESS";
	case QP_CLOSEOUTPUT: return "CLOSEOUTPUT";
	case QP_RESUME: return "RESUME";
	case QP_TOP: return "TOP";
	default: return "unknown";
	}
}

int qp_reader_init(struct qp_reader *r, size_t hdr, size_t max)
{
	/* Room for two of the usual frames, so one read can take several. */
	size_t cap = max < (64u << 10) ? 2 * max : 2 * (hdr + QP_STREAM_PAYLOAD);
	*r = (struct qp_reader){ .hdr = hdr, .max = max, .cap = cap };
	r->buf = malloc(cap);
	return r->buf ? 0 : -ENOMEM;
}

void qp_reader_free(struct qp_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->off = r->cap = 0;
}

static uint64_t frame_len(const struct qp_reader *r, const uint8_t *p)
{
	return qp_be32(p + r->hdr - 4);
}

/* Make room at the end for the frame being assembled. The buffer only grows
 * to hold one whole frame (at most max); -ENOBUFS means "drain frames first". */
static int make_room(struct qp_reader *r)
{
	if (r->off) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	size_t need = r->hdr;
	if (!r->skip && r->len >= r->hdr) {
		uint64_t l = frame_len(r, r->buf);
		if (l > need && l <= r->max)
			need = (size_t)l;
	}
	if (need > r->cap) {
		uint8_t *b = realloc(r->buf, need);
		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = need;
	}
	return r->len < r->cap ? 0 : -ENOBUFS;
}

ssize_t qp_reader_fill(struct qp_reader *r, int fd)
{
	int e = make_room(r);
	if (e < 0)
		return e;
	ssize_t n = io_read(fd, r->buf + r->len, r->cap - r->len);
	if (n > 0)
		r->len += (size_t)n;
	return n;
}

ssize_t qp_reader_feed(struct qp_reader *r, const void *data, size_t n)
{
	int e = make_room(r);
	if (e == -ENOBUFS)
		return 0;
	if (e < 0)
		return e;
	size_t k = r->cap - r->len < n ? r->cap - r->len : n;
	memcpy(r->buf + r->len, data, k);
	r->len += k;
	return (ssize_t)k;
}

int qp_reader_next(struct qp_reader *r, struct qp_frame *f)
{
	if (r->skip) {
		size_t k = r->len - r->off < r->skip ? r->len - r->off : (size_t)r->skip;
		r->off += k;
		r->skip -= k;
		if (r->skip)
			goto need_more;
	}
	size_t avail = r->len - r->off;
	if (avail < r->hdr)
		goto need_more;
	const uint8_t *p = r->buf + r->off;
	uint64_t len = frame_len(r, p);
	f->id = r->hdr == QP_CTL_HDR ? qp_be32(p) : qp_be64(p);
	if (len < r->hdr) {
		r->off = r->len = 0; /* nothing to resync on: drop what we hold */
		return -EPROTO;
	}
	if (len > r->max) {
		f->len = (uint32_t)(len - r->hdr);
		f->data = NULL;
		r->skip = len;
		return -EMSGSIZE;
	}
	if (avail < len)
		goto need_more;
	f->len = (uint32_t)(len - r->hdr);
	f->data = p + r->hdr;
	r->off += (size_t)len;
	return 1;
need_more:
	if (r->off == r->len)
		r->off = r->len = 0;
	return 0;
}

void qp_queue_free(struct qp_queue *q)
{
	free(q->buf);
	*q = (struct qp_queue){ 0 };
}

int qp_queue_put(struct qp_queue *q, const void *data, size_t n)
{
	if (n == 0)
		return 0;
	if (q->head + q->len + n > q->cap) {
		if (q->head) {
			memmove(q->buf, q->buf + q->head, q->len);
			q->head = 0;
		}
		if (vec_reserve(&q->buf, &q->cap, q->len + n, 1, 4096) < 0)
			return -ENOMEM;
	}
	memcpy(q->buf + q->head + q->len, data, n);
	q->len += n;
	return 0;
}

int qp_queue_flush(struct qp_queue *q, int fd)
{
	while (q->len) {
		ssize_t n = io_write(fd, q->buf + q->head, q->len);
		if (n == -EAGAIN)
			return 1;
		if (n < 0)
			return (int)n;
		q->head += (size_t)n;
		q->len -= (size_t)n;
	}
	q->head = 0;
	return 0;
}

int qp_put_ctl(struct qp_queue *q, uint32_t type, const void *payload, size_t n)
{
	if (n > QP_CTL_MAX - QP_CTL_HDR)
		return -EMSGSIZE;
	uint8_t h[QP_CTL_HDR];
	qp_put_be32(h, type);
	qp_put_be32(h + 4, (uint32_t)(n + QP_CTL_HDR));
	int e = qp_queue_put(q, h, sizeof h);
	return e ? e : qp_queue_put(q, payload, n);
}

int qp_put_stream(struct qp_queue *q, uint64_t seq, const void *payload, size_t n)
{
	if (n > QP_STREAM_PAYLOAD)
		return -EMSGSIZE;
	uint8_t h[QP_STREAM_HDR];
	qp_put_be64(h, seq);
	qp_put_be32(h + 8, (uint32_t)(n + QP_STREAM_HDR));
	int e = qp_queue_put(q, h, sizeof h);
	return e ? e : qp_queue_put(q, payload, n);
}

int qp_put_credit(struct qp_queue *q, uint64_t seq, uint32_t bytes)
{
	uint8_t e[QP_CREDIT_ENTRY];
	qp_put_be64(e, seq);
	qp_put_be32(e + 8, bytes);
	return qp_put_stream(q, QP_SEQ_CREDIT, e, sizeof e);
}

int qp_credit_each(const struct qp_frame *f, void (*fn)(void *ctx, uint64_t seq, uint32_t bytes), void *ctx)
{
	if (f->len % QP_CREDIT_ENTRY)
		return -EPROTO;
	for (uint32_t o = 0; o < f->len; o += QP_CREDIT_ENTRY)
		fn(ctx, qp_be64(f->data + o), qp_be32(f->data + o + 8));
	return 0;
}
