/*
 * session.c: one VM's conversation with hyperstart: its phases and the
 * one event loop that drives them and the stdio relay (relay.c).
 *
 *   boot     wait for READY                       (deadline: boot_timeout)
 *   version  GETVERSION -> ACK u32                 (each reply: boot_timeout)
 *   pod      STARTPOD -> ACK                       (all three are sent at READY:
 *   start    NEWCONTAINER -> ACK                    replies come in order)
 *            stdin flows only after the last ACK
 *   running  streams both ways; signals -> SIGNALPROCESS, SIGWINCH -> WINSIZE
 *            (deadline: --timeout, then the VM is killed: exit 124)
 *   destroy  exit event + EOF on every output stream -> DESTROYPOD, wait for
 *            qemu to exit                          (deadline: shutdown_timeout)
 *
 * Everything happens in one epoll loop: the two ports, a signalfd, the
 * host's stdin/stdout/stderr. Every wait has a deadline; no sleeps. When a
 * reader of our stdout or stderr goes away (EPIPE), CLOSEOUTPUT tells the
 * guest, and the command meets the closed pipe as it would locally.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "runner.h"

enum phase { PH_BOOT, PH_VERSION, PH_POD, PH_START, PH_RUNNING, PH_DESTROY };
enum { EV_SIG, EV_CTL, EV_STREAM, EV_STDIN, EV_STDOUT, EV_STDERR, EV_COUNT };

#define MAX_PENDING 32

struct sess {
	const struct session_spec *s;
	struct session_result *res;
	struct qerr *err;
	int epfd, sigfd;
	int ev_fd[EV_COUNT];
	uint32_t ev_mask[EV_COUNT];
	struct qp_reader ctl_r, st_r;
	struct qp_queue ctl_q;
	uint32_t pending[MAX_PENDING];
	int npending;
	enum phase ph;
	double deadline;      /* of the current phase; 0: none */
	double stop_at;       /* --timeout; 0: none */
	struct relay relay;
	bool exit_seen, qemu_gone;
	int qemu_status;
	int rc;               /* 0 while going; else the failure (negative errno) */
};

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(struct sess *s, int errnum, const char *fmt, const char *arg)
{
	if (!s->rc)
		s->rc = qerr_set(s->err, errnum, fmt, arg);
	return s->rc;
}

/* ---- sending ------------------------------------------------------------- */

static void send_ctl(struct sess *s, uint32_t type, const void *payload, size_t n)
{
	if (s->npending >= MAX_PENDING) {
		fail(s, EPROTO, "%s", "too many requests without a reply from the guest");
		return;
	}
	if (qp_put_ctl(&s->ctl_q, type, payload, n) < 0) {
		fail(s, ENOMEM, "cannot queue %s", qp_type_name(type));
		return;
	}
	s->pending[s->npending++] = type;
}

static void send_json(struct sess *s, uint32_t type, struct jw *w)
{
	const char *json;
	size_t len;
	if (jw_done(w, &json, &len) < 0)
		fail(s, ENOMEM, "cannot encode %s", qp_type_name(type));
	else
		send_ctl(s, type, json, len);
	jw_free(w);
}

static void send_winsize(struct sess *s)
{
	uint16_t rows, cols;
	struct jw w;
	if (tty_size(&rows, &cols) < 0)
		return;
	jw_init(&w);
	qp_winsize_write(&w, "init", rows, cols);
	send_json(s, QP_WINSIZE, &w);
}

static void send_signal(struct sess *s, int sig)
{
	struct jw w;
	jw_init(&w);
	qp_signal_write(&w, "init", sig);
	send_json(s, QP_SIGNALPROCESS, &w);
}

static void send_closeoutput(struct sess *s, uint64_t seq)
{
	struct jw w;
	jw_init(&w);
	qp_closeoutput_write(&w, seq);
	send_json(s, QP_CLOSEOUTPUT, &w);
}

static void phase(struct sess *s, enum phase ph, double timeout)
{
	s->ph = ph;
	s->deadline = timeout > 0 ? now_s() + timeout : 0;
}

/* ---- control messages ------------------------------------------------------ */

static void on_reply(struct sess *s, const struct qp_frame *f)
{
	if (!s->npending) {
		fail(s, EPROTO, "the guest sent %s without a request", qp_type_name((uint32_t)f->id));
		return;
	}
	uint32_t req = s->pending[0];
	memmove(s->pending, s->pending + 1, (size_t)--s->npending * sizeof *s->pending);
	if (f->id == QP_ERROR) {
		char msg[QERR_MSG_MAX];
		qp_error_read(f->data, f->len, msg, sizeof msg);
		if (req == QP_WINSIZE || req == QP_SIGNALPROCESS || req == QP_CLOSEOUTPUT)
			return; /* the process may have just ended: nothing to do */
		if (!s->rc)
			s->rc = qerr_set(s->err, EPROTO, "the guest refused %s: %s", qp_type_name(req),
					 *msg ? msg : "no reason given");
		return;
	}
	switch (req) {
	case QP_GETVERSION: {
		uint32_t v = f->len >= 4 ? qp_be32(f->data) : 0;
		if (v < QP_VERSION_MIN) {
			char m[64];
			snprintf(m, sizeof m, "%u", v);
			fail(s, EPROTO, "the guest speaks protocol %s, older than this runner's; rebuild "
			     "the images with `make image`", m);
			return;
		}
		phase(s, PH_POD, s->s->set->boot_timeout);
		break;
	}
	case QP_STARTPOD:
		phase(s, PH_START, s->s->set->boot_timeout);
		break;
	case QP_NEWCONTAINER:
		phase(s, PH_RUNNING, 0);
		s->relay.in_open = true; /* stdin flows only now */
		s->res->t.started = now_s();
		break;
	default:
		break;
	}
}

static void on_ctl(struct sess *s, const struct qp_frame *f)
{
	switch (f->id) {
	case QP_READY: {
		if (s->ph != PH_BOOT)
			return;
		uint64_t boot_ns;
		uint8_t v[4];
		struct jw w;
		s->res->t.ready = now_s();
		qp_ready_read(f->data, f->len, &boot_ns);
		s->res->t.guest_boot = (double)boot_ns / 1e9;
		/* The guest answers in order, so the whole start goes out at once:
		 * a bad version still fails at the first reply. */
		qp_put_be32(v, QP_VERSION);
		send_ctl(s, QP_GETVERSION, v, sizeof v);
		jw_init(&w);
		qp_pod_write(&w, s->s->pod);
		send_json(s, QP_STARTPOD, &w);
		jw_init(&w);
		qp_container_write(&w, s->s->container);
		send_json(s, QP_NEWCONTAINER, &w);
		phase(s, PH_VERSION, s->s->set->boot_timeout);
		break;
	}
	case QP_ACK:
	case QP_ERROR:
		on_reply(s, f);
		break;
	case QP_PROCESSASYNCEVENT: {
		struct qerr e;
		if (qp_exit_read(f->data, f->len, &s->res->exit, &e) < 0) {
			fail(s, EPROTO, "bad exit event from the guest: %s", e.msg);
			return;
		}
		s->exit_seen = true;
		s->res->have_exit = true;
		s->res->t.exited = now_s();
		break;
	}
	default:
		break; /* a newer guest may say more; nothing here needs it */
	}
}

/* ---- the loop ---------------------------------------------------------------- */

/* Drain a port: complete frames first, then one read; until it would block. */
static void port_input(struct sess *s, int fd, struct qp_reader *r, bool ctl)
{
	for (;;) {
		struct qp_frame f;
		int k;
		while (!s->rc && (k = qp_reader_next(r, &f)) != 0) {
			if (k < 0) {
				fail(s, EPROTO, "bad frame on the %s port", ctl ? "control" : "stream");
				return;
			}
			if (ctl)
				on_ctl(s, &f);
			else if ((k = relay_frame(&s->relay, &f, now_s(), s->err)) < 0)
				s->rc = k;
		}
		ssize_t n = qp_reader_fill(r, fd);
		if (n <= 0) {
			if (n == 0 && s->ev_fd[ctl ? EV_CTL : EV_STREAM] >= 0) {
				/* qemu closed the port: it is exiting; SIGCHLD tells us how. */
				epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
				s->ev_fd[ctl ? EV_CTL : EV_STREAM] = -2;
			}
			return;
		}
	}
}

static int ev_fd_of(struct sess *s, int tag)
{
	switch (tag) {
	case EV_SIG: return s->sigfd;
	case EV_CTL: return s->s->vm->ctl;
	case EV_STREAM: return s->s->vm->stream;
	case EV_STDIN: return s->relay.in.pollable ? s->relay.in.fd : -1;
	case EV_STDOUT: return s->relay.out.io.pollable ? s->relay.out.io.fd : -1;
	default: return s->relay.err.io.pollable ? s->relay.err.io.fd : -1;
	}
}

static uint32_t ev_want(struct sess *s, int tag)
{
	switch (tag) {
	case EV_SIG: return EPOLLIN;
	case EV_CTL: return EPOLLIN | (qp_queue_len(&s->ctl_q) ? EPOLLOUT : 0);
	case EV_STREAM: return EPOLLIN | (qp_queue_len(&s->relay.tx) ? EPOLLOUT : 0);
	case EV_STDIN: return relay_wants_stdin(&s->relay) ? EPOLLIN : 0;
	case EV_STDOUT: return relay_sink_pending(&s->relay.out) ? EPOLLOUT : 0;
	default: return relay_sink_pending(&s->relay.err) ? EPOLLOUT : 0;
	}
}

static void ev_update(struct sess *s)
{
	for (int tag = 0; tag < EV_COUNT; tag++) {
		if (s->ev_fd[tag] == -2)
			continue; /* a port qemu closed */
		int fd = ev_fd_of(s, tag);
		uint32_t want = fd >= 0 ? ev_want(s, tag) : 0;
		struct epoll_event ev = { .events = want, .data.u32 = (uint32_t)tag };
		int op = s->ev_fd[tag] >= 0 ? (want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL) : want ? EPOLL_CTL_ADD : 0;
		if (!op || (op == EPOLL_CTL_MOD && want == s->ev_mask[tag]))
			continue;
		epoll_ctl(s->epfd, op, op == EPOLL_CTL_DEL ? s->ev_fd[tag] : fd, &ev);
		s->ev_fd[tag] = want ? fd : -1;
		s->ev_mask[tag] = want;
	}
}

static void on_signal(struct sess *s)
{
	struct signalfd_siginfo si;
	while (io_read(s->sigfd, &si, sizeof si) == sizeof si) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			int st;
			struct rusage ru;
			if (wait4(s->s->vm->pid, &st, WNOHANG, &ru) == s->s->vm->pid) {
				s->res->qemu_maxrss_kb = ru.ru_maxrss;
				s->qemu_gone = true;
				s->qemu_status = st;
				s->s->vm->pid = -1;
				s->res->t.vm_gone = now_s();
			}
		} else if (sig == SIGWINCH) {
			if (s->s->tty && s->ph == PH_RUNNING)
				send_winsize(s);
		} else if (s->ph == PH_RUNNING) {
			send_signal(s, sig);
		} else if (s->ph < PH_RUNNING && !s->rc) {
			/* Nothing runs yet: stop here, as the shell would, with 128+N. */
			s->res->status = 128 + sig;
			s->rc = qerr_set(s->err, EINTR, "interrupted by signal %d before the command started", sig);
		}
	}
}

static void handle(struct sess *s, const struct epoll_event *ev)
{
	struct vm *vm = s->s->vm;
	switch (ev->data.u32) {
	case EV_SIG:
		on_signal(s);
		break;
	case EV_CTL:
		if (ev->events & EPOLLOUT && qp_queue_flush(&s->ctl_q, vm->ctl) < 0)
			fail(s, EIO, "%s", "write to the control port failed");
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			port_input(s, vm->ctl, &s->ctl_r, true);
		break;
	case EV_STREAM:
		if (ev->events & EPOLLOUT && qp_queue_flush(&s->relay.tx, vm->stream) < 0)
			fail(s, EIO, "%s", "write to the stream port failed");
		if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			port_input(s, vm->stream, &s->st_r, false);
		break;
	case EV_STDIN:
		relay_stdin(&s->relay);
		break;
	case EV_STDOUT:
		relay_flush(&s->relay, &s->relay.out);
		break;
	case EV_STDERR:
		relay_flush(&s->relay, &s->relay.err);
		break;
	}
}

/* Advance the phases that do not wait for a message. 1: the loop is over. */
static int step(struct sess *s)
{
	if (s->rc)
		return 1;
	/* A reader of ours went away: the guest closes that stream too. */
	for (uint64_t seq; s->ph < PH_DESTROY && (seq = relay_gone(&s->relay));)
		send_closeoutput(s, seq);
	if (s->ph == PH_RUNNING && s->exit_seen && relay_done(&s->relay)) {
		send_ctl(s, QP_DESTROYPOD, NULL, 0);
		phase(s, PH_DESTROY, s->s->set->shutdown_timeout);
	}
	if (s->qemu_gone) {
		if (s->ph == PH_DESTROY || (s->exit_seen && relay_done(&s->relay)))
			return 1;
		if (WIFSIGNALED(s->qemu_status))
			fail(s, EIO, "qemu was killed by signal %s before the command finished",
			     strsignal(WTERMSIG(s->qemu_status)));
		else if (WEXITSTATUS(s->qemu_status))
			fail(s, EIO, "%s", "qemu failed (its own message follows)");
		else
			fail(s, EIO, "the VM stopped %s", s->ph == PH_BOOT ? "before hyperstart was ready"
			     : "before the command finished");
		return 1;
	}
	double t = now_s();
	if (s->stop_at && t >= s->stop_at) {
		s->res->timed_out = true;
		fail(s, ETIMEDOUT, "%s", "timed out");
		return 1;
	}
	if (s->deadline && t >= s->deadline) {
		static const char *const what[] = { "the guest did not become ready",
			"no reply to GETVERSION", "no reply to STARTPOD", "no reply to NEWCONTAINER", "",
			"the guest did not power off" };
		if (s->ph == PH_DESTROY)
			return 1; /* the command's result is in; qemu gets killed */
		fail(s, ETIMEDOUT, "%s in time (see boot_timeout in vm.conf)", what[s->ph]);
		return 1;
	}
	return 0;
}

static int wait_ms(struct sess *s)
{
	double t = now_s(), next = 0;
	if (s->deadline)
		next = s->deadline;
	if (s->stop_at && (!next || s->stop_at < next))
		next = s->stop_at;
	if (!s->relay.in.pollable && relay_wants_stdin(&s->relay))
		return 0;
	if (!next)
		return -1;
	return next <= t ? 0 : (int)ceil((next - t) * 1000);
}

/* The signals the loop takes (forwarded, or SIGCHLD/SIGWINCH). main blocks
 * them before qemu starts, so none is lost between fork and the signalfd. */
void session_signals(sigset_t *set, bool proxy)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	sigemptyset(set);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGCHLD);
	for (size_t i = 0; proxy && i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(set, sigs[i]);
}

static int setup(struct sess *s)
{
	sigset_t set;
	relay_open(&s->relay, s->s->interactive, s->s->tty); /* first: teardown restores its fds */
	session_signals(&set, s->s->sig_proxy);
	if ((s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return qerr_sys(s->err, errno, "set up the event loop");
	if (qp_reader_init(&s->ctl_r, QP_CTL_HDR, QP_CTL_MAX) < 0 ||
	    qp_reader_init(&s->st_r, QP_STREAM_HDR, QP_STREAM_HDR + QP_STREAM_PAYLOAD) < 0)
		return qerr_set(s->err, ENOMEM, "out of memory");
	io_nonblock(s->s->vm->ctl, 1);
	io_nonblock(s->s->vm->stream, 1);
	return 0;
}

static void teardown(struct sess *s)
{
	relay_close(&s->relay);
	qp_reader_free(&s->ctl_r);
	qp_reader_free(&s->st_r);
	qp_queue_free(&s->ctl_q);
	io_close(&s->epfd);
	io_close(&s->sigfd);
}

int session_run(const struct session_spec *spec, struct session_result *res, struct qerr *err)
{
	struct sess s = {
		.s = spec, .res = res, .err = err, .epfd = -1, .sigfd = -1,
		.ev_fd = { -1, -1, -1, -1, -1, -1 },
	};
	phase(&s, PH_BOOT, spec->set->boot_timeout);
	if (spec->set->timeout > 0)
		s.stop_at = res->t.qemu_start + spec->set->timeout; /* like timeout(1): the whole run */
	s.rc = setup(&s);
	while (!step(&s)) {
		struct epoll_event evs[8];
		ev_update(&s);
		int n = epoll_wait(s.epfd, evs, 8, wait_ms(&s));
		if (n < 0 && errno != EINTR) {
			fail(&s, errno, "%s", "epoll_wait failed");
			break;
		}
		for (int i = 0; i < n && !s.rc; i++)
			handle(&s, &evs[i]);
		relay_poll_free(&s.relay);
		if (qp_queue_len(&s.ctl_q) && qp_queue_flush(&s.ctl_q, spec->vm->ctl) < 0 && !s.qemu_gone)
			fail(&s, EIO, "%s", "write to the control port failed");
		if (qp_queue_len(&s.relay.tx))
			qp_queue_flush(&s.relay.tx, spec->vm->stream);
	}
	if (!s.rc)
		res->status = res->exit.status;
	res->t.first_output = s.relay.first_output;
	teardown(&s);
	return s.rc;
}
