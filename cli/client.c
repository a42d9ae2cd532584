/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.c: how a qpod command reaches a VM: find it (name, id or id
 * prefix; state.c), connect to its monitor's socket (ctlmsg.c), send one
 * request and read the replies (ctlreq.c). A VM whose monitor is gone has
 * no socket: the caller is told, never left waiting.
 *
 * Exit codes, as docker's CLI gives them: 1 for what docker's daemon would
 * refuse (no such VM, not running, paused, running: stop it first), 125
 * for qpod's own failures (a monitor that does not answer, I/O) and for
 * bad flags.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "runner.h"

int client_find(const char *ref, struct vm_ref *v)
{
	struct qerr err;
	if (state_find(ref, v->dir, sizeof v->dir, &v->st, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return err.code == ENOENT ? -ENOENT : -EIO;
	}
	return 0;
}

int client_connect(struct vm_ref *v)
{
	struct qerr err;
	if (!state_alive(v->dir)) {
		fprintf(stderr, "qpod: %s is not running\n", v->st.name);
		return -ESRCH;
	}
	int fd = ctl_connect(v->dir, &err);
	if (fd < 0)
		fprintf(stderr, "qpod: %s: %s\n", v->st.name, err.msg);
	return fd;
}

/* The next reply into r (its text in buf), within timeout_ms (-1: no
 * limit); -ETIMEDOUT, or -EPIPE when the monitor went away. */
int client_reply(int fd, struct ctl_rep *r, char *buf, size_t cap, int timeout_ms)
{
	int fds[3];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int k = poll(&p, 1, timeout_ms);
	if (k == 0)
		return -ETIMEDOUT;
	ssize_t n = ctl_recv(fd, buf, cap, fds);
	for (int i = 0; i < 3; i++)
		io_close(&fds[i]);
	if (n <= 0)
		return n == 0 ? -EPIPE : (int)n;
	return ctl_rep_read(buf, (size_t)n, r);
}

int client_ask(struct vm_ref *v, const struct ctl_req *req, int timeout_ms, struct ctl_rep *r)
{
	static char buf[CTL_MSG_MAX + 1];
	int fd = client_connect(v);
	if (fd < 0)
		return fd == -ESRCH ? CLIENT_REFUSED : EXIT_QPOD;
	int e = ctl_req_send(fd, req, NULL, 0);
	if (!e)
		e = client_reply(fd, r, buf, sizeof buf, timeout_ms);
	close(fd);
	if (e == -EPIPE) {
		r->ev = CEV_EXIT; /* the monitor ended as asked: the state says how */
		r->exit.status = -1;
		return 0;
	}
	if (e) {
		fprintf(stderr, "qpod: %s: %s\n", v->st.name, e == -ETIMEDOUT ? "no answer in time" : strerror(-e));
		return EXIT_QPOD;
	}
	if (r->ev == CEV_ERROR) {
		fprintf(stderr, "qpod: %s\n", r->message);
		return CLIENT_REFUSED;
	}
	return 0;
}
