/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner.h: booting and running VMs, the host side under cli/'s commands.
 * Its concerns are folders, each with its header:
 *   vm/vm.h               one VM: vm.conf, qemu in its jail, templates
 *   session/session.h     the protocol conversation, the stdio relay, the log
 *   detached/detached.h   `qpod run -d`: state, monitor, control socket
 * Here is what is left, the plan of one run: the flags (opts.c, optval.c,
 * optdetach.c, and restart.c's policies, which --restart parses), IMAGE to
 * a root directory and a process (image.c; packer/ unpacks archives), and
 * a launch (launch.c) that turns them into everything a VM needs and boots
 * it. `qpod run` then runs a session in the foreground; `qpod run -d` hands
 * the launch to a monitor.
 * Exit codes: the command's own; 128+N when signal N killed it; 126/127
 * when it could not be run or found; 124 when --timeout expired; 125 when
 * qpod itself failed (a one-line reason on stderr).
 */
#ifndef QPOD_RUNNER_H
#define QPOD_RUNNER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "packer.h"
#include "proto.h"
#include "session/session.h"
#include "vm/vm.h"

#define EXIT_QPOD    125
#define EXIT_TIMEOUT 124

/* What the user asked for (opts.c). */
struct opts {
	char **env;        /* --env-file entries, then -e, as given ("K" alone: erase K) */
	size_t nenv, nfile_env;
	char *workdir, *user, *entrypoint;
	bool entrypoint_set;
	bool interactive, tty, debug, timings;
	struct volume *vols;
	size_t nvols;
	long memory_mb, cpus;
	double timeout;    /* 0: none */
	uint64_t max_bytes; /* packer limit; 0: its default */
	char *accel, *boot, *console, *kernel, *initrd, *platform, *result;
	char *cache_cmd;   /* --cache ls|prune */
	int pull;          /* --pull: enum pack_pull (missing, always, never) */
	bool no_tls_verify; /* --tls-verify=false */
	char *creds, *authfile; /* USER:PASSWORD (--creds USER --password-stdin), --authfile FILE */
	bool password_stdin;
	bool network;      /* --network user (default) rather than none */
	bool host_loopback; /* the guest may reach the host's loopback (net.c) */
	bool no_snapshot;  /* --no-snapshot: boot cold, whatever templates there are */
	bool network_set;  /* --network was given */
	char *verify_key;  /* --verify-key PUBKEY: a bundle must be signed by it */
	struct publish *ports;
	size_t nports;
	char **dns;        /* --dns, NULL-terminated */
	size_t ndns;
	struct qp_host *hosts;  /* --add-host */
	size_t nhosts;
	char *hostname;    /* -h */
	bool read_only;    /* --read-only */
	bool sig_proxy;    /* --sig-proxy (default true): forward signals to the command */
	int umask;         /* --umask, or -1 */
	uint64_t shm_size; /* --shm-size bytes, 0: default */
	struct qp_tmpfs *tmpfs;
	size_t ntmpfs;
	struct qp_rlimit *rlimits;
	size_t nrlimits;
	char **groups;     /* --group-add, NULL-terminated */
	size_t ngroups;
	bool detach;       /* -d: a monitor keeps the VM; print its id */
	bool rm;           /* --rm: a detached VM is removed once it ends */
	bool init;         /* --init: a detached VM's command is not PID 1 of its own namespace */
	char *name;        /* --name */
	char *restart;     /* --restart no|on-failure[:N]|always|unless-stopped */
	int stop_signal;   /* --stop-signal, 0: the image's, else SIGTERM */
	double stop_timeout;  /* --stop-timeout, -1: 10 s */
	uint64_t log_max;  /* --log-max-size, 0: the default */
	char **labels;     /* --label KEY=VALUE, NULL-terminated (optdetach.c) */
	size_t nlabels;
	struct healthcfg health;  /* --health-*: test NULL without --health-cmd; other fields -1 when not given */
	bool no_healthcheck;
	int attach;        /* --attach: bit 0 stdin, 1 stdout, 2 stderr; 0: docker's default (all) */
	char *sdnotify;    /* --sdnotify conmon|healthy|ignore; NULL: conmon when $NOTIFY_SOCKET is set */
	const char *image;
	char **cmd;        /* NULL-terminated, may be empty */
	char **argv;       /* the flags and arguments after `run`, NULL-terminated (qpod restart) */
};

/* The flags are flags.h's table; these parse a command line with it. */
int opts_parse(int argc, char **argv, struct opts *o);
/* The same for `qpod bundle`: a flag whose row a bundle may not take is
 * refused, named, before its value is looked at. */
int opts_parse_bundle(int argc, char **argv, struct opts *o);
/* What opts_parse allocated (env, vols); the rest points into argv. */
void opts_free(struct opts *o);

/* The memory a run (-m) or a bundle's launch config may ask for, in MiB. */
#define OPT_MEMORY_MIN_MB 64
#define OPT_MEMORY_MAX_MB (1024L * 1024)

/* optval.c: one flag's value each; 0, or -EINVAL after one line on stderr. */
int opt_bad(const char *fmt, const char *arg);
int opt_parse_bytes(const char *s, double *bytes);
/* A size from OPT_MEMORY_MIN_MB to OPT_MEMORY_MAX_MB, in MiB; else -ERANGE. */
int opt_parse_size_mb(const char *s, long *mb);
/* An -e, --env-file or launch config entry: K=V or K, K not empty, no blanks. */
bool opt_env_ok(const char *kv);
int opt_number(const char *flag, const char *s, double min, double max, double *out);
int opt_one_of(const char *flag, const char *v, const char *a, const char *b, const char *c);
int opt_bool(const char *flag, const char *v, bool *out);
int opt_add_volume(struct opts *o, const char *spec);
int opt_add_env(struct opts *o, const char *kv);
int opt_env_file(struct opts *o, const char *path);
int opt_add_publish(struct opts *o, const char *spec);
int opt_add_host(struct opts *o, const char *spec);
int opt_add_dns(struct opts *o, const char *ip);
int opt_set_hostname(struct opts *o, const char *name);
int opt_add_tmpfs(struct opts *o, const char *spec);
int opt_add_ulimit(struct opts *o, const char *spec);
int opt_set_user(struct opts *o, const char *spec);
int opt_add_group(struct opts *o, const char *g);
int opt_set_name(struct opts *o, const char *name);
int opt_set_restart(struct opts *o, const char *policy);
/* --creds USER (never a password in argv, which every local user reads);
 * then, once every flag is in, its password from stdin's first line. */
int opt_creds(const char *v, char **creds);
int opt_password(char **creds, bool from_stdin, bool interactive);
/* optdetach.c: labels, health checks, --attach, --sdnotify. */
int opt_add_label(struct opts *o, const char *kv);
int opt_health(struct opts *o, const char *which, const char *v);
int opt_attach(struct opts *o, const char *v);
int opt_sdnotify(struct opts *o, const char *v);
int opt_health_check(const struct opts *o);
/* The health check a VM runs, the flags over the image's, docker's defaults
 * filled in: 1, or 0 when it has none (out->test NULL). */
int health_config(const struct opts *o, const struct runcfg *img, struct healthcfg *out);

/* restart.c: docker's restart policies and their growing delay. */
struct restart {
	enum { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED } policy;
	unsigned max;      /* on-failure:N; 0: no limit */
};
int restart_parse(const char *s, struct restart *r);
/* After the command ended with status (stopped: by qpod stop or kill), the
 * restarts so far: whether to run it again. */
bool restart_wanted(const struct restart *r, int status, bool stopped, unsigned restarts);
/* The delay before restart number n+1: docker's 100 ms, doubling, at most 60 s. */
double restart_delay(unsigned n);

/* launch.c: the flags over c (the flags are the launch's, vm.conf the VM's). */
int conf_settings(const struct vmconf *c, const struct opts *o, struct settings *s, struct qerr *err);

/* image.c: IMAGE to a root directory and the process to run (packer.h). */
struct image;
int image_open(const struct opts *o, struct image *img, struct qerr *err);
int image_process(const struct opts *o, const struct image *img, char *hostenv, struct qp_process *p,
		  struct qerr *err);

/* launch.c: a VM's whole plan, resolved before it boots. */
struct launch {
	struct opts o;
	struct vmconf conf;
	struct settings set;   /* the flags over vm.conf */
	struct image img;
	struct qp_process proc;
	struct qp_pod pod;
	struct qp_container container;
	struct qp_host hosts[QP_MAX_HOSTS];
	struct qp_mount mounts[QP_MAX_MOUNTS];
	char tags[QP_MAX_MOUNTS][VM_TAG_MAX];
	char kernel[PATH_MAX], initrd[PATH_MAX], bios[PATH_MAX], cbfs[PATH_MAX];
	char hostname[64], hostenv[80];
	int stop_signal;
	double stop_timeout;
	/* Set by the caller before launch_prepare for a root on a disk (a
	 * bundle): its squashfs range, the vm.conf directory already loaded
	 * (conf_ready) and the image's run config in img.config. */
	int root_fd;           /* -1: the image root is a directory (9p) */
	uint64_t root_off, root_size;
	char root_digest[65];  /* sha256 of that range (verified): a template holds it mounted */
	int disk_fd;           /* a cache entry's root disk (rootdisk.c), ours to close; or -1 */
	char root_note[200];   /* bootinfo.root */
	char warm[128];        /* the image's default command, read at setup (qpod.warm=) */
	unsigned long tsc_khz; /* the host's TSC rate (tsc.c), or 0 */
	bool conf_ready;
	struct vm vm;
	struct tmpl tmpl;      /* the template of this VM's kind */
	bool saving;           /* the session saves it at READY */
	struct bootinfo boot;
	struct qerr err;
};
int launch_prepare(struct launch *l);
int launch_boot(struct launch *l);
/* `qpod warm`: save the template a run with these flags (and, with image,
 * of l->o.image) would restore (0 when it is there already); l->tmpl.key
 * names it. */
int launch_warm(struct launch *l, bool image);
void launch_spec(const struct launch *l, struct session_spec *ss, const struct relay_spec *init_io);
void launch_free(struct launch *l);

#endif
