/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.c: the epoll set of hyperstart's one event loop (see hyperstart.h).
 *
 * Every fd the loop watches has a tag (EV_*; four per process slot). Nobody calls epoll_ctl but
 * this file: the parts change state (queues, credit, fds), and ev_update()
 * brings epoll's interest in line with it once per turn of the loop, one
 * call per change. ev_close() is how a part closes a watched fd.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "hyperstart.h"
#include "io.h"

static int fd_of(struct hs *hs, int tag)
{
	switch (tag) {
	case EV_CTL: return hs->ctl;
	case EV_STREAM: return hs->stream;
	case EV_SIGNAL: return hs->sigfd;
	}
	struct proc *p = &hs->procs[(tag - EV_FIXED) / IO_COUNT];
	if (!p->used)
		return -1;
	switch ((tag - EV_FIXED) % IO_COUNT) {
	case IO_IN: return p->in_fd;
	case IO_OUT: return p->out.fd;
	case IO_ERR: return p->err.fd;
	default: return p->exec_known ? -1 : p->errpipe;
	}
}

static uint32_t mask_of(struct hs *hs, int tag)
{
	switch (tag) {
	case EV_CTL: return EPOLLIN | (qp_queue_len(&hs->ctl_q) ? EPOLLOUT : 0);
	case EV_STREAM: return EPOLLIN | (qp_queue_len(&hs->stream_q) ? EPOLLOUT : 0);
	case EV_SIGNAL: return EPOLLIN;
	}
	struct proc *p = &hs->procs[(tag - EV_FIXED) / IO_COUNT];
	switch ((tag - EV_FIXED) % IO_COUNT) {
	case IO_IN: return qp_queue_len(&p->in_q) ? EPOLLOUT : 0;
	case IO_OUT: return p->out.credit ? EPOLLIN : 0;
	case IO_ERR: return p->err.credit ? EPOLLIN : 0;
	default: return EPOLLIN;
	}
}

void ev_update(struct hs *hs)
{
	for (int tag = 0; tag < EV_COUNT; tag++) {
		int fd = fd_of(hs, tag);
		uint32_t want = fd >= 0 ? mask_of(hs, tag) : 0;
		struct epoll_event ev = { .events = want, .data.u32 = (uint32_t)tag };
		int op = -1;
		if (hs->ev_fd[tag] >= 0 && !want)
			op = EPOLL_CTL_DEL;
		else if (hs->ev_fd[tag] < 0 && want)
			op = EPOLL_CTL_ADD;
		else if (want && want != hs->ev_mask[tag])
			op = EPOLL_CTL_MOD;
		if (op < 0)
			continue;
		if (epoll_ctl(hs->epfd, op, op == EPOLL_CTL_DEL ? hs->ev_fd[tag] : fd, &ev) < 0)
			log_err("epoll_ctl %d on fd %d: %s", op, fd, strerror(errno));
		hs->ev_fd[tag] = want ? fd : -1;
		hs->ev_mask[tag] = want;
	}
}

/* A pty master has two fds on one open file, and epoll would keep
 * reporting the closed one: forget it in epoll first. */
void ev_close(struct hs *hs, int tag, int *fd)
{
	if (*fd >= 0 && hs->ev_fd[tag] == *fd) {
		epoll_ctl(hs->epfd, EPOLL_CTL_DEL, *fd, NULL);
		hs->ev_fd[tag] = -1;
		hs->ev_mask[tag] = 0;
	}
	io_close(fd);
}
