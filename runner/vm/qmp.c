/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qmp.c: qemu's machine protocol on a VM's monitor socketpair (vm.qmp),
 * just what templates need: send a command (with an fd beside it, for
 * getfd), and read qemu's messages one line at a time, each read with a
 * deadline. A message is a reply ("return", or "error" with qemu's
 * description), an event (its name and data.status), or the greeting.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "vm.h"

int qmp_send(int fd, const char *line, int pass_fd, struct qerr *err)
{
	struct iovec iov = { .iov_base = (void *)line, .iov_len = strlen(line) };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd >= 0) {
		memset(&c, 0, sizeof c);
		m.msg_control = c.buf;
		m.msg_controllen = sizeof c.buf;
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &pass_fd, sizeof(int));
	}
	/* A line is far below the socket buffer: one sendmsg takes it whole. */
	ssize_t n;
	while ((n = sendmsg(fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)iov.iov_len)
		return qerr_sys(err, n < 0 ? errno : EIO, "qemu's monitor");
	return 0;
}

static void msg_parse(struct qmp_msg *m, const char *line, size_t n)
{
	struct json j;
	*m = (struct qmp_msg){ .kind = QMP_OTHER };
	if (json_parse_alloc(&j, line, n) < 0)
		return;
	int v;
	if (json_get(&j, 0, "return") >= 0) {
		m->kind = QMP_RETURN;
	} else if ((v = json_get(&j, 0, "error")) >= 0) {
		m->kind = QMP_ERROR;
		json_str(&j, json_get(&j, v, "desc"), m->text, sizeof m->text);
	} else if ((v = json_get(&j, 0, "event")) >= 0) {
		m->kind = QMP_EVENT;
		json_str(&j, v, m->event, sizeof m->event);
		json_str(&j, json_get(&j, json_get(&j, 0, "data"), "status"), m->text, sizeof m->text);
	} else if (json_get(&j, 0, "QMP") >= 0) {
		m->kind = QMP_GREETING;
	}
	json_free(&j);
}

int qmp_next(struct qmp *q, double deadline, struct qmp_msg *m, struct qerr *err)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			size_t n = (size_t)(nl - q->buf);
			msg_parse(m, q->buf, n);
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			return 0;
		}
		if (q->len == sizeof q->buf)
			return qerr_set(err, EPROTO, "qemu's monitor sent a line over %zu bytes", sizeof q->buf);
		double left = deadline - now_s();
		if (left <= 0)
			return qerr_set(err, ETIMEDOUT, "qemu's monitor did not answer in time");
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		int k = poll(&p, 1, (int)(left * 1000) + 1);
		if (k < 0 && errno != EINTR)
			return qerr_sys(err, errno, "poll qemu's monitor");
		if (k <= 0)
			continue;
		ssize_t r = read(q->fd, q->buf + q->len, sizeof q->buf - q->len);
		if (r == 0)
			return qerr_set(err, EPIPE, "qemu closed its monitor (it exited)");
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			return qerr_sys(err, errno, "read qemu's monitor");
		if (r > 0)
			q->len += (size_t)r;
	}
}

int qmp_reply(struct qmp *q, double deadline, struct qerr *err)
{
	struct qmp_msg m;
	for (;;) {
		int e = qmp_next(q, deadline, &m, err);
		if (e)
			return e;
		if (m.kind == QMP_RETURN)
			return 0;
		if (m.kind == QMP_ERROR)
			return qerr_set(err, EIO, "qemu: %s", m.text);
	}
}

int qmp_call(struct qmp *q, const char *line, int pass_fd, double deadline, struct qerr *err)
{
	int e = qmp_send(q->fd, line, pass_fd, err);
	return e ? e : qmp_reply(q, deadline, err);
}
