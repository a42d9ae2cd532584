/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner_ctl.c: fuzz both readers of a detached VM's control socket
 * (runner/detached/ctlreq.c): the monitor's of requests, ctl_req_read, and
 * the client's of replies, ctl_rep_read. What either accepts is written
 * again with its writer (ctl_req_send, ctl_rep_send) through a
 * SOCK_SEQPACKET pair, as the socket carries it, and must read back the
 * same: the pairs agree on every field the writer sends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "detached/detached.h"

static char msg[CTL_MSG_MAX + 1];

/* One written message back through the pair: its length, or -1. */
static ssize_t pass(int sv[2])
{
	int fds[3];
	ssize_t n = ctl_recv(sv[1], msg, sizeof msg, fds);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return n;
}

static char *process_json(const struct qp_process *p)
{
	struct jw w;
	const char *json;
	size_t len;
	char *s = NULL;
	jw_init(&w);
	qp_process_write(&w, p);
	if (jw_done(&w, &json, &len) == 0)
		s = strndup(json, len);
	jw_free(&w);
	return s;
}

static void request(int sv[2], const char *buf, size_t n)
{
	struct ctl_req r, back;
	struct qp_process p = { 0 }, bp = { 0 };
	struct qerr err;
	if (ctl_req_read(buf, n, &r, &p, &err) < 0)
		return; /* an exec's process, if any, was freed by its reader */
	r.exec = r.op == CTL_EXEC ? &p : NULL;
	ssize_t k = ctl_req_send(sv[0], &r, NULL, 0) < 0 ? -1 : pass(sv);
	if (k >= 0) {
		if (ctl_req_read(msg, (size_t)k, &back, &bp, &err) < 0)
			abort(); /* what we write, we must read */
		double t = r.timeout >= 0 && (r.op == CTL_STOP || r.op == CTL_RESTART) ? (double)(int64_t)r.timeout : -1;
		if (back.op != r.op || back.signal != r.signal || back.timeout != t)
			abort();
		if (r.op == CTL_WINSIZE && (back.rows != r.rows || back.cols != r.cols))
			abort();
		if (r.op == CTL_EXEC) {
			char *a = process_json(&p), *b = process_json(&bp);
			if (back.detach != r.detach || !a || !b || strcmp(a, b))
				abort();
			free(a);
			free(b);
			qp_process_free(&bp);
		}
	}
	if (r.op == CTL_EXEC)
		qp_process_free(&p);
}

static void reply(int sv[2], const char *buf, size_t n)
{
	static char copy[CTL_MSG_MAX + 1], text[CTL_MSG_MAX + 1];
	struct ctl_rep r, back;
	memcpy(copy, buf, n); /* the reader ends top's text in place */
	copy[n] = '\0';
	if (ctl_rep_read(copy, n, &r) < 0)
		return;
	if (r.top)
		snprintf(text, sizeof text, "%s", r.top);
	ssize_t k = ctl_rep_send(sv[0], &r) < 0 ? -1 : pass(sv);
	if (k < 0)
		return;
	if (ctl_rep_read(msg, (size_t)k, &back) < 0)
		abort();
	if (back.ev != r.ev || strcmp(back.message, r.message))
		abort();
	if (r.ev == CEV_EXIT && (back.exit.status != r.exit.status || back.exit.signal != r.exit.signal ||
				 back.exit.oom != r.exit.oom || strcmp(back.exit.error, r.exit.error)))
		abort();
	if (r.top && (!back.top || strcmp(back.top, text)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sv[2] = { -1, -1 };
	static char buf[CTL_MSG_MAX + 1];
	if (size >= CTL_MSG_MAX)
		return 0; /* ctl_recv takes no more */
	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0'; /* as ctl_recv gives it */
	request(sv, buf, size);
	reply(sv, buf, size);
	return 0;
}
