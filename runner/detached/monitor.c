/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor.c: a VM's monitor, podman's conmon for a VM: one small process
 * per VM (`qpod run -d`), no daemon. It owns the VM's qemu, its session
 * (session.c, with hooks), the command's log (log.c) and its state
 * (state.c, events), restarts the command as its policy says (restart.c),
 * runs its health check (monhealth.c) and answers qpod's commands on the
 * control socket (monctl.c; ctlreq.c has the messages). What all three do
 * to the VM and say of it (state, events, stop, unpause) is monops.c.
 *
 * A named foreground run (`qpod run --name N`, no -d) is a monitor too, in
 * the qpod process itself: its stdio is ours, signals reach the command as
 * in any foreground run, there is no restart, and its state goes when it ends.
 *
 * The parent (`run -d`) learns the start on ready_fd: one line, "0" once
 * the command runs, else "STATUS reason" (125, 126, 127). If the monitor is
 * killed, qemu goes with it (PR_SET_PDEATHSIG) and the lock it held is
 * free, so ps shows the VM as exited (monitor lost). With $NOTIFY_SOCKET
 * (systemd, Type=notify, NotifyAccess=all) it says MAINPID= (itself) once
 * the command runs, and READY=1 then, or, with --sdnotify healthy, once its
 * health check passed (notify.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "monitor.h"
#include "sig.h"
#include "when.h"

#define VM_STABLE     10.0  /* s: a VM that ran this long resets the failure count (docker's 10 s) */
#define VM_FAILS_MAX  5     /* VM-level failures in a row before restarts stop */

/* systemd: the monitor is the unit's main process from the command's start
 * (before `run -d` exits), and the unit is up then, or once the health
 * check passed with --sdnotify healthy (monhealth.c says READY=1 then). */
static void notify_start(struct monitor *m)
{
	const char *want = m->l->o.sdnotify ? m->l->o.sdnotify : "conmon";
	char msg[64];
	if (m->ready_sent || !strcmp(want, "ignore"))
		return;
	bool now = strcmp(want, "healthy") || !m->h.on;
	snprintf(msg, sizeof msg, "MAINPID=%d%s", (int)getpid(), now ? "\nREADY=1" : "");
	m->ready_sent = sd_notify_send(msg) >= 0 && now;
}

/* ---- the session's hooks ------------------------------------------------------ */

static void h_started(void *ctx, struct sproc *p, const char *why)
{
	struct monitor *m = ctx;
	if (!strcmp(p->id, "init")) {
		if (why)
			mon_ready(m, EXIT_QPOD, why);
		return;
	}
	if (why && health_refused(m, p, why))
		return;
	mon_exec_started(m, p, why);
}

static void h_running(void *ctx, struct sproc *p)
{
	struct monitor *m = ctx;
	if (strcmp(p->id, "init")) {
		mon_exec_running(m, p);
		return;
	}
	m->st->started = when_now();
	m->st->stopped_by_user = false;
	m->again = false;
	mon_status(m, "running");
	health_reset(m);
	notify_start(m);
	mon_ready(m, 0, NULL);
	mon_event(m, "start", NULL, NULL);
	mon_tell(m, C_RESTART, CEV_OK, NULL);
}

static enum session_end h_ended(void *ctx, struct sproc *p)
{
	struct monitor *m = ctx;
	char code[16];
	if (strcmp(p->id, "init")) {
		if (!health_ended(m, p))
			mon_exec_ended(m, p);
		return END_DESTROY;
	}
	const struct qp_exit *x = &p->exit;
	m->st->exit_code = x->status;
	m->st->signal = x->signal;
	m->st->oom = x->oom;
	m->st->finished = when_now();
	snprintf(code, sizeof code, "%d", x->status);
	if (p->running)
		mon_event(m, "die", "exitCode", code);
	if (!p->running) {
		/* It never ran (exec failed: 126, 127): no restart, as docker. */
		mon_ready(m, x->status ? x->status : EXIT_QPOD, *x->error ? x->error : "the command did not start");
		snprintf(m->st->error, sizeof m->st->error, "%s", x->error);
		return END_DESTROY;
	}
	if (p->exited && m->again) {
		m->restart_at = now_s();
		mon_status(m, "restarting");
		return END_KEEP;
	}
	if (p->exited && restart_wanted(&m->policy, x->status, m->stopped, m->st->restarts)) {
		m->restart_at = now_s() + restart_delay(m->st->restarts);
		m->st->restarts++;
		mon_status(m, "restarting");
		return END_KEEP;
	}
	return END_DESTROY;
}

static bool h_signal(void *ctx, int sig)
{
	struct monitor *m = ctx;
	if (m->ms->foreground)
		return false; /* a foreground run's: the session forwards it */
	if (sig == SIGTERM || sig == SIGINT) /* the monitor itself is asked to stop */
		mon_stop(m, m->l->stop_signal, m->l->stop_timeout, false);
	return true; /* nothing reaches the command by signalling the monitor */
}

static void h_answer(void *ctx, uint32_t type, const struct qp_frame *f, const char *error)
{
	mon_top_answer(ctx, f, error);
}

static double h_turn(void *ctx)
{
	struct monitor *m = ctx;
	if (m->restart_at && now_s() >= m->restart_at) {
		struct qerr err;
		m->restart_at = 0;
		if (session_restart(&m->s, &err) < 0)
			session_destroy(&m->s);
	}
	mon_clients_turn(m);
	double next = health_turn(m);
	return m->restart_at && (!next || m->restart_at < next) ? m->restart_at : next;
}

/* ---- the monitor's life ------------------------------------------------------- */

static void finish(struct monitor *m, int e)
{
	struct qp_exit x = { .status = m->st->exit_code, .signal = m->st->signal, .oom = m->st->oom };
	if (e && !m->res->have_exit) {
		x.status = EXIT_QPOD;
		snprintf(m->st->error, sizeof m->st->error, "%s", m->l->err.msg);
		mon_ready(m, EXIT_QPOD, m->l->err.msg);
	}
	m->st->paused = false;
	if (!m->st->finished)
		m->st->finished = when_now();
	m->l->vm.pid = -1;
	mon_status(m, "exited");
	mon_tell(m, C_WAIT, CEV_EXIT, &x);
	mon_tell(m, C_STOP, CEV_EXIT, &x);
	mon_tell(m, C_RESTART, CEV_EXIT, &x);
	mon_clients_drop(m);
	if (m->ms->foreground)
		sd_notify_send("STOPPING=1");
}

/* Open what the monitor keeps: its lock, the log, the control socket. */
static int monitor_open(struct monitor *m, struct qerr *err)
{
	char logpath[4200];
	snprintf(logpath, sizeof logpath, "%s/log", m->ms->dir);
	if ((m->lock = state_lock(m->ms->dir)) < 0)
		return qerr_set(err, EBUSY, "%s: another monitor holds this VM", m->ms->dir);
	if (!m->ms->foreground) {
		int e = log_open(&m->log, logpath, m->l->o.log_max ? m->l->o.log_max : 10u << 20, err);
		if (e)
			return e;
	}
	if ((m->listen_fd = ctl_listen(m->ms->dir, err)) < 0)
		return m->listen_fd;
	m->st->monitor_pid = getpid();
	return 0;
}

/* One boot of the VM and its session, until the VM is gone. */
static int monitor_boot(struct monitor *m)
{
	struct launch *l = m->l;
	struct session_spec ss;
	struct relay_spec io = { .in = -1, .out = -1, .err = -1, .seq = QP_SEQ_STDIO, .seq_err = QP_SEQ_STDERR,
				 .tty = l->o.tty, .log = &m->log };
	mon_status(m, "starting");
	m->res->t.qemu_start = now_s();
	int e = launch_boot(l);
	if (e)
		return e;
	launch_spec(l, &ss, m->ms->foreground ? m->ms->io : &io);
	ss.sig_proxy = m->ms->foreground ? l->o.sig_proxy : true;
	mon_listen(m);
	if (!(e = session_open(&m->s, &ss, m->res, &l->err))) {
		m->s.hooks = (struct session_hooks){ .ctx = m, .started = h_started, .running = h_running,
						    .ended = h_ended, .signal = h_signal, .turn = h_turn,
						    .answer = h_answer };
		mon_status(m, "starting");
		e = session_loop(&m->s);
	}
	mon_clients_drop(m);
	session_close(&m->s);
	vm_close(&l->vm);
	return e;
}

int monitor_run(struct launch *l, const struct monitor_spec *ms, struct vmstate *st, struct session_result *res)
{
	static struct monitor m;
	struct qerr *err = &l->err;
	m = (struct monitor){ .l = l, .ms = ms, .st = st, .res = res, .ready_fd = ms->ready_fd, .listen_fd = -1,
			      .next_seq = 3, .log = { .fd = -1 } };
	restart_parse(l->o.restart, &m.policy);
	health_init(&m);
	int e = monitor_open(&m, err);
	sigset_t sigs;
	session_signals(&sigs, ms->foreground ? l->o.sig_proxy : true);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	bool again = !e;
	unsigned vm_fails = 0;
	while (again) {
		again = false;
		*res = (struct session_result){ 0 };
		e = monitor_boot(&m);
		/* The guest itself died under a command that was running: boot
		 * again if the policy says so (a stop never comes back), after
		 * docker's growing delay; a VM that keeps failing within
		 * VM_STABLE seconds of its boot is given up after VM_FAILS_MAX. */
		vm_fails = now_s() - res->t.qemu_start >= VM_STABLE ? 1 : vm_fails + 1;
		if (e && m.st->started && !m.stopped && !ms->foreground && vm_fails < VM_FAILS_MAX &&
		    restart_wanted(&m.policy, EXIT_QPOD, false, m.st->restarts)) {
			m.st->restarts++;
			double d = restart_delay(m.st->restarts);
			struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
			again = true;
			e = 0;
		} else if (e && vm_fails >= VM_FAILS_MAX) {
			qerr_wrap(err, "the VM failed %u times in a row: not restarted", vm_fails);
		}
	}
	finish(&m, e);
	if (m.log.fd >= 0)
		log_close(&m.log);
	io_close(&m.listen_fd);
	char sock[4200];
	snprintf(sock, sizeof sock, "%s/ctl.sock", ms->dir);
	unlink(sock);
	if (l->o.rm && !ms->foreground) { /* run -d --rm: nothing of it is left */
		struct qerr rmerr;
		state_remove(ms->dir, st, &rmerr);
	}
	io_close(&m.lock);
	return e;
}
