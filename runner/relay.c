/*
 * relay.c: the stdio relay between the host's fds (fdio.c) and the stream
 * port, credit-based both ways (proto.h, docs/protocol.md).
 *
 * Output: each stream of the guest (stdout on QP_SEQ_STDIO, stderr on
 * QP_SEQ_STDERR) has a sink, a queue in front of our fd 1 or 2. Credit goes
 * back to the guest only as bytes reach the fd, so a slow reader of ours
 * slows the guest's process instead of growing a buffer here. A sink whose
 * fd fails discards from then on and still hands credit back, so the guest
 * never stalls; when it failed with EPIPE (the reader went away, as after
 * `| head`) relay_gone() names the stream once, and the session tells the
 * guest (CLOSEOUTPUT), which closes that pipe as a local pipeline would.
 *
 * Input: once the session opens it (in_open), stdin is read only as far as
 * the guest's credit goes, into frames on QP_SEQ_STDIO; its end is an EOF
 * frame. The relay queues frames in tx; the session writes them out.
 */
#include <errno.h>
#include <string.h>

#include "io.h"
#include "runner.h"

void relay_open(struct relay *r, bool interactive, bool tty)
{
	*r = (struct relay){ .in_credit = QP_WINDOW,
			     .out = { .seq = QP_SEQ_STDIO }, .err = { .seq = QP_SEQ_STDERR, .eof = tty } };
	fdio_open(&r->in, 0, interactive);
	r->in_done = !interactive;
	fdio_open(&r->out.io, 1, true);
	fdio_open(&r->err.io, 2, true);
}

static void add_credit(void *ctx, uint64_t seq, uint32_t bytes)
{
	struct relay *r = ctx;
	if (seq == QP_SEQ_STDIO && r->in_credit + (uint64_t)bytes <= QP_WINDOW)
		r->in_credit += bytes;
}

static void grant(struct relay *r, struct sink *k)
{
	if (k->grant && (k->grant >= QP_WINDOW / 4 || !qp_queue_len(&k->q))) {
		qp_put_credit(&r->tx, k->seq, k->grant);
		k->grant = 0;
	}
}

void relay_flush(struct relay *r, struct sink *k)
{
	size_t before = qp_queue_len(&k->q);
	if (!k->broken) {
		int e = qp_queue_flush(&k->q, k->io.fd);
		if (e < 0) {
			k->broken = true; /* nobody reads; keep the guest moving */
			k->gone = e == -EPIPE;
		}
	}
	if (k->broken)
		qp_queue_free(&k->q);
	k->grant += (uint32_t)(before - qp_queue_len(&k->q));
	grant(r, k);
}

int relay_frame(struct relay *r, const struct qp_frame *f, double now, struct qerr *err)
{
	if (f->id == QP_SEQ_CREDIT) {
		if (qp_credit_each(f, add_credit, r) < 0)
			return qerr_set(err, EPROTO, "malformed credit frame from the guest");
		return 0;
	}
	struct sink *k = f->id == QP_SEQ_STDIO ? &r->out : f->id == QP_SEQ_STDERR ? &r->err : NULL;
	if (!k || k->eof)
		return 0;
	if (f->len == 0) {
		k->eof = true;
		return 0;
	}
	if (qp_queue_len(&k->q) + f->len > QP_WINDOW)
		return qerr_set(err, EPROTO, "the guest sent output beyond its credit");
	if (!r->first_output)
		r->first_output = now;
	if (qp_queue_put(&k->q, f->data, f->len) < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	relay_flush(r, k);
	return 0;
}

bool relay_wants_stdin(const struct relay *r)
{
	return r->in_open && !r->in_done && r->in_credit;
}

bool relay_sink_pending(const struct sink *k)
{
	return qp_queue_len(&k->q) && !k->broken;
}

void relay_stdin(struct relay *r)
{
	static uint8_t buf[QP_STREAM_PAYLOAD];
	if (!relay_wants_stdin(r))
		return;
	size_t want = r->in_credit < sizeof buf ? r->in_credit : sizeof buf;
	ssize_t n = io_read(r->in.fd, buf, want);
	if (n == -EAGAIN)
		return;
	if (n > 0) {
		qp_put_stream(&r->tx, QP_SEQ_STDIO, buf, (size_t)n);
		r->in_credit -= (uint32_t)n;
		return;
	}
	qp_put_stream(&r->tx, QP_SEQ_STDIO, NULL, 0); /* EOF (or a read error: end it too) */
	r->in_done = true;
}

void relay_poll_free(struct relay *r)
{
	if (!r->in.pollable)
		relay_stdin(r);
	if (!r->out.io.pollable && qp_queue_len(&r->out.q))
		relay_flush(r, &r->out);
	if (!r->err.io.pollable && qp_queue_len(&r->err.q))
		relay_flush(r, &r->err);
}

bool relay_done(const struct relay *r)
{
	return r->out.eof && r->err.eof && !qp_queue_len(&r->out.q) && !qp_queue_len(&r->err.q);
}

uint64_t relay_gone(struct relay *r)
{
	for (struct sink *k = &r->out; k; k = k == &r->out ? &r->err : NULL)
		if (k->gone && !k->told) {
			k->told = true;
			return k->seq;
		}
	return 0;
}

void relay_close(struct relay *r)
{
	/* Whatever output arrived is the user's: write it out before leaving. */
	for (struct sink *k = &r->out; k; k = k == &r->out ? &r->err : NULL) {
		fdio_restore(&k->io);
		if (!k->broken && qp_queue_len(&k->q))
			io_write_all(k->io.fd, k->q.buf + k->q.head, qp_queue_len(&k->q));
		qp_queue_free(&k->q);
	}
	fdio_restore(&r->in);
	qp_queue_free(&r->tx);
}
