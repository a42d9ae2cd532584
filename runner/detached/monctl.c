/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monctl.c: a monitor's control socket (ctlmsg.c, in the VM's 0700
 * directory, peers checked): its clients, and what each request does
 * (ctlreq.c writes and reads them). With docker's rules:
 *   exec     the container's environment, user, groups, limits, umask and
 *            workdir unless it gives its own; refused while paused
 *   kill     a signal to the command; it ends the restart policy when it is
 *            SIGKILL or the VM's stop signal, or no stop signal was set
 *            (moby's daemon/kill.go), and then unpauses the VM
 *   stop     the stop signal, SIGKILL after the timeout; no restart
 *   restart  the same, then the command again (the VM and its writable layer stay)
 *   pause    SIGSTOP to qemu: every vCPU stops at once, nothing in the
 *            guest sees it coming (docker freezes the cgroup); unpause: SIGCONT
 *   top      the guest lists the container's processes (TOP)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "monitor.h"
#include "sig.h"

void mon_reply(struct client *c, enum ctl_event ev, const char *message, const struct qp_exit *x)
{
	struct ctl_rep r = { .ev = ev };
	snprintf(r.message, sizeof r.message, "%s", message ? message : "");
	if (x)
		r.exit = *x;
	if (ctl_rep_send(c->fd, &r) < 0)
		c->dead = true;
}

static void client_close(struct monitor *m, struct client *c)
{
	loop_drop(&m->s.loop, &c->w);
	io_close(&c->fd);
	for (int i = 0; i < 3; i++)
		io_close(&c->io[i]);
	c->used = false;
}

void mon_tell(struct monitor *m, enum client_kind kind, enum ctl_event ev, const struct qp_exit *x)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];
		if (c->used && c->kind == kind) {
			mon_reply(c, ev, NULL, x);
			c->kind = C_IDLE;
			c->dead = true;
		}
	}
}

/* ---- exec ------------------------------------------------------------------ */

/* The container's environment under the exec's own (same name: the exec's). */
static char **merge_env(char **base, char **own)
{
	size_t nb = 0, ne = 0, k = 0;
	while (base && base[nb])
		nb++;
	while (own && own[ne])
		ne++;
	char **env = calloc(nb + ne + 1, sizeof *env);
	if (!env)
		return NULL;
	for (size_t i = 0; i < nb; i++) {
		size_t klen = strcspn(base[i], "=") + 1, x;
		for (x = 0; x < ne && strncmp(own[x], base[i], klen); x++)
			;
		if (x == ne)
			env[k++] = base[i];
	}
	for (size_t i = 0; i < ne; i++)
		env[k++] = own[i];
	return env;
}

static void exec_start(struct monitor *m, struct client *c, const struct ctl_req *r, struct qp_process *p)
{
	const struct qp_process *base = &m->l->proc;
	struct qerr err;
	char id[QP_ID_MAX];
	if (m->st->paused) {
		snprintf(err.msg, sizeof err.msg, "%s is paused, unpause the container before exec", m->st->name);
		mon_reply(c, CEV_ERROR, err.msg, NULL);
		return;
	}
	char **env = merge_env(base->env, p->env);
	if (!env) {
		mon_reply(c, CEV_ERROR, "out of memory", NULL);
		return;
	}
	snprintf(id, sizeof id, "exec-%u", ++m->execs);
	struct qp_process run = *p;
	run.id = id;
	run.env = env;
	run.workdir = p->workdir ? p->workdir : base->workdir;
	run.user = p->user && *p->user ? p->user : base->user;
	run.groups = base->groups;
	run.rlimits = base->rlimits;
	run.nrlimits = base->nrlimits;
	run.umask = base->umask;
	run.stdio_seq = m->next_seq;
	run.stderr_seq = p->terminal ? 0 : m->next_seq + 1;
	m->next_seq += 2;
	struct relay_spec rs = { .in = p->stdin_open ? c->io[0] : -1, .out = c->io[1], .err = c->io[2],
				 .seq = run.stdio_seq, .seq_err = run.stderr_seq, .tty = p->terminal };
	int e = c->io[1] < 0 || (!p->terminal && c->io[2] < 0)
			? qerr_set(&err, EINVAL, "exec needs its stdout and stderr") : session_exec(&m->s, &run, &rs, c, &err);
	free(env); /* the strings are p's and base's */
	if (e) {
		mon_reply(c, CEV_ERROR, err.msg, NULL);
		return;
	}
	c->kind = C_EXEC;
	c->detach = r->detach;
	snprintf(c->proc, sizeof c->proc, "%s", id);
}

void mon_exec_started(struct monitor *m, struct sproc *p, const char *why)
{
	struct client *c = p->owner;
	if (c && c->used)
		mon_reply(c, why ? CEV_ERROR : CEV_STARTED, why, NULL);
}

void mon_exec_running(struct monitor *m, struct sproc *p)
{
	struct client *c = p->owner;
	if (!c || !c->used)
		return;
	mon_reply(c, CEV_RUNNING, NULL, NULL);
	if (c->detach) { /* exec -d: it runs; its output goes nowhere */
		p->owner = NULL;
		c->kind = C_IDLE;
		c->dead = true;
	}
}

void mon_exec_ended(struct monitor *m, struct sproc *p)
{
	struct client *c = p->owner;
	if (!c || !c->used)
		return;
	struct qp_exit gone = { .status = EXIT_QPOD };
	snprintf(gone.error, sizeof gone.error, "the VM stopped before the command finished");
	mon_reply(c, CEV_EXIT, NULL, p->exited ? &p->exit : &gone);
	for (int i = 0; i < 3; i++)
		io_close(&c->io[i]);
	c->kind = C_IDLE;
}

/* ---- the others -------------------------------------------------------------- */

/* moby: a kill ends the policy when it is SIGKILL or the stop signal the
 * container was given, or when it was given none. */
static bool kill_ends_policy(const struct monitor *m, int sig)
{
	bool configured = m->l->o.stop_signal || m->l->img.config.stop_signal;
	return sig == SIGKILL || !configured || sig == m->l->stop_signal;
}

static void do_kill(struct monitor *m, struct client *c, int sig)
{
	struct sproc *init = session_proc(&m->s, "init");
	char num[8];
	if (kill_ends_policy(m, sig)) {
		m->stopped = true;
		m->st->stopped_by_user = true;
		m->restart_at = 0;
		mon_unpause(m);
		if (!init || init->exited)
			session_destroy(&m->s); /* between restarts: it stays down */
	}
	if (init && !init->exited)
		session_signal(&m->s, "init", sig);
	snprintf(num, sizeof num, "%d", sig);
	mon_event(m, "kill", "signal", num);
	mon_reply(c, CEV_OK, NULL, NULL);
}

static void do_pause(struct monitor *m, struct client *c, bool pause)
{
	if (strcmp(m->st->status, "running") || m->l->vm.pid <= 0) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s is not running", m->st->name);
		mon_reply(c, CEV_ERROR, msg, NULL);
		return;
	}
	if (pause != m->st->paused && !pause) {
		mon_unpause(m);
	} else if (pause != m->st->paused) {
		kill(m->l->vm.pid, SIGSTOP);
		m->st->paused = true;
		mon_save(m);
		mon_event(m, "pause", NULL, NULL);
	} else {
		char msg[128];
		snprintf(msg, sizeof msg, "%s is %s", m->st->name, pause ? "already paused" : "not paused");
		mon_reply(c, CEV_ERROR, msg, NULL);
		return;
	}
	mon_reply(c, CEV_OK, NULL, NULL);
}

static void do_top(struct monitor *m, struct client *c)
{
	struct jw w;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "container", "qpod");
	jw_end(&w);
	if (m->st->paused || session_request(&m->s, QP_TOP, &w) < 0) {
		mon_reply(c, CEV_ERROR, m->st->paused ? "the VM is paused: its processes cannot be listed until unpause"
						      : "the VM is not running", NULL);
		return;
	}
	c->kind = C_TOP;
	c->ticket = ++m->tops_asked;
}

void mon_top_answer(struct monitor *m, const struct qp_frame *f, const char *error)
{
	unsigned ticket = ++m->tops_answered;
	struct qerr err;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];
		if (!c->used || c->kind != C_TOP || c->ticket != ticket)
			continue;
		char *text = error ? NULL : strndup((const char *)f->data, f->len);
		if (!error && (!text || qp_top_check(f->data, f->len, &err) < 0))
			error = text ? err.msg : "out of memory";
		struct ctl_rep r = { .ev = error ? CEV_ERROR : CEV_TOP, .top = text };
		snprintf(r.message, sizeof r.message, "%s", error ? error : "");
		ctl_rep_send(c->fd, &r);
		free(text);
		c->kind = C_IDLE;
	}
}

static void request(struct monitor *m, struct client *c, char *buf, size_t n)
{
	struct ctl_req r;
	struct qp_process p = { 0 };
	struct qerr err;
	if (ctl_req_read(buf, n, &r, &p, &err) < 0) {
		mon_reply(c, CEV_ERROR, err.msg, NULL);
		return;
	}
	bool idle = c->kind == C_IDLE;
	if (r.op == CTL_EXEC && idle)
		exec_start(m, c, &r, &p);
	else if (r.op == CTL_SIGNAL && c->kind == C_EXEC && r.signal)
		session_signal(&m->s, c->proc, r.signal);
	else if (r.op == CTL_WINSIZE && c->kind == C_EXEC)
		session_winsize(&m->s, c->proc, r.rows, r.cols);
	else if ((r.op == CTL_STOP || r.op == CTL_RESTART) && idle) {
		c->kind = r.op == CTL_STOP ? C_STOP : C_RESTART;
		mon_event(m, r.op == CTL_STOP ? "stop" : "restart", NULL, NULL);
		mon_stop(m, r.signal ? r.signal : m->l->stop_signal, r.timeout >= 0 ? r.timeout : m->l->stop_timeout,
			 r.op == CTL_RESTART);
	} else if (r.op == CTL_KILL && idle)
		do_kill(m, c, r.signal ? r.signal : SIGKILL);
	else if (r.op == CTL_WAIT && idle)
		c->kind = C_WAIT;
	else if ((r.op == CTL_PAUSE || r.op == CTL_UNPAUSE) && idle)
		do_pause(m, c, r.op == CTL_PAUSE);
	else if (r.op == CTL_TOP && idle)
		do_top(m, c);
	else
		mon_reply(c, CEV_ERROR, "not now: this connection is busy", NULL);
	qp_process_free(&p);
}

static void on_client(struct watch *w, uint32_t ev)
{
	struct client *c = w->ctx;
	static char buf[CTL_MSG_MAX + 1];
	int fds[3];
	ssize_t n = ctl_recv(c->fd, buf, sizeof buf, fds);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		c->dead = true; /* gone: an exec goes on without it, its output discarded */
		return;
	}
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0) {
			io_close(&c->io[i]);
			c->io[i] = fds[i];
		}
	request(c->m, c, buf, (size_t)n);
}

static void on_listen(struct watch *w, uint32_t ev)
{
	struct monitor *m = w->ctx;
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (!ctl_peer_ok(fd)) {
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];
		if (c->used)
			continue;
		*c = (struct client){ .used = true, .fd = fd, .m = m, .io = { -1, -1, -1 },
				      .w = { .fd = fd, .want = EPOLLIN, .on = on_client, .ctx = c } };
		return;
	}
	close(fd); /* too many at once */
}

void mon_listen(struct monitor *m)
{
	m->w_listen = (struct watch){ .fd = m->listen_fd, .want = EPOLLIN, .on = on_listen, .ctx = m };
}

void mon_clients_turn(struct monitor *m)
{
	m->w_listen.want = EPOLLIN;
	loop_sync(&m->s.loop, &m->w_listen);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];
		if (!c->used)
			continue;
		if (c->dead && c->kind != C_EXEC) {
			client_close(m, c);
			continue;
		}
		c->w.want = c->dead ? 0 : EPOLLIN;
		loop_sync(&m->s.loop, &c->w);
	}
}

/* The session's loop is closing: forget its watches (clients stay, for
 * the next boot or for finish to answer). */
void mon_clients_drop(struct monitor *m)
{
	loop_drop(&m->s.loop, &m->w_listen);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (!m->clients[i].used)
			continue;
		loop_drop(&m->s.loop, &m->clients[i].w);
		if (m->clients[i].dead || m->clients[i].kind == C_IDLE)
			client_close(m, &m->clients[i]);
	}
}
