/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hyperstart.h: state shared by the parts of the guest init.
 *
 * hyperstart is PID 1 of a qpod VM. It mounts the kernel filesystems, opens
 * the two virtio-serial ports, says READY and then serves the host over the
 * channel protocol (proto.h) in one epoll loop: control messages, stdio
 * streams with credit-based flow control, and SIGCHLD through a signalfd.
 * It runs one container per VM: a writable overlay (tmpfs upper) over the
 * read-only image root (a 9p share, or a bundle's squashfs disk), in which
 * it starts the container's command ("init", NEWCONTAINER) and, while the VM lives, more processes
 * (EXECCMD: `qpod exec`, or "init" again when a restart policy restarts
 * it). A detached VM's command is PID 1 of a PID namespace of its own, which
 * the others join (proc.c); TOP lists them (top.c). When "init" ends, every
 * other process of the container ends too.
 * A VM restored from a template (saved right after READY) gets RESUME
 * first: host entropy for the RNG and the host's clock (resume.c).
 *
 * After setup it never exits: errors are logged and answered with ERROR,
 * and the VM ends only through power_off() (DESTROYPOD, or a fatal error).
 */
#ifndef HYPERSTART_H
#define HYPERSTART_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

/* loop.c: the epoll set. A tag per watched fd (four per process slot:
 * its stdin, stdout, stderr, and the pipe that says whether exec worked); epoll's interest follows the state
 * (ev_update, once per turn of the loop in main.c), and a watched fd is
 * closed only through ev_close. */
enum { EV_CTL, EV_STREAM, EV_SIGNAL, EV_FIXED };
enum { IO_IN, IO_OUT, IO_ERR, IO_EXEC, IO_COUNT };
#define EV_PROC(slot, io) (EV_FIXED + IO_COUNT * (int)(slot) + (io))
#define EV_COUNT EV_PROC(QP_MAX_PROCS, 0)
struct hs;
void ev_update(struct hs *hs);
void ev_close(struct hs *hs, int tag, int *fd);

struct outstream {
	int fd;               /* pipe read end or pty master; -1 once at EOF */
	uint64_t seq;
	uint32_t credit;      /* bytes the host lets us send */
	bool eof_sent;
};

struct proc {
	bool used;            /* the slot holds a process (until its exit is reported) */
	int slot;
	char id[QP_ID_MAX];   /* "init": the container's command */
	pid_t pid;            /* 0 before the start */
	bool terminal;
	int in_fd;            /* stdin pipe write end or pty master; -1 when closed */
	uint64_t in_seq;
	struct qp_queue in_q; /* stdin from the host not yet written */
	bool in_eof;          /* the host ended stdin */
	uint32_t in_grant;    /* bytes delivered since the last credit grant */
	struct outstream out, err;
	int errpipe;          /* the child writes why exec failed; EOF alone: it ran */
	bool exec_known;      /* errpipe said (the started event is sent, or the error kept) */
	bool reaped, reported;
	uint64_t oom_kills;   /* /proc/vmstat oom_kill at the start */
	struct qp_exit exit;
};

struct hs {
	int epfd, sigfd, ctl, stream;
	int ev_fd[EV_COUNT];         /* fd registered with epoll per tag, or -1 */
	uint32_t ev_mask[EV_COUNT];  /* what epoll watches now, per tag */
	struct qp_reader ctl_r, stream_r;
	struct qp_queue ctl_q, stream_q;
	uint32_t peer_version;
	struct qp_pod pod;
	bool pod_started, container_started;
	bool pidns;                  /* the container's command is PID 1 of its own PID namespace */
	int init_ns;                 /* that namespace (an fd of /proc/PID/ns/pid) while it lives, or -1 */
	int own_ns;                  /* hyperstart's own PID namespace, to come back to after an exec's clone */
	uint64_t oom_kills_setup;    /* oom_kill at setup (the first command's count) */
	struct proc procs[QP_MAX_PROCS];
};

/* cmdline.c: the kernel command line (cmdline_load("/proc/cmdline") once, at setup). */
void cmdline_load(const char *path);
/* The value of NAME=VALUE ("" for a bare NAME) into val: 0, or -1 if absent
 * or longer than cap. */
int cmdline_get(const char *name, char *val, size_t cap);

/* log.c: quiet by default; "qpod.debug" on the kernel command line adds detail. */
extern int log_debug_on;
void log_init(void);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t boottime_ns(void);

/* port.c */
int port_open(const char *name);

/* etc.c: the pod's /etc files, seeded into the upper layer before the
 * overlay (etc_seed); or, for a root mounted at setup, placed empty there
 * (etc_place), held open through the overlay (etc_hold) and filled per pod
 * (etc_fill). */
void etc_seed(const struct qp_pod *pod);
void etc_place(bool resolv);
void etc_hold(void);
void etc_fill(const struct qp_pod *pod);

/* net.c */
int net_lo_up(void);
/* Before READY: the interface qpod.net= names, if any. */
int net_early(struct qerr *err);
int net_setup(const struct qp_net *n, struct qerr *err);

/* mount.c */
int mount_early(void);
/* Setup, after mount_early: the container's kernel filesystems and writable layer, ahead. */
int mount_stage(struct qerr *err);
/* The image root at /run/qpod/lower: the 9p share or the disk STARTPOD names. */
int mount_lower(const struct qp_pod *pod, struct qerr *err);
/* Setup, after mount_stage: the root qpod.root= names (a squashfs disk),
 * the overlay and the staged mounts in it, before READY. */
int mount_root_early(struct qerr *err);
int mount_container(const struct qp_container *c, const struct qp_pod *pod, struct qerr *err);
int mount_seal(const struct qp_container *c, struct qerr *err);

/* warm.c: the image files every run reads, into the page cache at setup. */
void warm_root(const char *root);

/* dev.c */
int dev_build(const char *dir, struct qerr *err);
int dev_shm_size(const struct qp_container *c, struct qerr *err);

/* ctl.c: dispatch what the host sent on the control port */
void ctl_input(struct hs *hs);
/* reply.c: one ACK or ERROR per message */
void ctl_reply(struct hs *hs, uint32_t type, const void *payload, size_t n);
void ctl_error(struct hs *hs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* stream.c */
void stream_input(struct hs *hs);
void stdin_pump(struct hs *hs, struct proc *p);
void stdout_pump(struct hs *hs, struct proc *p, struct outstream *o);
void stdin_drop(struct hs *hs, struct proc *p);
/* CLOSEOUTPUT: the host's reader of output stream seq is gone. */
void stdout_close(struct hs *hs, uint64_t seq);

/* proc.c and exec.c */
uint64_t oom_kills(void);   /* /proc/vmstat oom_kill */
int proc_start(struct hs *hs, const struct qp_process *spec, struct qerr *err);
void proc_reap(struct hs *hs);
void proc_exec_result(struct hs *hs, struct proc *p);
void proc_report(struct hs *hs);
struct proc *proc_find(struct hs *hs, const char *id);   /* a running one */
void proc_signal(struct hs *hs, const char *id, int sig);
void proc_winsize(struct hs *hs, const char *id, uint16_t rows, uint16_t cols);

/* inroot.c: the container's root (/run/qpod/root) and paths inside it */
extern const char *const container_root;
/* Open PATH as the container sees it from ROOTFD; an fd or -errno. */
int root_open(int rootfd, const char *path, int flags);
/* mkdir -p PATH inside the root; an O_PATH fd of it. */
int root_mkdirs(const char *path, struct qerr *err);
/* Mount onto PATH inside the root, made if missing. */
int mount_in_root(const char *src, const char *path, const char *type, unsigned long flags,
		  const char *data, struct qerr *err);

/* user.c */
struct ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	char home[256];
};
/* ROOTFD: the container root, a directory fd. 0, or -ENOENT with why. */
int user_resolve(int rootfd, const char *spec, char *const *add, struct ids *ids, char *why, size_t whylen);
/* uid's name in the container's /etc/passwd, else the number: 0 or -ENOENT. */
int user_name(int rootfd, uid_t uid, char *out, size_t cap);
/* The root user's answer, resolved at setup (warm.c) and taken by the
 * lookups until user_warm_drop: once the container has a mount (it may
 * cover /etc), or once the first process runs (it may change the files). */
void user_warm(int rootfd);
void user_warm_drop(void);

/* exec.c: what the child needs, made before it exists; env NULL: it only
 * fails with why (126). */
struct exec_plan {
	const struct qp_process *spec;
	bool new_proc;          /* PID 1 of a new PID namespace: the container's /proc is made anew */
	struct ids ids;
	char **env;
	char home_kv[sizeof ((struct ids *)0)->home + 5];  /* HOME=, when the spec has none */
	char why[200];
};
void exec_plan(struct exec_plan *pl, const struct qp_process *spec);
void exec_plan_free(struct exec_plan *pl);
__attribute__((noreturn)) void exec_child(const struct exec_plan *pl, int errfd);

/* resume.c: RESUME (a VM restored from a template): reseed the RNG, set the clock. */
void resume(struct hs *hs, const struct qp_frame *f);

/* top.c: TOP's answer (ACK): the processes in the container's PID
 * namespace, or without one every process but PID 1 and the kernel's. */
void top_answer(struct hs *hs);

/* power.c */
__attribute__((noreturn)) void power_off(struct hs *hs);


#endif
