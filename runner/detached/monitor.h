/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monitor.h: the parts of a VM's monitor (monitor.c: its life and the
 * session's hooks; monops.c: what they all do to the VM and say of it;
 * monctl.c: the control socket's clients and requests; monhealth.c: the
 * health check). Private to them.
 */
#ifndef QPOD_MONITOR_H
#define QPOD_MONITOR_H

#include "detached.h"

#define MAX_CLIENTS 64

enum client_kind { C_IDLE, C_EXEC, C_WAIT, C_STOP, C_RESTART, C_TOP };

struct client {
	bool used, dead;
	int fd;
	struct watch w;
	enum client_kind kind;
	bool detach;           /* exec -d: goes once its process runs */
	unsigned ticket;       /* C_TOP: the order of the guest's answers */
	char proc[QP_ID_MAX];
	int io[3];
	struct monitor *m;
};

struct health {
	bool on;               /* the VM has a check (cfg) */
	struct healthcfg cfg;  /* docker's defaults filled in */
	double next_at;        /* when the next check starts; 0: none due */
	double deadline;       /* the running check's timeout */
	bool running, timed_out;
	unsigned n;            /* checks so far: their ids, health-N */
	int out_fd;            /* the running check's output (a memfd) */
	int64_t started_ns;
	struct health_log { int64_t start, end; int code; char out[4097]; } log[5];
	int nlog;
};

struct monitor {
	struct launch *l;
	const struct monitor_spec *ms;
	struct vmstate *st;
	struct session s;
	struct session_result *res;
	struct restart policy;
	struct log log;
	int lock, ready_fd, listen_fd;
	struct watch w_listen;
	struct client clients[MAX_CLIENTS];
	unsigned execs, tops_asked, tops_answered;
	uint64_t next_seq;
	bool stopped;          /* qpod stop, or a kill that ends the policy: no restart */
	bool again;            /* qpod restart: the command runs again once it ended */
	bool ready_sent;       /* sd_notify READY=1 */
	double restart_at;
	struct health h;
};

/* monops.c */
void mon_status(struct monitor *m, const char *status);
void mon_save(struct monitor *m);
void mon_event(struct monitor *m, const char *action, const char *attr, const char *value);
void mon_ready(struct monitor *m, int status, const char *why);
/* Stop the command (its stop signal, SIGKILL after timeout), or the VM if
 * nothing runs; again: run it once more after (qpod restart). */
void mon_stop(struct monitor *m, int sig, double timeout, bool again);
void mon_unpause(struct monitor *m);

/* monctl.c */
void mon_listen(struct monitor *m);
void mon_clients_turn(struct monitor *m);
void mon_clients_drop(struct monitor *m);
void mon_reply(struct client *c, enum ctl_event ev, const char *message, const struct qp_exit *x);
void mon_exec_started(struct monitor *m, struct sproc *p, const char *why);
void mon_exec_running(struct monitor *m, struct sproc *p);
void mon_exec_ended(struct monitor *m, struct sproc *p);
void mon_top_answer(struct monitor *m, const struct qp_frame *f, const char *error);
/* Tell every client waiting for kind (C_WAIT, C_STOP, C_RESTART) and close it. */
void mon_tell(struct monitor *m, enum client_kind kind, enum ctl_event ev, const struct qp_exit *x);

/* monhealth.c */
void health_init(struct monitor *m);
void health_reset(struct monitor *m);        /* the command (re)started: starting again */
double health_turn(struct monitor *m);       /* start or time out a check; its next deadline */
bool health_ended(struct monitor *m, struct sproc *p);  /* true if p was a check */
bool health_refused(struct monitor *m, struct sproc *p, const char *why);

#endif
