/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relay.c: one process's stdio relay between host fds (fdio.c) and the
 * stream port, credit-based both ways (proto.h, docs/protocol.md). The
 * session has one per process: the command's (our own fds 0, 1, 2, or a
 * detached VM's log), and each `qpod exec`'s (the fds its client passed).
 *
 * Output: each output stream of the process (its stdio seq, its stderr
 * seq) has a sink, a queue in front of a host fd or the log. Credit goes
 * back to the guest only as bytes reach the fd, so a slow reader slows the
 * guest's process instead of growing a buffer here. A sink whose fd fails
 * discards from then on and still hands credit back, so the guest never
 * stalls; when it failed with EPIPE (the reader went away, as after
 * `| head`) relay_gone() names the stream once, and the session tells the
 * guest (CLOSEOUTPUT), which closes that pipe as a local pipeline would.
 *
 * Input: once the session opens it (in_open), stdin is read only as far as
 * the guest's credit goes, into frames on the stdio seq; its end is an EOF
 * frame. Frames go to the stream port's queue, tx, which the relays share.
 */
#include <errno.h>
#include <string.h>

#include "io.h"
#include "session.h"

void relay_open(struct relay *r, struct qp_queue *tx, const struct relay_spec *rs)
{
	*r = (struct relay){ .tx = tx, .seq = rs->seq, .in_credit = QP_WINDOW, .log = rs->log,
			     .out = { .seq = rs->seq, .stream = 1 },
			     .err = { .seq = rs->seq_err, .stream = 2, .eof = rs->tty } };
	fdio_open(&r->in, rs->in, rs->in >= 0);
	r->in_done = rs->in < 0;
	fdio_open(&r->out.io, rs->out, !rs->log);
	fdio_open(&r->err.io, rs->tty ? -1 : rs->err, !rs->log && !rs->tty);
}

bool relay_owns(const struct relay *r, uint64_t seq)
{
	return seq && (seq == r->out.seq || seq == r->err.seq);
}

void relay_credit(struct relay *r, uint64_t seq, uint32_t bytes)
{
	if (seq == r->seq && r->in_credit + (uint64_t)bytes <= QP_WINDOW)
		r->in_credit += bytes;
}

static void grant(struct relay *r, struct sink *k)
{
	if (k->grant && (k->grant >= QP_WINDOW / 4 || !qp_queue_len(&k->q))) {
		qp_put_credit(r->tx, k->seq, k->grant);
		k->grant = 0;
	}
}

/* Into the log, or as much as the fd takes. */
static int sink_write(struct relay *r, struct sink *k)
{
	if (!r->log)
		return qp_queue_flush(&k->q, k->io.fd);
	int e = log_write(r->log, k->stream, k->q.buf + k->q.head, qp_queue_len(&k->q));
	qp_queue_free(&k->q);
	return e < 0 ? e : 0;
}

void relay_flush(struct relay *r, struct sink *k)
{
	size_t before = qp_queue_len(&k->q);
	if (!k->broken) {
		int e = sink_write(r, k);
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

int relay_output(struct relay *r, const struct qp_frame *f, double now, struct qerr *err)
{
	struct sink *k = f->id == r->out.seq ? &r->out : f->id == r->err.seq ? &r->err : NULL;
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
		qp_put_stream(r->tx, r->seq, buf, (size_t)n);
		r->in_credit -= (uint32_t)n;
		return;
	}
	relay_stdin_end(r); /* EOF, or a read error (EIO from a terminal in the background): end it too */
}

void relay_stdin_end(struct relay *r)
{
	if (r->in_done)
		return;
	qp_put_stream(r->tx, r->seq, NULL, 0);
	r->in_done = true;
}

void relay_poll_free(struct relay *r)
{
	if (!r->in.pollable && r->in.fd >= 0)
		relay_stdin(r);
	if (!r->out.io.pollable && qp_queue_len(&r->out.q))
		relay_flush(r, &r->out);
	if (!r->err.io.pollable && qp_queue_len(&r->err.q))
		relay_flush(r, &r->err);
}

bool relay_always_ready(const struct relay *r)
{
	return !r->in.pollable && r->in.fd >= 0 && relay_wants_stdin(r);
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
		if (!k->broken && qp_queue_len(&k->q)) {
			if (r->log)
				log_write(r->log, k->stream, k->q.buf + k->q.head, qp_queue_len(&k->q));
			else
				io_write_all(k->io.fd, k->q.buf + k->q.head, qp_queue_len(&k->q));
		}
		qp_queue_free(&k->q);
	}
	fdio_restore(&r->in);
}
