/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc.c: start the container's processes and learn how they ended. Each
 * has a slot (hs->procs) from its start until its exit event is sent.
 *
 * stdio is three pipes, or one pty when the host asks for a terminal (the
 * slave is opened with TIOCGPTPEER, so no path is involved). The child gets
 * its own session. When it is reaped, every other process in the VM is
 * killed (a container ends with its main process, as in docker), which also
 * closes the last writers of the pipes so the streams reach EOF. The exit
 * event goes to the host once the output streams have ended.
 *
 * The child is cloned as vfork does (CLONE_VM | CLONE_VFORK, on a stack of
 * its own): it shares PID 1's memory and PID 1 waits until its execve or
 * exit, so no page table is copied and no page of PID 1's is copied on
 * write just to be thrown away at exec (under TCG, fork's and exec's memory
 * work is a large part of a run's start). exec.c says what the child may do.
 *
 * A container with a PID namespace (a detached VM's, as docker's): its
 * command is cloned into a new one (CLONE_NEWPID) and is PID 1 there, with
 * PID 1's rules (a signal it has no handler for is not delivered; SIGKILL
 * from outside still is), and a /proc of its own; every other process of
 * the container is cloned into that namespace (setns around the clone) for
 * as long as the command lives.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

uint64_t oom_kills(void)
{
	char buf[8192];
	if (io_read_text(open("/proc/vmstat", O_RDONLY | O_CLOEXEC), buf, sizeof buf) <= 0)
		return 0;
	char *p = strstr(buf, "\noom_kill ");
	return p ? strtoull(p + 10, NULL, 10) : 0;
}

static int open_pty(const struct qp_process *spec, int *master, int *slave, struct qerr *err)
{
	int unlock = 0;
	*master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (*master < 0)
		return qerr_sys(err, errno, "open /dev/pts/ptmx");
	if (ioctl(*master, TIOCSPTLCK, &unlock) < 0 ||
	    (*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		int e = errno;
		io_close(master);
		return qerr_sys(err, e, "open the pty");
	}
	struct winsize ws = { .ws_row = spec->rows ? spec->rows : 24, .ws_col = spec->cols ? spec->cols : 80 };
	ioctl(*master, TIOCSWINSZ, &ws);
	return 0;
}

/* The parent's ends: in_fd, out, err. The child's: fds[0..2]. */
static int open_stdio(struct proc *p, const struct qp_process *spec, int child[3], struct qerr *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	if (spec->terminal) {
		int m = -1, s = -1;
		int e = open_pty(spec, &m, &s, err);
		if (e)
			return e;
		p->out.fd = m;
		p->in_fd = spec->stdin_open ? fcntl(m, F_DUPFD_CLOEXEC, 0) : -1;
		/* Without -i the terminal is still stdin (as in docker); nothing types on it. */
		child[0] = child[1] = child[2] = s;
		return 0;
	}
	if ((spec->stdin_open ? pipe2(in, O_CLOEXEC) : 0) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(er, O_CLOEXEC) < 0) {
		int e = errno;
		int *all[] = { &in[0], &in[1], &out[0], &out[1], &er[0], &er[1] };
		for (int i = 0; i < 6; i++)
			io_close(all[i]);
		return qerr_sys(err, e, "create stdio pipes");
	}
	child[0] = spec->stdin_open ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
	child[1] = out[1];
	child[2] = er[1];
	p->in_fd = in[1];
	p->out.fd = out[0];
	p->err.fd = er[0];
	if (p->in_fd >= 0)
		io_nonblock(p->in_fd, 1);
	io_nonblock(p->out.fd, 1);
	io_nonblock(p->err.fd, 1);
	return 0;
}

static bool seq_taken(struct hs *hs, uint64_t seq)
{
	for (unsigned i = 0; seq && i < QP_MAX_PROCS; i++) {
		const struct proc *p = &hs->procs[i];
		if (p->used && (p->out.seq == seq || p->err.seq == seq))
			return true;
	}
	return false;
}

struct proc *proc_find(struct hs *hs, const char *id)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (hs->procs[i].used && !hs->procs[i].reaped && !strcmp(hs->procs[i].id, id))
			return &hs->procs[i];
	return NULL;
}

/* A free slot for a new process, its id and streams checked against the
 * processes alive (or not yet reported). */
static struct proc *proc_new(struct hs *hs, const struct qp_process *spec, struct qerr *err)
{
	const char *id = spec->id && *spec->id ? spec->id : "init";
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (hs->procs[i].used && !strcmp(hs->procs[i].id, id)) {
			qerr_set(err, EEXIST, "process %s exists already", id);
			return NULL;
		}
	if (seq_taken(hs, spec->stdio_seq) || seq_taken(hs, spec->stderr_seq)) {
		qerr_set(err, EEXIST, "stream %llu or %llu is in use", (unsigned long long)spec->stdio_seq,
			 (unsigned long long)spec->stderr_seq);
		return NULL;
	}
	for (unsigned i = 0; i < QP_MAX_PROCS; i++) {
		struct proc *p = &hs->procs[i];
		if (p->used)
			continue;
		*p = (struct proc){ .used = true, .slot = (int)i, .in_fd = -1, .errpipe = -1,
				    .terminal = spec->terminal, .in_seq = spec->stdio_seq,
				    .out = { .fd = -1, .seq = spec->stdio_seq, .credit = QP_WINDOW },
				    .err = { .fd = -1, .seq = spec->stderr_seq, .credit = QP_WINDOW } };
		snprintf(p->id, sizeof p->id, "%s", id);
		snprintf(p->exit.process, sizeof p->exit.process, "%s", id);
		return p;
	}
	qerr_set(err, EMFILE, "%u processes run already", QP_MAX_PROCS);
	return NULL;
}

struct child {
	const struct exec_plan *plan;
	const int *fds;       /* its stdin, stdout, stderr */
	int errfd;
};

/* One at a time: the parent is stopped until the child is done with it. */
static char child_stack[64 << 10] __attribute__((aligned(16)));

static int child_main(void *arg)
{
	const struct child *c = arg;
	setsid();
	if (c->plan->spec->terminal)
		ioctl(c->fds[1], TIOCSCTTY, 0);
	for (int i = 0; i < 3; i++)
		if (dup2(c->fds[i], i) < 0)
			_exit(126);
	exec_child(c->plan, c->errfd);
}

/* Where the next child goes: a new PID namespace for the command, the
 * command's for the others; 0, or -errno with err set. */
static int pidns_enter(struct hs *hs, bool init, int *flags, struct qerr *err)
{
	if (!hs->pidns)
		return 0;
	if (init) {
		*flags |= CLONE_NEWPID;
		return 0;
	}
	if (hs->init_ns < 0)
		return qerr_set(err, ESRCH, "the container's command is not running");
	if (hs->own_ns < 0 && (hs->own_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
		return qerr_sys(err, errno, "open the PID namespace");
	if (setns(hs->init_ns, CLONE_NEWPID) < 0)
		return qerr_sys(err, errno, "enter the container's PID namespace");
	return 0;
}

static void pidns_leave(struct hs *hs, bool init, pid_t pid)
{
	char path[64];
	if (!hs->pidns)
		return;
	if (!init) {
		if (setns(hs->own_ns, CLONE_NEWPID) < 0)
			log_err("leave the container's PID namespace: %s", strerror(errno));
		return;
	}
	io_close(&hs->init_ns);
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
	if (pid > 0 && (hs->init_ns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		log_err("open %s: %s", path, strerror(errno));
}

int proc_start(struct hs *hs, const struct qp_process *spec, struct qerr *err)
{
	int child[3] = { -1, -1, -1 }, ep[2], flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
	bool init = !spec->id || !*spec->id || !strcmp(spec->id, "init");
	struct proc *p = proc_new(hs, spec, err);
	if (!p)
		return -err->code;
	int e = open_stdio(p, spec, child, err);
	if (e) {
		p->used = false;
		return e;
	}	if (pipe2(ep, O_CLOEXEC) < 0) {
		e = qerr_sys(err, errno, "create the exec pipe");
		goto out;
	}
	io_nonblock(ep[0], 1);
	/* A fresh VM's first command: nothing has run that the OOM killer could
	 * have killed since setup counted (PID 1 aside). */
	p->oom_kills = hs->container_started ? oom_kills() : hs->oom_kills_setup;
	p->exit.started_ns = boottime_ns();
	struct exec_plan plan;
	if ((e = pidns_enter(hs, init, &flags, err))) {
		close(ep[0]);
		close(ep[1]);
		goto out;
	}
	exec_plan(&plan, spec);
	plan.new_proc = (flags & CLONE_NEWPID) != 0;
	struct child c = { .plan = &plan, .fds = child, .errfd = ep[1] };
	pid_t pid = clone(child_main, child_stack + sizeof child_stack, flags, &c);
	int clone_errno = errno;
	pidns_leave(hs, init, pid);
	exec_plan_free(&plan);
	close(ep[1]);
	if (pid < 0) {
		close(ep[0]);
		e = qerr_sys(err, clone_errno, "clone");
		goto out;
	}
	p->pid = pid;
	p->errpipe = ep[0];
	log_dbg("started pid %d (%s)", pid, spec->args[0]);
out:
	/* The child's ends are the child's alone now. */
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0 && (i == 0 || child[i] != child[i - 1]))
			close(child[i]);
	if (e) {
		io_close(&p->in_fd);
		io_close(&p->out.fd);
		io_close(&p->err.fd);
		p->used = false;
	}
	/* Errors come before anything was registered with epoll: plain closes suffice. */
	return e;
}

/* The exec pipe speaks: EOF alone means the command runs (the started
 * event goes to the host: `qpod run -d` waits for it); a reason means exec
 * failed, and the exit event (126 or 127) will carry it. */
void proc_exec_result(struct hs *hs, struct proc *p)
{
	struct qp_exit *x = &p->exit;
	/* Said already: the reap read it, and this is the pipe's event of the
	 * same epoll batch, for an fd closed since. */
	if (p->exec_known)
		return;
	ssize_t n = io_read(p->errpipe, x->error, sizeof x->error - 1);
	if (n == -EAGAIN)
		return;
	x->error[n > 0 ? n : 0] = '\0';
	p->exec_known = true;
	ev_close(hs, EV_PROC(p->slot, IO_EXEC), &p->errpipe);
	if (n == 0) {
		struct jw w;
		const char *json;
		size_t len;
		jw_init(&w);
		if (qp_started_write(&w, "qpod", p->id) == 0 && jw_done(&w, &json, &len) == 0)
			qp_put_ctl(&hs->ctl_q, QP_PROCESSASYNCEVENT, json, len);
		jw_free(&w);
	}
}

static void record_exit(struct hs *hs, struct proc *p, int st)
{
	struct qp_exit *x = &p->exit;
	x->exited_ns = boottime_ns();
	if (WIFSIGNALED(st)) {
		x->signal = WTERMSIG(st);
		x->status = 128 + x->signal;
		x->oom = x->signal == SIGKILL && oom_kills() > p->oom_kills;
	} else {
		x->status = WEXITSTATUS(st);
	}
	if (!p->exec_known) /* the exec pipe is ready too: it said its part before the exit */
		proc_exec_result(hs, p);
	ev_close(hs, EV_PROC(p->slot, IO_EXEC), &p->errpipe);
	p->reaped = true;
	log_dbg("pid %d exited: status %d", p->pid, x->status);
}

static struct proc *by_pid(struct hs *hs, pid_t pid)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++)
		if (hs->procs[i].used && !hs->procs[i].reaped && hs->procs[i].pid == pid)
			return &hs->procs[i];
	return NULL;
}

void proc_reap(struct hs *hs)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			return;
		struct proc *p = by_pid(hs, pid);
		if (!p)
			continue; /* an orphan the container left behind */
		record_exit(hs, p, st);
		stdin_drop(hs, p);
		/* The container ends with its main process: every other one goes
		 * too, which also closes the last writers of the output pipes. */
		if (!strcmp(p->id, "init")) {
			kill(-1, SIGKILL);
			io_close(&hs->init_ns);
		}
	}
}

/* The exit event of each process that has ended and whose output streams
 * have all ended; then its slot is free. */
void proc_report(struct hs *hs)
{
	for (unsigned i = 0; i < QP_MAX_PROCS; i++) {
		struct proc *p = &hs->procs[i];
		if (!p->used || !p->reaped || !p->out.eof_sent || (!p->terminal && !p->err.eof_sent))
			continue;
		struct jw w;
		const char *json;
		size_t len;
		jw_init(&w);
		qp_exit_write(&w, "qpod", p->id, &p->exit);
		if (jw_done(&w, &json, &len) == 0 && qp_put_ctl(&hs->ctl_q, QP_PROCESSASYNCEVENT, json, len) == 0) {
			qp_queue_free(&p->in_q);
			p->used = false;
		}
		jw_free(&w);
	}
}

void proc_signal(struct hs *hs, const char *id, int sig)
{
	struct proc *p = proc_find(hs, id);
	if (p && p->pid > 0 && kill(p->pid, sig) < 0)
		log_dbg("kill %d %d: %s", p->pid, sig, strerror(errno));
}

void proc_winsize(struct hs *hs, const char *id, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	struct proc *p = proc_find(hs, id);
	if (p && p->terminal && p->out.fd >= 0)
		ioctl(p->out.fd, TIOCSWINSZ, &ws);
}
