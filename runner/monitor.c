/*
 * monitor.c: a detached VM's monitor, podman's conmon for a VM: one small
 * process per VM (`qpod run -d`), no daemon. It owns the VM's qemu, its
 * session (session.c, with hooks), the command's log (log.c) and its state
 * (state.c), restarts the command as its policy says (restart.c), and
 * answers qpod's commands on the control socket (ctlmsg.c):
 *
 *   client -> monitor                         monitor -> client
 *   {"op":"exec","process":{...}} + fds       {"event":"started"} or
 *     (EXECCMD's process; fds: stdin?,          {"event":"error","message":M};
 *     stdout, stderr)                           then {"event":"exit","status":N,"signal":S}
 *   {"op":"signal","signal":N}                (to that exec)
 *   {"op":"winsize","rows":R,"columns":C}     (to that exec)
 *   {"op":"stop","timeout":T[,"signal":N]}    {"event":"exit",...} once the VM is gone
 *   {"op":"kill","signal":N}                  {"event":"ok"}
 *   {"op":"wait"}                             {"event":"exit",...} once the command is over for good
 *
 * The parent (`run -d`) learns the start on ready_fd: one line, "0" once
 * the command runs, else "STATUS reason" (125, 126, 127). If the monitor is
 * killed, qemu goes with it (PR_SET_PDEATHSIG) and the lock it held is
 * free, so ps shows the VM as exited (monitor lost).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "json.h"
#include "runner.h"

#define MAX_CLIENTS 64
#define VM_STABLE     10.0  /* s: a VM that ran this long resets the failure count (docker's 10 s) */
#define VM_FAILS_MAX  5     /* VM-level failures in a row before restarts stop */
enum { C_IDLE, C_EXEC, C_WAIT, C_STOP };

struct client {
	bool used, dead;
	int fd;
	struct watch w;
	int kind;
	char proc[QP_ID_MAX];
	int io[3];
	struct monitor *m;
};

struct monitor {
	struct launch *l;
	const char *dir;
	struct vmstate *st;
	struct session s;
	struct session_result res;
	struct restart policy;
	struct log log;
	int lock, ready_fd, listen_fd;
	struct watch w_listen;
	struct client clients[MAX_CLIENTS];
	unsigned execs;
	uint64_t next_seq;
	bool stopped;          /* qpod stop or kill: no restart */
	bool over;             /* the command ended for good */
	double restart_at;
	int status;
};

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void set_status(struct monitor *m, const char *status)
{
	struct qerr err;
	snprintf(m->st->status, sizeof m->st->status, "%s", status);
	m->st->qemu_pid = m->l->vm.pid;
	snprintf(m->st->boot, sizeof m->st->boot, "%s", m->l->boot.restored ? "restore" : "cold");
	state_save(m->dir, m->st, &err);
}

static void ready(struct monitor *m, int status, const char *why)
{
	if (m->ready_fd < 0)
		return;
	dprintf(m->ready_fd, "%d %s\n", status, why ? why : "");
	io_close(&m->ready_fd);
}

/* ---- replies --------------------------------------------------------------- */

static void reply(struct client *c, const char *event, const char *message, const struct qp_exit *x)
{
	struct jw w;
	const char *json;
	size_t len;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "event", event);
	if (message)
		jw_kv_str(&w, "message", message);
	if (x) {
		jw_kv_int(&w, "status", x->status);
		jw_kv_int(&w, "signal", x->signal);
		jw_kv_bool(&w, "oom", x->oom);
		jw_kv_str(&w, "error", x->error);
	}
	jw_end(&w);
	if (jw_done(&w, &json, &len) == 0 && ctl_send(c->fd, json, len, NULL, 0) < 0)
		c->dead = true;
	jw_free(&w);
}

static void client_close(struct monitor *m, struct client *c)
{
	loop_drop(&m->s.loop, &c->w);
	io_close(&c->fd);
	for (int i = 0; i < 3; i++)
		io_close(&c->io[i]);
	c->used = false;
}

/* ---- requests -------------------------------------------------------------- */

/* An exec takes the container's environment, user and workdir unless it
 * gives its own (docker exec's rules). */
static int exec_start(struct monitor *m, struct client *c, struct json *j, char *buf, size_t n)
{
	struct qp_process p;
	struct qerr err;
	if (qp_exec_read((const uint8_t *)buf, n, &p, &err) < 0) {
		reply(c, "error", err.msg, NULL);
		return -EINVAL;
	}
	const struct qp_process *base = &m->l->proc;
	size_t nb = 0, ne = 0;
	while (base->env && base->env[nb])
		nb++;
	while (p.env && p.env[ne])
		ne++;
	char **env = calloc(nb + ne + 1, sizeof *env);
	if (!env) {
		qp_process_free(&p);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < nb; i++) {
		size_t klen = strcspn(base->env[i], "=") + 1, x;
		for (x = 0; x < ne && strncmp(p.env[x], base->env[i], klen); x++)
			;
		if (x == ne)
			env[k++] = base->env[i];
	}
	for (size_t i = 0; i < ne; i++)
		env[k++] = p.env[i];
	char id[QP_ID_MAX];
	snprintf(id, sizeof id, "exec-%u", ++m->execs);
	struct qp_process run = p;
	run.id = id;
	run.env = env;
	run.workdir = p.workdir ? p.workdir : base->workdir;
	run.user = p.user && *p.user ? p.user : base->user;
	run.stdio_seq = m->next_seq;
	run.stderr_seq = p.terminal ? 0 : m->next_seq + 1;
	m->next_seq += 2;
	struct relay_spec rs = { .in = p.stdin_open ? c->io[0] : -1, .out = c->io[1], .err = c->io[2],
				 .seq = run.stdio_seq, .seq_err = run.stderr_seq, .tty = p.terminal };
	int e = c->io[1] < 0 || (!p.terminal && c->io[2] < 0)
			? qerr_set(&err, EINVAL, "exec needs its stdout and stderr") : session_exec(&m->s, &run, &rs, c, &err);
	free(env); /* the strings are p's: qp_process_free frees them */
	qp_process_free(&p);
	if (e) {
		reply(c, "error", err.msg, NULL);
		return e;
	}
	c->kind = C_EXEC;
	snprintf(c->proc, sizeof c->proc, "%s", id);
	(void)j;
	return 0;
}

static int64_t num(struct json *j, const char *key, int64_t dflt)
{
	int64_t v;
	return json_int(j, json_get(j, 0, key), &v) == 0 ? v : dflt;
}

static void request(struct monitor *m, struct client *c, char *buf, size_t n)
{
	struct json j;
	if (json_parse_alloc(&j, buf, n) < 0 || j.t[0].type != JSON_OBJECT) {
		if (j.t)
			json_free(&j);
		reply(c, "error", "the request is not a JSON object", NULL);
		return;
	}
	int op = json_get(&j, 0, "op");
	if (json_eq(&j, op, "exec") && c->kind == C_IDLE) {
		exec_start(m, c, &j, buf, n);
	} else if (json_eq(&j, op, "signal") && c->kind == C_EXEC) {
		int64_t sig = num(&j, "signal", 0);
		if (sig > 0 && sig <= 64)
			session_signal(&m->s, c->proc, (int)sig);
	} else if (json_eq(&j, op, "winsize") && c->kind == C_EXEC) {
		int64_t r = num(&j, "rows", 0), col = num(&j, "columns", 0);
		if (r > 0 && r <= 65535 && col > 0 && col <= 65535)
			session_winsize(&m->s, c->proc, (uint16_t)r, (uint16_t)col);
	} else if (json_eq(&j, op, "stop") && c->kind == C_IDLE) {
		int64_t t = num(&j, "timeout", -1), sig = num(&j, "signal", m->l->stop_signal);
		m->stopped = true;
		m->restart_at = 0;
		c->kind = C_STOP;
		if (strcmp(m->st->status, "exited"))
			set_status(m, "stopping");
		if (session_proc(&m->s, "init"))
			session_stop(&m->s, sig > 0 && sig <= 64 ? (int)sig : SIGTERM, t >= 0 ? (double)t : m->l->stop_timeout);
		else
			session_destroy(&m->s); /* between restarts: nothing runs */
	} else if (json_eq(&j, op, "kill") && c->kind == C_IDLE) {
		int64_t sig = num(&j, "signal", SIGKILL);
		m->stopped = true;
		m->restart_at = 0;
		if (sig > 0 && sig <= 64)
			session_signal(&m->s, "init", (int)sig);
		reply(c, "ok", NULL, NULL);
	} else if (json_eq(&j, op, "wait") && c->kind == C_IDLE) {
		c->kind = C_WAIT;
	} else {
		reply(c, "error", "unknown request, or not now", NULL);
	}
	json_free(&j);
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

/* ---- the session's hooks ------------------------------------------------------ */

static void h_started(void *ctx, struct sproc *p, const char *why)
{
	struct monitor *m = ctx;
	if (!strcmp(p->id, "init")) {
		if (why)
			ready(m, EXIT_QPOD, why);
		return;
	}
	struct client *c = p->owner;
	if (c && c->used)
		reply(c, why ? "error" : "started", why, NULL);
}

static void h_running(void *ctx, struct sproc *p)
{
	struct monitor *m = ctx;
	if (strcmp(p->id, "init"))
		return;
	m->st->started = wall_ns();
	set_status(m, "running");
	ready(m, 0, NULL);
}

static enum session_end h_ended(void *ctx, struct sproc *p)
{
	struct monitor *m = ctx;
	if (strcmp(p->id, "init")) {
		struct client *c = p->owner;
		if (c && c->used) {
			struct qp_exit gone = { .status = EXIT_QPOD };
			snprintf(gone.error, sizeof gone.error, "the VM stopped before the command finished");
			reply(c, "exit", NULL, p->exited ? &p->exit : &gone);
			for (int i = 0; i < 3; i++)
				io_close(&c->io[i]);
			c->kind = C_IDLE;
		}
		return END_DESTROY;
	}
	const struct qp_exit *x = &p->exit;
	m->st->exit_code = x->status;
	m->st->signal = x->signal;
	m->st->oom = x->oom;
	m->st->finished = wall_ns();
	if (!p->running) {
		/* It never ran (exec failed: 126, 127): no restart, as docker. */
		ready(m, x->status ? x->status : EXIT_QPOD, *x->error ? x->error : "the command did not start");
		snprintf(m->st->error, sizeof m->st->error, "%s", x->error);
		return END_DESTROY;
	}
	if (p->exited && restart_wanted(&m->policy, x->status, m->stopped, m->st->restarts)) {
		m->restart_at = now_s() + restart_delay(m->st->restarts);
		set_status(m, "restarting");
		return END_KEEP;
	}
	return END_DESTROY;
}

static bool h_signal(void *ctx, int sig)
{
	struct monitor *m = ctx;
	if (sig == SIGTERM || sig == SIGINT) { /* the monitor itself is asked to stop */
		m->stopped = true;
		m->restart_at = 0;
		if (session_proc(&m->s, "init"))
			session_stop(&m->s, m->l->stop_signal, m->l->stop_timeout);
		else
			session_destroy(&m->s);
	}
	return true; /* nothing reaches the command by signalling the monitor */
}

static double h_turn(void *ctx)
{
	struct monitor *m = ctx;
	if (m->restart_at && now_s() >= m->restart_at) {
		struct qerr err;
		m->restart_at = 0;
		m->st->restarts++;
		if (session_restart(&m->s, &err) < 0)
			session_destroy(&m->s);
	}
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
	return m->restart_at;
}

/* ---- the monitor's life ------------------------------------------------------- */

static void finish(struct monitor *m, int e)
{
	struct qp_exit x = { .status = m->st->exit_code, .signal = m->st->signal, .oom = m->st->oom };
	if (e && !m->res.have_exit) {
		x.status = EXIT_QPOD;
		snprintf(m->st->error, sizeof m->st->error, "%s", m->l->err.msg);
		ready(m, EXIT_QPOD, m->l->err.msg);
	}
	m->st->qemu_pid = 0;
	if (!m->st->finished)
		m->st->finished = wall_ns();
	set_status(m, "exited");
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];
		if (c->used && (c->kind == C_WAIT || c->kind == C_STOP))
			reply(c, "exit", NULL, &x);
		if (c->used)
			client_close(m, c);
	}
}

int monitor_run(struct launch *l, const char *dir, struct vmstate *st, int ready_fd)
{
	static struct monitor m;
	struct qerr *err = &l->err;
	m = (struct monitor){ .l = l, .dir = dir, .st = st, .ready_fd = ready_fd, .listen_fd = -1, .next_seq = 3 };
	restart_parse(l->o.restart, &m.policy);
	char logpath[4200];
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	int e = 0;
	if ((m.lock = state_lock(dir)) < 0)
		e = qerr_set(err, EBUSY, "%s: another monitor holds this VM", dir);
	if (!e)
		e = log_open(&m.log, logpath, l->o.log_max ? l->o.log_max : 10u << 20, err);
	if (!e && (m.listen_fd = ctl_listen(dir, err)) < 0)
		e = m.listen_fd;
	st->monitor_pid = getpid();
	sigset_t sigs;
	session_signals(&sigs, true);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	bool again = !e;
	unsigned vm_fails = 0;
	while (again) {
		again = false;
		set_status(&m, "starting");
		m.res = (struct session_result){ .t.qemu_start = now_s() };
		if ((e = launch_boot(l)))
			break;
		struct session_spec ss;
		struct relay_spec io = { .in = -1, .out = -1, .err = -1, .seq = QP_SEQ_STDIO, .seq_err = QP_SEQ_STDERR,
					 .tty = l->o.tty, .log = &m.log };
		launch_spec(l, &ss, &io);
		ss.sig_proxy = true;
		m.w_listen = (struct watch){ .fd = m.listen_fd, .want = EPOLLIN, .on = on_listen, .ctx = &m };
		if (!(e = session_open(&m.s, &ss, &m.res, err))) {
			m.s.hooks = (struct session_hooks){ .ctx = &m, .started = h_started, .running = h_running,
							    .ended = h_ended, .signal = h_signal, .turn = h_turn };
			set_status(&m, "starting");
			e = session_loop(&m.s);
		}
		loop_drop(&m.s.loop, &m.w_listen);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (m.clients[i].used)
				loop_drop(&m.s.loop, &m.clients[i].w);
		session_close(&m.s);
		vm_close(&l->vm);
		/* The guest itself died under a command that was running: boot
		 * again if the policy says so (a stop never comes back), after
		 * docker's growing delay; a VM that keeps failing within
		 * VM_STABLE seconds of its boot is given up after VM_FAILS_MAX. */
		vm_fails = now_s() - m.res.t.qemu_start >= VM_STABLE ? 1 : vm_fails + 1;
		if (e && m.st->started && !m.stopped && vm_fails < VM_FAILS_MAX &&
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
	log_close(&m.log);
	io_close(&m.listen_fd);
	char sock[4200];
	snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
	unlink(sock);
	io_close(&m.lock);
	return 0;
}
