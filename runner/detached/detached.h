/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detached.h: detached VMs, `qpod run -d` and named runs (runner/detached/),
 * with no daemon: each VM has a private state directory (state.c) holding
 * its config.json (vmconfig.c), and a monitor process (monitor.c, with
 * monctl.c and monhealth.c behind monitor.h) that keeps the VM, logs its
 * output (session/log.c), runs its health checks, tells systemd
 * (notify.c), restarts it by its policy (runner.h's restart) and answers
 * qpod's commands over a control socket (ctlmsg.c is the wire, ctlreq.c
 * the messages). A monitor runs a launch (runner.h) and its session.
 */
#ifndef QPOD_DETACHED_H
#define QPOD_DETACHED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runner.h"
#include "session/session.h"

/* state.c: detached VMs, one private directory each, no daemon. */
struct vmstate {
	char id[65], name[64];
	char image[512], command[1024], restart[40];   /* ports: config.json's PortBindings */
	char status[16];   /* created, starting, running, restarting, stopping, exited */
	char boot[16];     /* how its VM came up: restore (a template) or cold */
	int exit_code, signal;
	bool oom, monitor_lost;
	bool paused;       /* qpod pause: its qemu is stopped */
	bool stopped_by_user;  /* qpod stop or kill ended it (podman's StoppedByUser) */
	char health[12];   /* "" (no check), starting, healthy, unhealthy */
	int failing_streak;
	unsigned restarts;
	pid_t monitor_pid, qemu_pid;
	int64_t created, started, finished;   /* CLOCK_REALTIME ns */
	char error[256];
};
int state_root(char *out, size_t cap, struct qerr *err);
/* Claim NAME (NULL: a generated one) and make the VM's directory. */
int state_new(const char *name, struct vmstate *st, char *dir, size_t cap, struct qerr *err);
/* By name, id, or a unique id prefix. */
int state_find(const char *ref, char *dir, size_t cap, struct vmstate *st, struct qerr *err);
int state_save(const char *dir, const struct vmstate *st, struct qerr *err);
int state_load(const char *dir, struct vmstate *st, struct qerr *err);
int state_json(struct jw *w, const struct vmstate *st);
int state_each(int (*fn)(void *ctx, const char *dir, const struct vmstate *st), void *ctx, struct qerr *err);
/* The monitor's lock (an fd it keeps), and whether someone holds it. */
int state_lock(const char *dir);
bool state_alive(const char *dir);
int state_remove(const char *dir, const struct vmstate *st, struct qerr *err);

/* ctlmsg.c: the monitor's control socket: one JSON object per
 * SOCK_SEQPACKET message, with up to 3 fds (an exec's stdio) beside it. */
#define CTL_MSG_MAX 65536
int ctl_listen(const char *dir, struct qerr *err);
int ctl_connect(const char *dir, struct qerr *err);
int ctl_send(int fd, const char *json, size_t len, const int *fds, int nfds);
/* A message into buf (NUL-terminated); fds filled with what came (-1 for
 * none). The length, 0 at EOF, or -errno. */
ssize_t ctl_recv(int fd, char *buf, size_t cap, int fds[3]);
/* The peer is this user (or root): SO_PEERCRED. */
bool ctl_peer_ok(int fd);

/* ctlreq.c: the requests and replies on that socket (its header lists them). */
enum ctl_op { CTL_EXEC, CTL_SIGNAL, CTL_WINSIZE, CTL_STOP, CTL_KILL, CTL_WAIT, CTL_RESTART, CTL_PAUSE,
	      CTL_UNPAUSE, CTL_TOP };
struct ctl_req {
	enum ctl_op op;
	int signal;            /* signal, kill, stop: 0 for the VM's default */
	double timeout;        /* stop, restart: -1 for the VM's own */
	uint16_t rows, cols;   /* winsize */
	bool detach;           /* exec -d: the client goes once it runs */
	const struct qp_process *exec;  /* exec (sending) */
};
int ctl_req_send(int fd, const struct ctl_req *r, const int *fds, int nfds);
/* An exec's process goes to p (the caller frees it with qp_process_free). */
int ctl_req_read(const char *buf, size_t n, struct ctl_req *r, struct qp_process *p, struct qerr *err);
enum ctl_event { CEV_OK, CEV_ERROR, CEV_STARTED, CEV_RUNNING, CEV_EXIT, CEV_TOP };
struct ctl_rep {
	enum ctl_event ev;
	char message[512];     /* an error's */
	struct qp_exit exit;   /* exit: status, signal, oom, error */
	char *top;             /* top: {"Titles":[...],"Processes":[[...]]} as JSON text */
};
int ctl_rep_send(int fd, const struct ctl_rep *r);
/* Read a reply out of buf (top points into it); -EPROTO when it is not one. */
int ctl_rep_read(char *buf, size_t n, struct ctl_rep *r);

/* vmconfig.c: ROOT/ID/config.json, docker's Config, HostConfig and Mounts
 * of the VM and the run's argv (NULL-terminated) to boot it again. */
int vmconfig_write(const char *dir, const struct launch *l, char **argv, struct qerr *err);

/* monitor.c: a VM's monitor: a detached VM's (ready_fd gets "0" or "STATUS
 * reason"), or a named foreground run's (our stdio; signals go to the
 * command as in any foreground run; no restart). res: the command's result. */
struct monitor_spec {
	const char *dir;
	int ready_fd;              /* -1: none */
	bool foreground;
	const struct relay_spec *io;  /* foreground: the command's stdio */
};
int monitor_run(struct launch *l, const struct monitor_spec *ms, struct vmstate *st, struct session_result *res);

/* notify.c: systemd's sd_notify: a datagram to $NOTIFY_SOCKET (a path, or
 * @abstract), e.g. "READY=1\nMAINPID=N"; 0 when there is no socket. */
int sd_notify_send(const char *text);

#endif
