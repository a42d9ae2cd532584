/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: hyperstart's setup and the turn of its one event loop (see
 * hyperstart.h; loop.c keeps the epoll set): wait, hand each event to its
 * part, report an exit, flush both ports.
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
	default: {
		int tag = (int)ev->data.u32;
		if (tag < EV_FIXED || tag >= EV_COUNT)
			break;
		struct proc *p = &hs->procs[(tag - EV_FIXED) / IO_COUNT];
		int io = (tag - EV_FIXED) % IO_COUNT;
		if (!p->used)
			break;
		if (io == IO_IN)
			stdin_pump(hs, p);
		else if (io == IO_EXEC)
			proc_exec_result(hs, p);
		else
			stdout_pump(hs, p, io == IO_OUT ? &p->out : &p->err);
	}
	}
}

static void setup(struct hs *hs)
{
	int e;
	if ((e = mount_early()))
		fatal("mount kernel filesystems", -e);
	cmdline_load("/proc/cmdline");
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
	/* Payloads of up to 32 KB (STARTPOD, NEWCONTAINER: a few KB) parse in
	 * place; its pages are touched once, in a template before READY. */
	static struct json_tok ctl_tokens[16384];
	qp_payload_space(ctl_tokens, sizeof ctl_tokens / sizeof *ctl_tokens);
	/* Before READY: a template saved there has it done already. */
	if ((e = net_lo_up()) < 0)
		log_err("bring lo up: %s", strerror(-e));
	struct qerr nerr;
	if (net_early(&nerr) < 0)   /* STARTPOD sets it up again, or fails with the reason */
		log_err("%s", nerr.msg);
	hs->oom_kills_setup = oom_kills();
	if (mount_stage(&nerr) < 0 || mount_root_early(&nerr) < 0) {
		log_err("%s", nerr.msg);
		power_off(NULL);
	}

	struct jw w;
	const char *json;
	size_t len;
	jw_init(&w);
	if (qp_ready_write(&w, boottime_ns()) == 0 && jw_done(&w, &json, &len) == 0)
		ctl_reply(hs, QP_READY, json, len);
	else
		ctl_reply(hs, QP_READY, NULL, 0); /* the host learns no boot time, nothing else */
	jw_free(&w);
	log_dbg("ready");
}

int main(void)
{
	static struct hs hs = { .epfd = -1, .sigfd = -1, .ctl = -1, .stream = -1, .init_ns = -1, .own_ns = -1 };
	for (int tag = 0; tag < EV_COUNT; tag++)
		hs.ev_fd[tag] = -1;
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
