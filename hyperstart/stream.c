/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream.c: the stdio streams on the stream port, for every process: a
 * frame's seq names the process (its stdin/stdout seq, or its stderr seq).
 *
 * Host to guest: stdin frames for the process's stdio seq, and credit
 * frames (seq 0) for stdout/stderr. Guest to host: output frames, EOF
 * frames, and credit frames for stdin.
 *
 * Flow control (docs/protocol.md): the guest reads a process's output only
 * while the host has granted credit, so a slow host reader slows the process
 * instead of growing a buffer. stdin is queued (at most QP_WINDOW, which the
 * host never exceeds) and credit goes back as bytes enter the process.
 *
 * When the host's reader of an output stream goes away (CLOSEOUTPUT), the
 * guest closes its read end of that pipe, so the process's next write gets
 * SIGPIPE or EPIPE exactly as in a local pipeline; a pty carries every
 * stream, so there the whole master closes and the terminal hangs up.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define CREDIT_CAP (64u << 20)  /* never let a confused host overflow credit */

static struct proc *by_out_seq(struct hs *hs, uint64_t seq)
{
	for (unsigned i = 0; seq != QP_SEQ_CREDIT && i < QP_MAX_PROCS; i++) {
		struct proc *p = &hs->procs[i];
		if (p->used && (p->out.seq == seq || (!p->terminal && p->err.seq == seq)))
			return p;
	}
	return NULL;
}

static struct proc *by_in_seq(struct hs *hs, uint64_t seq)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (hs->procs[i].used && hs->procs[i].pid > 0 && hs->procs[i].in_seq == seq)
			return &hs->procs[i];
	return NULL;
}

static void add_credit(void *ctx, uint64_t seq, uint32_t bytes)
{
	struct proc *p = by_out_seq(ctx, seq);
	struct outstream *o = !p ? NULL : seq == p->out.seq ? &p->out : &p->err;
	if (o)
		o->credit = o->credit + bytes > CREDIT_CAP ? CREDIT_CAP : o->credit + bytes;
}

static void grant(struct hs *hs, struct proc *p, bool force)
{
	if (p->in_grant && (force || p->in_grant >= QP_WINDOW / 4)) {
		qp_put_credit(&hs->stream_q, p->in_seq, p->in_grant);
		p->in_grant = 0;
	}
}

void stdin_drop(struct hs *hs, struct proc *p)
{
	p->in_grant += (uint32_t)qp_queue_len(&p->in_q);
	qp_queue_free(&p->in_q);
	p->in_eof = true;
	ev_close(hs, EV_PROC(p->slot, IO_IN), &p->in_fd);
	grant(hs, p, true);
}

/* End of stdin: close the pipe, or type the EOF character on a terminal. */
static void stdin_end(struct hs *hs, struct proc *p)
{
	if (p->terminal && p->in_fd >= 0) {
		struct termios t;
		char eof = tcgetattr(p->in_fd, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
		io_write(p->in_fd, &eof, 1);
	}
	ev_close(hs, EV_PROC(p->slot, IO_IN), &p->in_fd);
}

void stdin_pump(struct hs *hs, struct proc *p)
{
	if (p->in_fd < 0) {
		stdin_drop(hs, p);
		return;
	}
	size_t before = qp_queue_len(&p->in_q);
	int r = qp_queue_flush(&p->in_q, p->in_fd);
	p->in_grant += (uint32_t)(before - qp_queue_len(&p->in_q));
	if (r < 0) {
		/* EPIPE: the process closed its stdin; the rest has nowhere to go. */
		log_dbg("stdin: %s", strerror(-r));
		stdin_drop(hs, p);
		return;
	}
	if (r == 0 && p->in_eof)
		stdin_end(hs, p);
	grant(hs, p, r == 0);
}

static void stdin_frame(struct hs *hs, struct proc *p, const struct qp_frame *f)
{
	if (p->in_eof) {
		p->in_grant += f->len; /* after EOF or exit: discard, but keep the host's credit right */
		grant(hs, p, true);
		return;
	}
	if (f->len == 0) {
		p->in_eof = true;
	} else if (qp_queue_len(&p->in_q) + f->len > QP_WINDOW) {
		log_err("stdin: host sent %u bytes beyond its credit; dropped", f->len);
		return;
	} else if (qp_queue_put(&p->in_q, f->data, f->len) < 0) {
		log_err("stdin: out of memory");
		return;
	}
	stdin_pump(hs, p);
}

void stream_input(struct hs *hs)
{
	for (;;) {
		struct qp_frame f;
		struct proc *p;
		int r;
		while ((r = qp_reader_next(&hs->stream_r, &f)) != 0) {
			if (r < 0) {
				log_err("stream: bad frame for seq %llu (%s)", (unsigned long long)f.id, strerror(-r));
				continue;
			}
			if (f.id == QP_SEQ_CREDIT) {
				if (qp_credit_each(&f, add_credit, hs) < 0)
					log_err("stream: malformed credit frame of %u bytes", f.len);
			} else if ((p = by_in_seq(hs, f.id))) {
				stdin_frame(hs, p, &f);
			} else {
				log_dbg("stream: %u bytes for unknown seq %llu", f.len, (unsigned long long)f.id);
			}
		}
		ssize_t n = qp_reader_fill(&hs->stream_r, hs->stream);
		if (n <= 0) {
			if (n == 0)
				log_dbg("stream: host closed the port");
			else if (n != -EAGAIN)
				log_err("stream: read: %s", strerror((int)-n));
			return;
		}
	}
}

/* Close an output stream and send its EOF. */
static void stdout_end(struct hs *hs, struct proc *p, struct outstream *o)
{
	ev_close(hs, EV_PROC(p->slot, o == &p->out ? IO_OUT : IO_ERR), &o->fd);
	qp_put_stream(&hs->stream_q, o->seq, NULL, 0);
	o->eof_sent = true;
}

void stdout_pump(struct hs *hs, struct proc *p, struct outstream *o)
{
	static uint8_t buf[QP_STREAM_PAYLOAD];
	if (o->fd < 0 || o->credit == 0)
		return;
	size_t want = o->credit < sizeof buf ? o->credit : sizeof buf;
	ssize_t n = io_read(o->fd, buf, want);
	if (n == -EAGAIN)
		return;
	if (n > 0) {
		qp_put_stream(&hs->stream_q, o->seq, buf, (size_t)n);
		o->credit -= (uint32_t)n;
		return;
	}
	/* 0 at a pipe's EOF; EIO from a pty master once the slave side is gone. */
	if (n < 0 && n != -EIO)
		log_err("read output of seq %llu: %s", (unsigned long long)o->seq, strerror((int)-n));
	stdout_end(hs, p, o);
}

void stdout_close(struct hs *hs, uint64_t seq)
{
	struct proc *p = by_out_seq(hs, seq);
	struct outstream *o = !p ? NULL : seq == p->out.seq ? &p->out : &p->err;
	if (!o || o->fd < 0)
		return; /* ended already (or no such stream): nothing to close */
	log_dbg("seq %llu: the host's reader is gone; closing the stream", (unsigned long long)seq);
	stdout_end(hs, p, o);
	if (p->terminal)
		stdin_drop(hs, p);
}
