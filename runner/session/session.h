/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.h: the conversation with a booted VM's hyperstart over the
 * channel protocol (runner/session/). session.c runs its phases (version,
 * pod, start, the running processes, destroy) in one event loop (loop.c);
 * each process's stdio goes through a relay (relay.c) between the stream
 * port and our fds (fdio.c), the host terminal (tty.c) or a detached VM's
 * log (log.c); report.c tells how it went (--timings, --result). The VM
 * itself is vm/vm.h's; whoever owns a session (a foreground run, a detached
 * VM's monitor) adds to it through session_hooks.
 */
#ifndef QPOD_SESSION_H
#define QPOD_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vm/vm.h"

/* tty.c */
/* -t: the host terminal (stdin's, else stdout's) raw, when we are in its
 * foreground; 0 or -ENOTTY. */
int tty_raw_host(void);
void tty_restore(void);
int tty_size(uint16_t *rows, uint16_t *cols);

/* fdio.c: our stdin/stdout/stderr, non-blocking while the session runs
 * where epoll can watch them (not regular files or /dev/null). */
struct fdio {
	int fd;
	bool pollable;     /* epoll takes it; else it is always ready */
	int orig_flags;    /* to restore O_NONBLOCK; -1 when untouched */
};

void fdio_open(struct fdio *io, int fd, bool want);
void fdio_restore(struct fdio *io);

/* loop.c: the one event loop helper of the host side. */
struct watch {
	int fd;            /* -1: none */
	uint32_t want;     /* EPOLLIN/EPOLLOUT wanted now; 0: not watched */
	void (*on)(struct watch *w, uint32_t events);
	void *ctx;
	/* loop.c's own */
	bool in;
	int in_fd;
	uint32_t cur, ready;
};
struct loop {
	int epfd;
};
int loop_open(struct loop *l, struct qerr *err);
void loop_close(struct loop *l);
void loop_sync(struct loop *l, struct watch *w);
void loop_drop(struct loop *l, struct watch *w);
/* Wait up to timeout_ms (-1: no limit), call on() of each ready watch. */
int loop_wait(struct loop *l, int timeout_ms);

/* log.c: a detached VM's stdout/stderr log, records with timestamps, bounded. */
struct log {
	int fd;
	uint64_t size, max;
	char path[4096];
};
struct log_rec {
	int stream;        /* 1 stdout, 2 stderr */
	uint64_t time_ns;  /* CLOCK_REALTIME */
	const uint8_t *data;
	size_t len;
};
int log_open(struct log *l, const char *path, uint64_t max, struct qerr *err);
int log_write(struct log *l, int stream, const void *data, size_t n);
void log_close(struct log *l);
/* Every record, oldest first; fn returns non-zero to stop (returned). */
int log_read(const char *path, int (*fn)(void *ctx, const struct log_rec *r), void *ctx);
int log_read_file(const char *path, uint64_t *off, int (*fn)(void *ctx, const struct log_rec *r), void *ctx);

/* relay.c: one process's stdio relay between host fds and the stream port,
 * with credit both ways. Frames to send go to the shared tx queue. */
struct sink {          /* stdout or stderr */
	struct fdio io;
	uint64_t seq;
	int stream;        /* 1 or 2, for the log */
	struct qp_queue q;
	uint32_t grant;    /* written bytes not yet handed back as credit */
	bool eof;          /* the guest ended the stream */
	bool broken;       /* a write failed: discard from now on */
	bool gone, told;   /* it failed with EPIPE; relay_gone() has said so */
};

struct relay {
	struct qp_queue *tx;
	uint64_t seq;      /* stdin and stdout */
	struct fdio in;
	bool in_open;      /* the session lets stdin flow */
	bool in_done;      /* stdin ended (or is not forwarded) */
	uint32_t in_credit;
	struct sink out, err;
	struct log *log;   /* output goes here instead of out/err fds */
	double first_output;
};

struct relay_spec {
	int in, out, err;  /* host fds; in -1: no stdin; err unused with tty */
	uint64_t seq, seq_err;
	bool tty;
	struct log *log;
};

void relay_open(struct relay *r, struct qp_queue *tx, const struct relay_spec *rs);
bool relay_owns(const struct relay *r, uint64_t seq);
/* An output frame for one of its seqs. 0, or -EPROTO when the guest broke the rules. */
int relay_output(struct relay *r, const struct qp_frame *f, double now, struct qerr *err);
void relay_credit(struct relay *r, uint64_t seq, uint32_t bytes);
void relay_stdin(struct relay *r);
void relay_stdin_end(struct relay *r);
void relay_flush(struct relay *r, struct sink *k);
/* The fds epoll cannot watch are always ready: serve them. */
void relay_poll_free(struct relay *r);
bool relay_always_ready(const struct relay *r);
bool relay_wants_stdin(const struct relay *r);
bool relay_sink_pending(const struct sink *k);
/* Every output stream ended and all of it written. */
bool relay_done(const struct relay *r);
/* The seq of an output stream whose reader went away (EPIPE), once; or 0. */
uint64_t relay_gone(struct relay *r);
/* Write out what is queued, restore the fds (closing them is the owner's). */
void relay_close(struct relay *r);

/* session.c: the protocol conversation, its phases and its one loop. */
struct timings {
	double qemu_start, ready, guest_boot, started, first_output, exited, vm_gone;
};

struct session_result {
	int status;        /* exit code to return */
	struct qp_exit exit;
	bool have_exit;
	bool timed_out;
	long qemu_maxrss_kb;  /* qemu's peak RSS, when it exited on its own */
	struct timings t;
	struct bootinfo boot;
};

struct session_spec {
	struct vm *vm;
	const struct qp_pod *pod;
	const struct qp_container *container;
	const struct settings *set;
	struct relay_spec init_io;  /* the command's stdio: our fds, or a log */
	bool tty;
	bool sig_proxy;    /* forward SIGINT, SIGTERM, ... (else they end qpod) */
	int stop_signal;   /* for a graceful stop: the image's StopSignal or --stop-signal */
	double stop_timeout;  /* then SIGKILL (--stop-timeout, docker's 10 s) */
	const struct bootinfo *boot;  /* restored (hyperstart resumed: no READY), or cold */
	struct tmpl *save; /* a cold boot that saves this template at READY */
};

/* A process of the VM as the host sees it: "init" (the command) or an exec. */
struct sproc {
	bool used;
	char id[QP_ID_MAX];
	struct relay relay;
	struct watch w_in, w_out, w_err;
	bool started;      /* the guest acknowledged it */
	bool running;      /* its exec worked (the started event) */
	bool exited;       /* its exit event arrived */
	struct qp_exit exit;
	double t_started, t_exited;
	void *owner;       /* the hooks' business (a monitor's client) */
};

enum session_phase { PH_BOOT, PH_VERSION, PH_POD, PH_START, PH_RUNNING, PH_DESTROY };
enum session_end { END_DESTROY, END_KEEP };

/* What an owner adds to the session (a detached VM's monitor); all optional. */
struct session_hooks {
	void *ctx;
	/* The guest took a process (why NULL), or refused it (its slot is freed after). */
	void (*started)(void *ctx, struct sproc *p, const char *why);
	/* Its exec worked: the command runs. */
	void (*running)(void *ctx, struct sproc *p);
	/* A process ended and its output is out (p->exited), or the VM went
	 * first (!p->exited). For "init": END_DESTROY powers the VM off once
	 * every process is done; END_KEEP leaves it up (a restart comes). */
	enum session_end (*ended)(void *ctx, struct sproc *p);
	/* A signal from the signalfd besides SIGCHLD and SIGWINCH: true if taken. */
	bool (*signal)(void *ctx, int sig);
	/* Before each wait: set the owner's watches; its next deadline (0: none). */
	double (*turn)(void *ctx);
	/* The guest's answer to session_request (f: its ACK), or why it refused. */
	void (*answer)(void *ctx, uint32_t type, const struct qp_frame *f, const char *error);
};

#define SESSION_MAX_PENDING 128

struct session {
	const struct session_spec *s;
	struct session_result *res;
	struct qerr *err;
	struct session_hooks hooks;
	struct loop loop;
	struct watch w_sig, w_ctl, w_stream;
	struct qp_reader ctl_r, st_r;
	struct qp_queue ctl_q, tx;
	struct { uint32_t type; int slot; } pending[SESSION_MAX_PENDING];
	int npending;
	enum session_phase ph;
	double deadline;   /* of the current phase; 0: none */
	double stop_at;    /* --timeout; 0: none */
	double kill_at;    /* a stop's SIGKILL; 0: none */
	bool destroying;   /* power off once every process is done */
	struct sproc procs[QP_MAX_PROCS];
	bool qemu_gone;
	int qemu_status;
	int rc;            /* 0 while going; else the failure (negative errno) */
};

/* The foreground run: open, loop until the VM is gone, close. */
int session_run(const struct session_spec *s, struct session_result *res, struct qerr *err);
int session_open(struct session *s, const struct session_spec *spec, struct session_result *res, struct qerr *err);
int session_loop(struct session *s);
void session_close(struct session *s);
void session_signals(sigset_t *set, bool proxy);
/* While running: */
struct sproc *session_proc(struct session *s, const char *id);
int session_exec(struct session *s, const struct qp_process *spec, const struct relay_spec *rs, void *owner,
		 struct qerr *err);
void session_signal(struct session *s, const char *id, int sig);
void session_winsize(struct session *s, const char *id, uint16_t rows, uint16_t cols);
void session_stop(struct session *s, int sig, double timeout);
void session_destroy(struct session *s);
/* A request whose ACK the owner wants (hooks.answer): -ESRCH unless running. */
int session_request(struct session *s, uint32_t type, struct jw *w);
int session_restart(struct session *s, struct qerr *err);

/* report.c: --timings and --result. */
void report_timings(const struct session_result *r, FILE *out);
int report_result(const char *path, const struct session_result *r, const char *error, struct qerr *err);
/* Before the run: --result's file is new, or a regular file of ours. */
int report_check(const char *path, struct qerr *err);

#endif
