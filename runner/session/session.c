/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.c: one VM's conversation with hyperstart: its phases, its
 * processes, and the one event loop (loop.c) that drives them, their stdio
 * relays (relay.c) and whatever the owner adds (a detached VM's monitor
 * adds its control socket).
 *
 *   boot     wait for READY                       (deadline: boot_timeout)
 *   version  GETVERSION -> ACK u32                 (each reply: boot_timeout)
 *   pod      STARTPOD -> ACK                       (all three are sent at READY:
 *   start    NEWCONTAINER -> ACK                    replies come in order)
 *            A VM restored from a template has answered RESUME already
 *            (template.c): STARTPOD and NEWCONTAINER go at once. A cold
 *            boot that saves a template sends RESUME (host entropy: the
 *            template's CRNG is ready) and GETVERSION, saves at the
 *            latter's ACK (the guest is idle, nothing mounted), then the rest.
 *            the command's stdin flows only after the last ACK
 *   running  streams both ways; EXECCMD adds processes; signals go to
 *            SIGNALPROCESS, SIGWINCH to WINSIZE; an owner's requests (TOP)
 *            get their answer through a hook (deadline: --timeout, then
 *            the VM is killed: exit 124)
 *   destroy  once the command has ended (and its owner lets the VM go) and
 *            every process's output is out: DESTROYPOD (the guest kills
 *            what is left, syncs, reboots), wait for qemu to exit
 *                                                 (deadline: shutdown_timeout)
 *            A VM without a writable volume holds nothing the host would
 *            lose (the root's writes are the guest's tmpfs): qemu is killed
 *            at once, and the guest's shutdown is not paid for.
 *
 * A process is a slot of procs[]: the command is "init", each exec has an
 * id and stream seqs of its own. A stop (session_stop: SIGTERM under a
 * supervisor, `qpod stop`) sends the stop signal, then after the stop
 * timeout SIGKILL (KILLCONTAINER). Every wait has a deadline; no sleeps.
 * When a reader of an output goes away (EPIPE), CLOSEOUTPUT tells the
 * guest, and the process meets the closed pipe as it would locally.
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
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "session.h"

static int fail(struct session *s, int errnum, const char *fmt, const char *arg)
{
	if (!s->rc)
		s->rc = qerr_set(s->err, errnum, fmt, arg);
	return s->rc;
}

/* ---- sending ------------------------------------------------------------- */

static void send_ctl(struct session *s, uint32_t type, const void *payload, size_t n, int slot)
{
	if (s->npending >= SESSION_MAX_PENDING) {
		fail(s, EPROTO, "%s", "too many requests without a reply from the guest");
		return;
	}
	if (qp_put_ctl(&s->ctl_q, type, payload, n) < 0) {
		fail(s, ENOMEM, "cannot queue %s", qp_type_name(type));
		return;
	}
	s->pending[s->npending].type = type;
	s->pending[s->npending++].slot = slot;
}

static void send_json(struct session *s, uint32_t type, struct jw *w, int slot)
{
	const char *json;
	size_t len;
	if (jw_done(w, &json, &len) < 0)
		fail(s, ENOMEM, "cannot encode %s", qp_type_name(type));
	else
		send_ctl(s, type, json, len, slot);
	jw_free(w);
}

void session_winsize(struct session *s, const char *id, uint16_t rows, uint16_t cols)
{
	struct jw w;
	jw_init(&w);
	qp_winsize_write(&w, id, rows, cols);
	send_json(s, QP_WINSIZE, &w, -1);
}

void session_signal(struct session *s, const char *id, int sig)
{
	struct jw w;
	jw_init(&w);
	qp_signal_write(&w, id, sig);
	send_json(s, sig == SIGKILL && !strcmp(id, "init") ? QP_KILLCONTAINER : QP_SIGNALPROCESS, &w, -1);
}

static void send_closeoutput(struct session *s, uint64_t seq)
{
	struct jw w;
	jw_init(&w);
	qp_closeoutput_write(&w, seq);
	send_json(s, QP_CLOSEOUTPUT, &w, -1);
}

static void phase(struct session *s, enum session_phase ph, double timeout)
{
	s->ph = ph;
	s->deadline = timeout > 0 ? now_s() + timeout : 0;
}

/* ---- processes ------------------------------------------------------------ */

struct sproc *session_proc(struct session *s, const char *id)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (s->procs[i].used && !strcmp(s->procs[i].id, id))
			return &s->procs[i];
	return NULL;
}

static void watch_init(struct watch *w, void (*on)(struct watch *, uint32_t), void *ctx)
{
	*w = (struct watch){ .fd = -1, .on = on, .ctx = ctx };
}

static void on_proc_in(struct watch *w, uint32_t ev)
{
	relay_stdin(&((struct sproc *)w->ctx)->relay);
}

static void on_proc_out(struct watch *w, uint32_t ev)
{
	struct sproc *p = w->ctx;
	relay_flush(&p->relay, w == &p->w_out ? &p->relay.out : &p->relay.err);
}

/* A slot for a process, its relay open on rs. */
static struct sproc *proc_add(struct session *s, const char *id, const struct relay_spec *rs, void *owner)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++) {
		struct sproc *p = &s->procs[i];
		if (p->used)
			continue;
		*p = (struct sproc){ .used = true, .owner = owner };
		snprintf(p->id, sizeof p->id, "%s", id);
		relay_open(&p->relay, &s->tx, rs);
		watch_init(&p->w_in, on_proc_in, p);
		watch_init(&p->w_out, on_proc_out, p);
		watch_init(&p->w_err, on_proc_out, p);
		return p;
	}
	return NULL;
}

static void proc_free(struct session *s, struct sproc *p)
{
	loop_drop(&s->loop, &p->w_in);
	loop_drop(&s->loop, &p->w_out);
	loop_drop(&s->loop, &p->w_err);
	relay_close(&p->relay);
	p->used = false;
}

int session_exec(struct session *s, const struct qp_process *spec, const struct relay_spec *rs, void *owner,
		 struct qerr *err)
{
	if (s->ph != PH_RUNNING || s->destroying)
		return qerr_set(err, ESRCH, "the VM is not running");
	if (session_proc(s, spec->id))
		return qerr_set(err, EEXIST, "process %s is running", spec->id);
	struct sproc *p = proc_add(s, spec->id, rs, owner);
	if (!p)
		return qerr_set(err, EMFILE, "%u processes run already", QP_MAX_PROCS);
	struct jw w;
	jw_init(&w);
	qp_exec_write(&w, spec);
	send_json(s, QP_EXECCMD, &w, (int)(p - s->procs));
	return 0;
}

void session_stop(struct session *s, int sig, double timeout)
{
	struct sproc *init = session_proc(s, "init");
	if (s->ph != PH_RUNNING || !init || init->exited)
		return;
	session_signal(s, "init", sig);
	if (!s->kill_at || now_s() + timeout < s->kill_at)
		s->kill_at = now_s() + (timeout > 0 ? timeout : 0);
}

void session_destroy(struct session *s)
{
	s->destroying = true;
}

int session_request(struct session *s, uint32_t type, struct jw *w)
{
	if (s->ph != PH_RUNNING || s->destroying) {
		jw_free(w);
		return -ESRCH;
	}
	send_json(s, type, w, -1);
	return 0;
}

/* The command, once more in the same container (a restart policy). */
int session_restart(struct session *s, struct qerr *err)
{
	const struct qp_container *c = s->s->container;
	struct qp_process again = c->proc;
	again.id = "init";
	s->kill_at = 0;
	return session_exec(s, &again, &s->s->init_io, NULL, err);
}

/* ---- control messages ------------------------------------------------------ */

static void started(struct session *s, struct sproc *p, const char *why)
{
	if (!why) {
		p->started = true;
		p->t_started = now_s();
		p->relay.in_open = true; /* stdin flows only now */
	}
	if (s->hooks.started)
		s->hooks.started(s->hooks.ctx, p, why);
	if (why)
		proc_free(s, p);
}

#define NET_READY_TIMEOUT 10.0  /* s; pasta is set up in 20-30 ms */

static void send_start(struct session *s)
{
	struct jw w;
	struct qerr e;
	/* The command may reach out at once: its network is up first. */
	if (vm_net_ready(s->s->vm, now_s() + NET_READY_TIMEOUT, &e) < 0) {
		fail(s, e.code, "%s", e.msg);
		return;
	}
	jw_init(&w);
	qp_pod_write(&w, s->s->pod);
	send_json(s, QP_STARTPOD, &w, -1);
	jw_init(&w);
	qp_container_write(&w, s->s->container);
	send_json(s, QP_NEWCONTAINER, &w, (int)(session_proc(s, "init") - s->procs));
}

/* Save the template now (the guest answered GETVERSION and waits). A
 * failure costs the template, not the run, unless the VM cannot go on. */
static void save_template(struct session *s)
{
	struct qerr e;
	bool running;
	struct bootinfo *b = &s->res->boot;
	char before[sizeof b->snapshot];
	snprintf(before, sizeof before, "%s", b->snapshot[0] ? b->snapshot : "cold");
	if (tmpl_save(s->s->save, s->s->vm, now_s() + s->s->set->boot_timeout, &running, &e) == 0)
		snprintf(b->snapshot, sizeof b->snapshot, "%s; template saved", before);
	else
		snprintf(b->snapshot, sizeof b->snapshot, "%s; saving the template failed: %s", before, e.msg);
	if (!running)
		fail(s, EIO, "%s", b->snapshot);
}

static void on_reply(struct session *s, const struct qp_frame *f)
{
	if (!s->npending) {
		fail(s, EPROTO, "the guest sent %s without a request", qp_type_name((uint32_t)f->id));
		return;
	}
	uint32_t req = s->pending[0].type;
	int slot = s->pending[0].slot;
	memmove(s->pending, s->pending + 1, (size_t)--s->npending * sizeof *s->pending);
	if (f->id == QP_ERROR) {
		char msg[QERR_MSG_MAX];
		qp_error_read(f->data, f->len, msg, sizeof msg);
		if (req == QP_WINSIZE || req == QP_SIGNALPROCESS || req == QP_KILLCONTAINER || req == QP_CLOSEOUTPUT)
			return; /* the process may have just ended: nothing to do */
		if (req == QP_TOP) {
			if (s->hooks.answer)
				s->hooks.answer(s->hooks.ctx, req, f, *msg ? msg : "the guest refused it");
			return;
		}
		if (req == QP_EXECCMD && slot >= 0) {
			started(s, &s->procs[slot], *msg ? msg : "the guest refused it");
			return;
		}
		if (!s->rc)
			s->rc = qerr_set(s->err, EPROTO, "the guest refused %s: %s", qp_type_name(req),
					 *msg ? msg : "no reason given");
		return;
	}
	switch (req) {
	case QP_RESUME:
		break; /* host entropy before a save: its ACK says nothing more */
	case QP_GETVERSION: {
		uint32_t v = f->len >= 4 ? qp_be32(f->data) : 0;
		if (v < QP_VERSION_MIN) {
			char m[64];
			snprintf(m, sizeof m, "%u", v);
			fail(s, EPROTO, "the guest speaks protocol %s, older than this runner's; rebuild "
			     "the images with `make image`", m);
			return;
		}
		if (s->s->save) {
			save_template(s);
			send_start(s);
		}
		phase(s, PH_POD, s->s->set->boot_timeout);
		break;
	}
	case QP_STARTPOD:
		phase(s, PH_START, s->s->set->boot_timeout);
		break;
	case QP_NEWCONTAINER:
		phase(s, PH_RUNNING, 0);
		s->res->t.started = now_s();
		started(s, session_proc(s, "init"), NULL);
		break;
	case QP_EXECCMD:
		if (slot >= 0)
			started(s, &s->procs[slot], NULL);
		break;
	case QP_TOP:
		if (s->hooks.answer)
			s->hooks.answer(s->hooks.ctx, req, f, NULL);
		break;
	default:
		break;
	}
}

static void on_exit_event(struct session *s, const struct qp_frame *f)
{
	struct qp_exit x;
	struct qerr e;
	int k = qp_exit_read(f->data, f->len, &x, &e);
	if (k < 0) {
		fail(s, EPROTO, "bad exit event from the guest: %s", e.msg);
		return;
	}
	struct sproc *p = session_proc(s, x.process);
	if (!p || p->exited)
		return; /* not ours (a newer guest) or said twice: nothing to do */
	if (k == 1) { /* its exec worked */
		p->running = true;
		if (s->hooks.running)
			s->hooks.running(s->hooks.ctx, p);
		return;
	}
	if (!p->running && !*x.error)
		p->running = true; /* it ran and ended before the started event was read */
	p->exit = x;
	p->exited = true;
	p->t_exited = now_s();
	if (!strcmp(p->id, "init")) {
		s->res->exit = x;
		s->res->have_exit = true;
		s->res->t.exited = p->t_exited;
	}
}

static void on_ctl(struct session *s, const struct qp_frame *f)
{
	switch (f->id) {
	case QP_READY: {
		if (s->ph != PH_BOOT)
			return;
		uint64_t boot_ns;
		uint8_t v[4];
		s->res->t.ready = now_s();
		qp_ready_read(f->data, f->len, &boot_ns);
		s->res->t.guest_boot = (double)boot_ns / 1e9;
		/* The guest answers in order, so the whole start goes out at once:
		 * a bad version still fails at the first reply. */
		/* A run that saves a template gives the guest host entropy first:
		 * the template's CRNG is then ready, and a restored guest only
		 * reseeds it (RESUME again), without initialising it. */
		if (s->s->save) {
			struct jw w;
			const char *json;
			size_t len;
			struct qerr e;
			if (tmpl_resume_msg(&w, &json, &len, &e) == 0)
				send_ctl(s, QP_RESUME, json, len, -1);
			jw_free(&w);
		}
		qp_put_be32(v, QP_VERSION);
		send_ctl(s, QP_GETVERSION, v, sizeof v, -1);
		if (!s->s->save)
			send_start(s);
		phase(s, PH_VERSION, s->s->set->boot_timeout);
		break;
	}
	case QP_ACK:
	case QP_ERROR:
		on_reply(s, f);
		break;
	case QP_PROCESSASYNCEVENT:
		on_exit_event(s, f);
		break;
	default:
		break; /* a newer guest may say more; nothing here needs it */
	}
}

/* ---- streams ----------------------------------------------------------------- */

static void on_credit(void *ctx, uint64_t seq, uint32_t bytes)
{
	struct session *s = ctx;
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (s->procs[i].used)
			relay_credit(&s->procs[i].relay, seq, bytes);
}

static void on_stream(struct session *s, const struct qp_frame *f)
{
	if (f->id == QP_SEQ_CREDIT) {
		if (qp_credit_each(f, on_credit, s) < 0)
			fail(s, EPROTO, "%s", "malformed credit frame from the guest");
		return;
	}
	for (unsigned i = 0; i < QP_MAX_PROCS; i++) {
		struct sproc *p = &s->procs[i];
		if (p->used && relay_owns(&p->relay, f->id)) {
			int k = relay_output(&p->relay, f, now_s(), s->err);
			if (k < 0 && !s->rc)
				s->rc = k;
			return;
		}
	}
}

/* Drain a port: complete frames first, then one read; until it would block. */
static void port_input(struct session *s, struct watch *w, struct qp_reader *r, bool ctl)
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
			else
				on_stream(s, &f);
		}
		ssize_t n = qp_reader_fill(r, w->fd);
		if (n <= 0) {
			if (n == 0) {
				/* qemu closed the port: it is exiting; SIGCHLD tells us how. */
				loop_drop(&s->loop, w);
				w->fd = -1;
			}
			return;
		}
	}
}

static void on_port(struct watch *w, uint32_t ev)
{
	struct session *s = w->ctx;
	bool ctl = w == &s->w_ctl;
	struct qp_queue *q = ctl ? &s->ctl_q : &s->tx;
	if (ev & EPOLLOUT && qp_queue_flush(q, w->fd) < 0)
		fail(s, EIO, "write to the %s port failed", ctl ? "control" : "stream");
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		port_input(s, w, ctl ? &s->ctl_r : &s->st_r, ctl);
}

/* ---- signals ------------------------------------------------------------------ */

static void on_sigchld(struct session *s)
{
	int st;
	struct rusage ru;
	if (s->s->vm->pid > 0 && wait4(s->s->vm->pid, &st, WNOHANG, &ru) == s->s->vm->pid) {
		s->res->qemu_maxrss_kb = ru.ru_maxrss;
		s->qemu_gone = true;
		s->qemu_status = st;
		s->s->vm->pid = -1;
		s->res->t.vm_gone = now_s();
	}
}

static void on_signal(struct watch *w, uint32_t ev)
{
	struct session *s = w->ctx;
	struct signalfd_siginfo si;
	while (io_read(w->fd, &si, sizeof si) == sizeof si) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			on_sigchld(s);
		} else if (sig == SIGWINCH) {
			uint16_t rows, cols;
			if (s->s->tty && s->ph == PH_RUNNING && tty_size(&rows, &cols) == 0)
				session_winsize(s, "init", rows, cols);
		} else if (s->hooks.signal && s->hooks.signal(s->hooks.ctx, sig)) {
			/* the owner's */
		} else if (s->ph == PH_RUNNING) {
			/* SIGTERM: the graceful stop a supervisor asks for (the image's
			 * stop signal, then SIGKILL after the stop timeout); others go
			 * to the command as they are. */
			if (sig == SIGTERM)
				session_stop(s, s->s->stop_signal, s->s->stop_timeout);
			else
				session_signal(s, "init", sig);
		} else if (s->ph < PH_RUNNING && !s->rc) {
			/* Nothing runs yet: stop here, as the shell would, with 128+N. */
			s->res->status = 128 + sig;
			s->rc = qerr_set(s->err, EINTR, "interrupted by signal %d before the command started", sig);
		}
	}
}

/* ---- the loop ---------------------------------------------------------------- */

static void watches(struct session *s)
{
	s->w_ctl.want = EPOLLIN | (qp_queue_len(&s->ctl_q) ? EPOLLOUT : 0);
	s->w_stream.want = EPOLLIN | (qp_queue_len(&s->tx) ? EPOLLOUT : 0);
	loop_sync(&s->loop, &s->w_ctl);
	loop_sync(&s->loop, &s->w_stream);
	for (unsigned i = 0; i < QP_MAX_PROCS; i++) {
		struct sproc *p = &s->procs[i];
		if (!p->used)
			continue;
		struct relay *r = &p->relay;
		p->w_in.fd = r->in.pollable ? r->in.fd : -1;
		p->w_in.want = relay_wants_stdin(r) ? EPOLLIN : 0;
		p->w_out.fd = r->out.io.pollable ? r->out.io.fd : -1;
		p->w_out.want = relay_sink_pending(&r->out) ? EPOLLOUT : 0;
		p->w_err.fd = r->err.io.pollable ? r->err.io.fd : -1;
		p->w_err.want = relay_sink_pending(&r->err) ? EPOLLOUT : 0;
		loop_sync(&s->loop, &p->w_in);
		loop_sync(&s->loop, &p->w_out);
		loop_sync(&s->loop, &p->w_err);
	}
}

static bool procs_left(const struct session *s)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (s->procs[i].used)
			return true;
	return false;
}

/* Processes whose end is in and whose output is all out: tell the owner. */
static void reap(struct session *s)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++) {
		struct sproc *p = &s->procs[i];
		if (!p->used || !p->exited || !relay_done(&p->relay))
			continue;
		bool init = !strcmp(p->id, "init");
		enum session_end end = s->hooks.ended ? s->hooks.ended(s->hooks.ctx, p) : END_DESTROY;
		if (init && !s->res->t.first_output)
			s->res->t.first_output = p->relay.first_output; /* its slot goes now */
		proc_free(s, p);
		if (init && end == END_DESTROY)
			s->destroying = true;
	}
}

/* Whether the guest may hold writes meant for the host: a writable
 * volume's page cache (an mmap'ed file is written back when unmapped or
 * synced, not at each store). */
static bool host_writes_pending(const struct qp_container *c)
{
	for (size_t i = 0; c && i < c->nmounts; i++)
		if (!c->mounts[i].read_only)
			return true;
	return false;
}

static void destroy(struct session *s)
{
	if (host_writes_pending(s->s->container) || s->s->vm->pid <= 0)
		send_ctl(s, QP_DESTROYPOD, NULL, 0, -1);
	else
		kill(s->s->vm->pid, SIGKILL); /* reaped in on_sigchld */
	phase(s, PH_DESTROY, s->s->set->shutdown_timeout);
}

/* Advance what does not wait for a message. 1: the loop is over. */
static int step(struct session *s)
{
	if (s->rc)
		return 1;
	/* A reader of ours went away: the guest closes that stream too. */
	for (unsigned i = 0; s->ph < PH_DESTROY && i < QP_MAX_PROCS; i++)
		for (uint64_t seq; s->procs[i].used && (seq = relay_gone(&s->procs[i].relay));)
			send_closeoutput(s, seq);
	if (s->ph == PH_RUNNING) {
		reap(s);
		if (s->destroying && !procs_left(s))
			destroy(s);
	}
	if (s->qemu_gone) {
		if (s->ph == PH_DESTROY)
			return 1;
		if (s->res->have_exit && !procs_left(s))
			return 1; /* it ended on its own after the command: the result is in */
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
	if (s->kill_at && t >= s->kill_at) {
		s->kill_at = 0;
		session_signal(s, "init", SIGKILL); /* the stop timeout is over */
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

static int wait_ms(struct session *s, double owner_next)
{
	double t = now_s(), next = owner_next;
	double cand[] = { s->deadline, s->stop_at, s->kill_at };
	for (size_t i = 0; i < sizeof cand / sizeof *cand; i++)
		if (cand[i] && (!next || cand[i] < next))
			next = cand[i];
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (s->procs[i].used && relay_always_ready(&s->procs[i].relay))
			return 0;
	if (!next)
		return -1;
	return next <= t ? 0 : (int)ceil((next - t) * 1000);
}

/* The signals the loop takes (forwarded, or SIGCHLD/SIGWINCH). The caller
 * blocks them before qemu starts, so none is lost between fork and the
 * signalfd. */
void session_signals(sigset_t *set, bool proxy)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	sigemptyset(set);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGCHLD);
	for (size_t i = 0; proxy && i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(set, sigs[i]);
}

int session_open(struct session *s, const struct session_spec *spec, struct session_result *res, struct qerr *err)
{
	sigset_t set;
	*s = (struct session){ .s = spec, .res = res, .err = err, .loop = { .epfd = -1 } };
	watch_init(&s->w_sig, on_signal, s);
	watch_init(&s->w_ctl, on_port, s);
	watch_init(&s->w_stream, on_port, s);
	phase(s, PH_BOOT, spec->set->boot_timeout);
	if (spec->set->timeout > 0)
		s->stop_at = res->t.qemu_start + spec->set->timeout; /* like timeout(1): the whole run */
	if (!proc_add(s, "init", &spec->init_io, NULL))
		return qerr_set(err, ENOMEM, "out of memory");
	session_signals(&set, spec->sig_proxy);
	if ((s->w_sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 || loop_open(&s->loop, err) < 0)
		return qerr_sys(err, errno, "set up the event loop");
	if (qp_reader_init(&s->ctl_r, QP_CTL_HDR, QP_CTL_MAX) < 0 ||
	    qp_reader_init(&s->st_r, QP_STREAM_HDR, QP_STREAM_HDR + QP_STREAM_PAYLOAD) < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	s->w_ctl.fd = spec->vm->ctl;
	s->w_stream.fd = spec->vm->stream;
	io_nonblock(spec->vm->ctl, 1);
	io_nonblock(spec->vm->stream, 1);
	s->w_sig.want = EPOLLIN;
	loop_sync(&s->loop, &s->w_sig);
	if (spec->boot)
		res->boot = *spec->boot;
	if (res->boot.restored) {
		res->t.ready = res->boot.resumed_at;
		send_start(s);
		phase(s, PH_POD, spec->set->boot_timeout);
	}
	return 0;
}

int session_loop(struct session *s)
{
	while (!step(s)) {
		double owner_next = s->hooks.turn ? s->hooks.turn(s->hooks.ctx) : 0, t = now_s();
		/* The guest writes its console and qemu its log without us:
		 * look at them every second, whatever else happens. */
		vm_console_trim(s->s->vm, t);
		if (!owner_next || owner_next > t + 1)
			owner_next = t + 1;
		watches(s);
		int n = loop_wait(&s->loop, wait_ms(s, owner_next));
		if (n < 0) {
			fail(s, -n, "%s", "epoll_wait failed");
			break;
		}
		for (unsigned i = 0; i < QP_MAX_PROCS; i++)
			if (s->procs[i].used)
				relay_poll_free(&s->procs[i].relay);
		if (qp_queue_len(&s->ctl_q) && s->w_ctl.fd >= 0 && qp_queue_flush(&s->ctl_q, s->w_ctl.fd) < 0 &&
		    !s->qemu_gone)
			fail(s, EIO, "%s", "write to the control port failed");
		if (qp_queue_len(&s->tx) && s->w_stream.fd >= 0)
			qp_queue_flush(&s->tx, s->w_stream.fd);
	}
	if (!s->rc)
		s->res->status = s->res->exit.status;
	struct sproc *init = session_proc(s, "init");
	if (init)
		s->res->t.first_output = init->relay.first_output;
	return s->rc;
}

void session_close(struct session *s)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (s->procs[i].used) {
			if (s->hooks.ended && s->procs[i].started)
				s->hooks.ended(s->hooks.ctx, &s->procs[i]); /* the VM is gone: it is over */
			proc_free(s, &s->procs[i]);
		}
	loop_drop(&s->loop, &s->w_sig);
	loop_drop(&s->loop, &s->w_ctl);
	loop_drop(&s->loop, &s->w_stream);
	qp_reader_free(&s->ctl_r);
	qp_reader_free(&s->st_r);
	qp_queue_free(&s->ctl_q);
	qp_queue_free(&s->tx);
	io_close(&s->w_sig.fd);
	loop_close(&s->loop);
}

int session_run(const struct session_spec *spec, struct session_result *res, struct qerr *err)
{
	static struct session s;
	int e = session_open(&s, spec, res, err);
	if (!e)
		e = session_loop(&s);
	session_close(&s);
	return e;
}
