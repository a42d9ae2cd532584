/*
 * main.c: hyperstart's setup and its one event loop (see hyperstart.h).
 *
 * Setup: kernel filesystems, logging level, signals into a signalfd, the
 * two ports, READY. A failure there is logged and powers the VM off: the
 * host then sees qemu exit and reports the console. After setup nothing
 * makes PID 1 exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

static void fatal(const char *what, int e)
{
	log_err("%s: %s", what, strerror(e));
	power_off(NULL);
}

static int fd_of(struct hs *hs, int tag)
{
	switch (tag) {
	case EV_CTL: return hs->ctl;
	case EV_STREAM: return hs->stream;
	case EV_SIGNAL: return hs->sigfd;
	case EV_STDIN: return hs->proc.in_fd;
	case EV_STDOUT: return hs->proc.out.fd;
	default: return hs->proc.err.fd;
	}
}

static uint32_t mask_of(struct hs *hs, int tag)
{
	struct proc *p = &hs->proc;
	switch (tag) {
	case EV_CTL: return EPOLLIN | (qp_queue_len(&hs->ctl_q) ? EPOLLOUT : 0);
	case EV_STREAM: return EPOLLIN | (qp_queue_len(&hs->stream_q) ? EPOLLOUT : 0);
	case EV_SIGNAL: return EPOLLIN;
	case EV_STDIN: return qp_queue_len(&p->in_q) ? EPOLLOUT : 0;
	case EV_STDOUT: return p->out.credit ? EPOLLIN : 0;
	default: return p->err.credit ? EPOLLIN : 0;
	}
}

/* Bring epoll's interest in line with the state: one call per change. */
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

/* Forget an fd in epoll before closing it: a pty master has two fds on one
 * open file, and epoll would keep reporting the closed one. */
void ev_close(struct hs *hs, int tag, int *fd)
{
	if (*fd >= 0 && hs->ev_fd[tag] == *fd) {
		epoll_ctl(hs->epfd, EPOLL_CTL_DEL, *fd, NULL);
		hs->ev_fd[tag] = -1;
		hs->ev_mask[tag] = 0;
	}
	io_close(fd);
}

static void flush(struct hs *hs, struct qp_queue *q, int fd, const char *name)
{
	int r = qp_queue_flush(q, fd);
	if (r < 0)
		log_err("%s: write: %s", name, strerror(-r));
}

static void on_signal(struct hs *hs)
{
	struct signalfd_siginfo si;
	while (io_read(hs->sigfd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGCHLD)
			proc_reap(hs);
}

static void handle(struct hs *hs, const struct epoll_event *ev)
{
	switch (ev->data.u32) {
	case EV_CTL:
		if (ev->events & EPOLLOUT)
			flush(hs, &hs->ctl_q, hs->ctl, "ctl");
		if (ev->events & (EPOLLIN | EPOLLHUP))
			ctl_input(hs);
		break;
	case EV_STREAM:
		if (ev->events & EPOLLOUT)
			flush(hs, &hs->stream_q, hs->stream, "stream");
		if (ev->events & (EPOLLIN | EPOLLHUP))
			stream_input(hs);
		break;
	case EV_SIGNAL:
		on_signal(hs);
		break;
	case EV_STDIN:
		stdin_pump(hs);
		break;
	case EV_STDOUT:
		stdout_pump(hs, &hs->proc.out);
		break;
	case EV_STDERR:
		stdout_pump(hs, &hs->proc.err);
		break;
	}
}

static void setup(struct hs *hs)
{
	int e;
	if ((e = mount_early()))
		fatal("mount kernel filesystems", -e);
	log_init();

	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if ((hs->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("signalfd", errno);

	if ((hs->ctl = port_open(QP_PORT_CTL)) < 0)
		fatal("open control port " QP_PORT_CTL, -hs->ctl);
	if ((hs->stream = port_open(QP_PORT_STREAM)) < 0)
		fatal("open stream port " QP_PORT_STREAM, -hs->stream);
	if (qp_reader_init(&hs->ctl_r, QP_CTL_HDR, QP_CTL_MAX) < 0 ||
	    qp_reader_init(&hs->stream_r, QP_STREAM_HDR, QP_STREAM_HDR + QP_STREAM_PAYLOAD) < 0)
		fatal("allocate channel buffers", ENOMEM);
	if ((hs->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1", errno);

	char ready[64];
	int n = snprintf(ready, sizeof ready, "{\"boottimeNs\":%llu}", (unsigned long long)boottime_ns());
	ctl_reply(hs, QP_READY, ready, (size_t)n);
	log_dbg("ready");
}

int main(void)
{
	static struct hs hs = {
		.epfd = -1, .sigfd = -1, .ctl = -1, .stream = -1,
		.ev_fd = { -1, -1, -1, -1, -1, -1 },
		.proc = { .in_fd = -1, .errpipe = -1, .out.fd = -1, .err.fd = -1 },
	};
	if (getpid() != 1) {
		fprintf(stderr, "hyperstart: this is the init of a qpod VM; it runs only as PID 1\n");
		return 1;
	}
	setup(&hs);
	/* From here on PID 1 must never exit. */
	for (;;) {
		struct epoll_event evs[8];
		ev_update(&hs);
		int n = epoll_wait(hs.epfd, evs, 8, -1);
		if (n < 0 && errno != EINTR)
			log_err("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			handle(&hs, &evs[i]);
		proc_report(&hs);
		flush(&hs, &hs.ctl_q, hs.ctl, "ctl");
		flush(&hs, &hs.stream_q, hs.stream, "stream");
	}
}
