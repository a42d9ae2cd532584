/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runner.h: booting and running VMs, the host side under cli/'s commands.
 * A launch (launch.c) turns the flags and IMAGE into everything a VM needs
 * (packer/ unpacks archives), qemu.c starts it with the images from `make
 * image`, and a session (session.c) runs its processes through hyperstart
 * over the channel protocol, in one event loop (loop.c), each process's
 * stdio through a relay (relay.c). `qpod run` does that in the foreground;
 * `qpod run -d` hands it to a monitor (monitor.c) with a state directory
 * (state.c), a log (log.c) and a control socket (ctlmsg.c). A VM is
 * restored from a template where one fits (template.c, over qemu's QMP:
 * qmp.c), else booted cold, which saves the template.
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

#include "clock.h"
#include "err.h"
#include "packer.h"
#include "proto.h"

#define EXIT_QPOD    125
#define EXIT_TIMEOUT 124

struct volume {
	char *host;        /* absolute host directory (a file volume's directory) */
	char *guest;       /* absolute guest path */
	char *file;        /* a single-file volume: the file's name in host; NULL: all of host */
	char *path;        /* what is shared: host, or host/file */
	bool read_only;
};

/* net.c: --network, -p, --dns, --add-host (docker's meaning). */
#define NET_HOST    "10.0.2.2"   /* the gateway; the host's loopback only when asked for */
#define NET_DNS_FWD "10.0.2.3"   /* the resolver qemu's namespace asks: pasta's forward (pasta.c) */
struct publish {
	const char *spec;  /* as given, for messages */
	char ip[16];       /* host address, "" for every address */
	uint16_t host, guest;
	uint16_t count;    /* net_parse_publish: ports in the range given (1: one); opts expand it */
	bool udp;
	bool spec_owned;   /* spec was made for one port of a range (opts_free frees it) */
};

int net_parse_publish(const char *spec, struct publish *p, struct qerr *err);
int net_parse_add_host(const char *spec, struct qp_host *h, struct qerr *err);
int net_parse_dns(const char *ip, struct qerr *err);
int net_check_ports(const struct publish *p, size_t n, bool host_loopback, struct qerr *err);
/* in_ns: qemu runs in a namespace of its own, where each port is taken
 * on every address at its host port's number (pasta brings it there). */
int net_netdev(const struct publish *p, size_t n, bool in_ns, char *out, size_t cap);
/* "qpod.net=DEV,ADDR/PREFIX,GATEWAY" for the kernel command line. */
int net_kernel_arg(char *out, size_t cap);
/* hosts must have room for nextra + 2 entries. */
void net_guest(bool nic, bool host_loopback, char **dns, const struct qp_host *extra, size_t nextra,
	       struct qp_net *out, struct qp_host *hosts);

/* pasta.c: the way out of qemu's network namespace (pasta, of passt). */
struct pasta {
	pid_t pid;         /* its guardian's (pasta.c) */
	int log;           /* its messages (memfd) */
	int ready;         /* its pid arrives here once it is set up; -1 after */
	bool ports;        /* it holds published ports: pasta_stop waits for its end */
};
/* Whether the host has a default route, which pasta needs to set up a way out. */
bool pasta_way_out(void);
int pasta_start(pid_t qemu, const struct publish *p, size_t n, struct pasta *ps, struct qerr *err);
/* Wait until it is set up (a failure says why). */
int pasta_ready(struct pasta *ps, double deadline, struct qerr *err);
void pasta_stop(struct pasta *ps);

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

int opts_parse(int argc, char **argv, struct opts *o);
/* What opts_parse allocated (env, vols); the rest points into argv. */
void opts_free(struct opts *o);
void usage(FILE *f);

/* optval.c: one flag's value each; 0, or -EINVAL after one line on stderr. */
int opt_bad(const char *fmt, const char *arg);
int opt_parse_bytes(const char *s, double *bytes);
int opt_parse_size_mb(const char *s, long *mb);
int opt_number(const char *flag, const char *s, double min, double max, double *out);
int opt_one_of(const char *flag, const char *v, const char *a, const char *b, const char *c);
int opt_bool(const char *flag, const char *v, bool *out);
int opt_grow(void *vec, size_t *n, size_t size);
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

/* arch.c: the guest architectures, one row each (its header tells where
 * an architecture's facts live). */
struct arch {
	const char *name;      /* configs/arch/NAME; vm.conf's arch=; images-NAME */
	const char *platform;  /* its images' OCI platform: linux/amd64 */
	const char *machine;   /* uname -m of a host or guest of it */
	const char *qemu;      /* qemu's program (found in PATH) */
	const char *cpu_tcg;   /* -cpu under TCG, KVM; NULL: qemu's default */
	const char *cpu_kvm;
	const char *machines;  /* vm.conf's machine= may name ("pc|q35"), */
	const char *machine_opts; /* with these options after it (conf.c) */
	const char *kernel;    /* the kernel's file in images/ */
	unsigned elf_machine;  /* a kernel ELF's e_machine, */
	const char *image_magic; /* or its boot image's magic at image_magic_at (a bundle's check) */
	unsigned image_magic_at;
	bool pvh;              /* with PVH twins vmlinux, vmlinux-up (conf_kernel) */
	bool firmware;         /* qboot: --boot fwcfg (-bios) or cbfs (pflash); else direct (-kernel) */
	bool tsc;              /* the guest is told the host's TSC rate (tsc.c) */
	const char *kvm_modules[3]; /* a host of it runs KVM guests with one of these (accel.c) */
};
const struct arch *arch_by_name(const char *name);
/* The row of an image's "os/arch[/variant]", or NULL: no guest for it. */
const struct arch *arch_by_platform(const char *platform);
/* The host's row, or NULL (a host qpod has no guest of: every guest is TCG). */
const struct arch *arch_host(void);
/* "linux/amd64, linux/arm64": what qpod has guests for, for messages. */
void arch_platforms(char *out, size_t cap);

/* conf.c: vm.conf and the boot files of `make image`. */
struct vmconf {
	char dir[4096];    /* where the images are */
	const struct arch *arch;  /* vm.conf's arch= */
	long memory_mb, cpus;
	double boot_timeout, shutdown_timeout;
	char machine[64], accel[16], boot[16];
	char cmdline[2048];
};

/* The images of arch (the host's directory, or DIR-NAME beside it: arch.c). */
int conf_load(struct vmconf *c, const struct arch *arch, struct qerr *err);
int conf_load_dir(struct vmconf *c, const char *dir, struct qerr *err);
/* The device a disk root is mounted from: "dm-0" when the kernel command
 * line (a bundle's, which its signature covers) maps the disk through
 * dm-verity (dm-mod.create="qpod-root,...", bundle/verity.c), else "vda". */
#define VM_VERITY_NAME "qpod-root"
const char *conf_root_dev(const struct vmconf *c);
/* vm.conf's text (changed in place; path names it in messages) into a zeroed c. */
int conf_parse(struct vmconf *c, char *text, const char *path, struct qerr *err);

/* What a run uses: the flags over vm.conf, merged once (conf_settings). */
struct settings {
	const char *boot;      /* fwcfg or cbfs (an arch with firmware), or direct */
	const char *accel;     /* picked: kvm or tcg */
	long memory_mb, cpus;
	double boot_timeout, shutdown_timeout;
	double timeout;        /* --timeout; 0: none */
};

/* launch.c: the flags over c (the flags are the launch's, vm.conf the VM's). */
int conf_settings(const struct vmconf *c, const struct opts *o, struct settings *s, struct qerr *err);
/* boot is one of the boot paths arch has: qboot's two, or the kernel loaded directly. */
int conf_boot_check(const struct arch *a, const char *boot, struct qerr *err);
int conf_file(const struct vmconf *c, const char *name, const char *override, char *out, size_t cap,
	      struct qerr *err);
int conf_kernel(const struct vmconf *c, long cpus, const char *override, char *out, size_t cap,
		struct qerr *err);

/* accel.c: "kvm" or "tcg" for a guest of arch. */
const char *accel_pick(const char *want, const struct arch *arch, struct qerr *err);

/* cgroup.c: a cgroup v2 per VM where the host delegates one. */
struct vmcg {
	char path[PATH_MAX];   /* the VM's leaf, or "" */
	char why[200];         /* its path, or "none: " and why (--result) */
};
/* The cgroup VMs' leaves go under (QPOD_CGROUP, or qpod's own), or -ENOTSUP with why. */
int cgroup_parent(char *out, size_t cap, char *why, size_t wcap);
/* A leaf under parent with the VM's limits; -errno with c->why set. */
int cgroup_make(struct vmcg *c, const char *parent, long memory_mb);
int cgroup_enter(const struct vmcg *c, pid_t pid);
void cgroup_remove(struct vmcg *c);

/* qemu.c */
struct vm {
	pid_t pid;
	int ctl, stream;   /* our ends of the two ports */
	int console;       /* console log (memfd or --console file) */
	int qemu_log;      /* qemu's own stderr (memfd) */
	int qmp;           /* our end of its QMP socket (VM_SAVE, VM_RESTORE), else -1 */
	struct pasta pasta; /* the default network's way out (pid -1: none) */
	struct vmcg cg;    /* its cgroup, if the host delegates one */
	double console_trimmed; /* when vm_console_trim last looked */
};

#define VM_NONE ((struct vm){ .pid = -1, .ctl = -1, .stream = -1, .console = -1, .qemu_log = -1, .qmp = -1, \
			      .pasta = { .pid = -1, .log = -1, .ready = -1 } })

enum vm_mode {
	VM_COLD,           /* boot */
	VM_SAVE,           /* boot, to save a template at READY (template.c) */
	VM_RESTORE,        /* restore a template */
};

struct vm_spec {
	const struct vmconf *conf;
	const struct settings *set;
	const char *kernel, *initrd, *bios, *cbfs;
	const char *rootfs;        /* the image root shared over 9p, or NULL: */
	bool root_mapped;          /* its owners are in mapped-xattr xattrs (packer.h) */
	int root_fd;               /* a bundle: its squashfs as a read-only virtio disk, */
	uint64_t root_off, root_size; /* this byte range of the open file, */
	const char *root_digest;   /* whose sha256 this is: mounted at setup (qpod.root=) */
	const char *warm;          /* the image's default command: read at setup (qpod.warm=) */
	const struct volume *vols;
	size_t nvols;
	const char *console_path;  /* NULL: in memory */
	bool debug;
	bool network;              /* a NIC on qemu's user-mode network */
	bool host_loopback;        /* which reaches the host's loopback (else qemu has a network namespace) */
	unsigned long tsc_khz;     /* tsc_early_khz= for the guest, or 0 (tsc.c) */
	const struct publish *ports;
	size_t nports;
	enum vm_mode mode;
	int ram_fd;                /* VM_SAVE: the memfd that holds guest RAM */
	const char *ram_path;      /* VM_RESTORE: the template's RAM, mapped private */
	int state_fd;              /* VM_RESTORE: the template's device state */
};

/* The 9p tags qemu gives the shares: the image root, and volume i. */
#define VM_ROOT_TAG "rootfs"
#define VM_TAG_MAX  8          /* "vol63" and its NUL */
char *vm_vol_tag(size_t i, char tag[VM_TAG_MAX]);

int vm_start(const struct vm_spec *s, struct vm *vm, struct qerr *err);
/* qemu's program, as execvp would find it in our PATH (its identity keys templates). */
int vm_qemu_exe(const struct arch *arch, char *out, size_t cap, struct qerr *err);
/* The qemu line without fds, share paths and published ports, one argument
 * a line: what a template is keyed by. */
int vm_key_args(const struct vm_spec *s, char *out, size_t cap);
void vm_kill(struct vm *vm);
/* The network is up (pasta set up), or why not. */
int vm_net_ready(struct vm *vm, double deadline, struct qerr *err);
/* Keep the console's and qemu's logs bounded (the last VM_LOG_KEEP bytes);
 * cheap, at most once a second: call it from every loop turn. */
#define VM_LOG_KEEP (256 * 1024)
void vm_console_trim(struct vm *vm, double now);
void vm_print_tail(const struct vm *vm, FILE *out);
/* Append qemu's last message (its stderr) to err's. */
void vm_last_error(const struct vm *vm, struct qerr *err);
void vm_close(struct vm *vm);

/* qmp.c: qemu's monitor (QMP) on vm.qmp; every read has a deadline. */
struct qmp {
	int fd;
	size_t len;
	char buf[8192];
};
struct qmp_msg {
	enum { QMP_OTHER, QMP_GREETING, QMP_RETURN, QMP_ERROR, QMP_EVENT } kind;
	char event[32];    /* QMP_EVENT: its name */
	char text[256];    /* QMP_ERROR: qemu's description; QMP_EVENT: data.status */
};
/* One line (a JSON command and its newline), with pass_fd beside it (-1: none). */
int qmp_send(int fd, const char *line, int pass_fd, struct qerr *err);
int qmp_next(struct qmp *q, double deadline, struct qmp_msg *m, struct qerr *err);
/* The next reply: 0 for "return", -EIO for "error" (events are skipped). */
int qmp_reply(struct qmp *q, double deadline, struct qerr *err);
int qmp_call(struct qmp *q, const char *line, int pass_fd, double deadline, struct qerr *err);

/* How a VM came up (--timings, --result). */
struct bootinfo {
	bool restored;     /* from a template; else booted cold */
	char snapshot[320];  /* what happened to the fast path: "restored", "saved", "off: ..." */
	char root[200];      /* the image root: "disk" (squashfs), or "9p" and why */
	char cgroup[200];    /* the VM's cgroup, or "none: " and why */
	double restored_at;  /* qemu resumed the restored guest */
	double resumed_at;   /* hyperstart answered RESUME */
};

/* template.c: boot once, restore per run (its header tells the layout). */
/* rootdisk.c: a cache entry's root as a squashfs disk, built once. 1 with
 * d set (d->fd is the caller's); -errno (err says why: the run shares the
 * root over 9p instead). */
struct rootdisk {
	int fd;
	uint64_t size;
	char hex[65];          /* its sha256 */
};
int rootdisk_open(const struct image *img, struct rootdisk *d, struct qerr *err);

/* digest.c: a file's sha256, remembered in DIR/digests by its identity. */
int file_sha256(const char *dir, const char *path, char hex[65], struct qerr *err);
void file_sha256_remember(const char *dir, const char *path, const char hex[65]);

struct tmpl {
	char dir[PATH_MAX];    /* $QPOD_CACHE/templates */
	char key[65];          /* sha256 of text */
	char *text;            /* what the saved state depends on */
	long memory_mb;
	int lock_fd;           /* KEY.lock, held while saving */
	int ram_fd;            /* VM_SAVE: the memfd of guest RAM */
	int state_fd;          /* VM_RESTORE: KEY/state */
	char ram_path[PATH_MAX + 72];  /* VM_RESTORE: KEY/ram */
};
/* The key of the VM vs describes (its boot files, settings, device set). */
int tmpl_prepare(struct tmpl *t, const struct vm_spec *vs, struct qerr *err);
/* 1 with state_fd and ram_path set; 0 when there is none; -errno when it is
 * unusable (remove it: tmpl_discard). */
int tmpl_find(struct tmpl *t, struct qerr *err);
void tmpl_discard(struct tmpl *t);
/* After vm_start(VM_RESTORE): load the state, wake the guest, RESUME. */
/* RESUME's payload: host entropy and the host's clock, now (w: jw_free after). */
int tmpl_resume_msg(struct jw *w, const char **json, size_t *len, struct qerr *err);
int tmpl_resume(const struct tmpl *t, struct vm *vm, double deadline, struct bootinfo *b, struct qerr *err);
/* 0: this run saves KEY (lock held, ram_fd made); 1: someone else does or did. */
int tmpl_begin(struct tmpl *t, struct qerr *err);
/* At READY of a VM_SAVE boot; *running false if the VM could not go on. */
int tmpl_save(struct tmpl *t, struct vm *vm, double deadline, bool *running, struct qerr *err);
/* Boot vm (VM_SAVE) to READY, check its version, save it; for qpod warm. */
int tmpl_warm(struct tmpl *t, struct vm *vm, double deadline, struct qerr *err);
void tmpl_close(struct tmpl *t);

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

/* tsc.c: the host's TSC rate in kHz, kept in the private dir for this host
 * boot; 0 if it has none of constant rate (the guest then measures it). */
unsigned long tsc_khz(const char *dir);

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

/* report.c: --timings and --result. */
void report_timings(const struct session_result *r, FILE *out);
int report_result(const char *path, const struct session_result *r, const char *error, struct qerr *err);
/* What --result and --console say of a path they will not write. */
#define NOT_OURS "not a file of yours (a link, a fifo or device, or another's), which qpod will not write"
/* Before the run: --result's file is new, or a regular file of ours. */
int report_check(const char *path, struct qerr *err);

#endif
