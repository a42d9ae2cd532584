/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.c: the host side's one event loop helper: an epoll set whose
 * interest follows each watched fd's state. A part keeps a struct watch per
 * fd it owns, sets want (0: not watched) before each wait, and loop_sync()
 * brings epoll in line with one call per change; loop_wait() calls each
 * ready watch's on(). Whoever closes a watched fd calls loop_drop() first
 * (epoll would keep reporting an fd whose open file lives on elsewhere).
 * The session (session.c) and a detached VM's monitor (monitor.c) share it.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "io.h"
#include "session.h"

int loop_open(struct loop *l, struct qerr *err)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? qerr_sys(err, errno, "epoll_create1") : 0;
}

void loop_close(struct loop *l)
{
	io_close(&l->epfd);
}

void loop_sync(struct loop *l, struct watch *w)
{
	uint32_t want = w->fd >= 0 ? w->want : 0;
	struct epoll_event ev = { .events = want, .data.ptr = w };
	if (w->in && (!want || w->in_fd != w->fd)) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->in_fd, NULL);
		w->in = false;
	}
	if (!want)
		return;
	if (!w->in) {
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) == 0) {
			w->in = true;
			w->in_fd = w->fd;
			w->cur = want;
		}
	} else if (want != w->cur && epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) == 0) {
		w->cur = want;
	}
}

void loop_drop(struct loop *l, struct watch *w)
{
	if (w->in)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->in_fd, NULL);
	w->in = false;
	w->want = 0;
}

int loop_wait(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(l->epfd, evs, 16, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	/* A callback may drop a later watch of this batch: it is then skipped. */
	for (int i = 0; i < n; i++)
		((struct watch *)evs[i].data.ptr)->ready = evs[i].events;
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		uint32_t ev = w->ready;
		w->ready = 0;
		if (ev && w->in && w->on)
			w->on(w, ev);
	}
	return n;
}
