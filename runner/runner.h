/*
 * runner.h: the host side. `qpod [OPTIONS] IMAGE [COMMAND [ARG...]]` (the
 * ./run at the repo root) turns IMAGE into a root directory (packer/ for
 * archives), boots a qemu VM with the images from `make image`, runs the
 * command through hyperstart over the channel protocol and exits with its
 * status. Exit codes: the command's own; 128+N when signal N killed it;
 * 126/127 when it could not be run or found; 124 when --timeout expired;
 * 125 when qpod itself failed (a one-line reason on stderr).
 */
#ifndef QPOD_RUNNER_H
#define QPOD_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "proto.h"

#define EXIT_QPOD    125
#define EXIT_TIMEOUT 124

struct volume {
	char *host;        /* absolute host directory (a file volume's directory) */
	char *guest;       /* absolute guest path */
	char *file;        /* a single-file volume: the file's name in host; NULL: all of host */
	bool read_only;
};

/* net.c: --network, -p, --dns, --add-host (docker's meaning). */
struct publish {
	const char *spec;  /* as given, for messages */
	char ip[16];       /* host address, "" for every address */
	uint16_t host, guest;
	bool udp;
};

int net_parse_publish(const char *spec, struct publish *p, struct qerr *err);
int net_parse_add_host(const char *spec, struct qp_host *h, struct qerr *err);
int net_parse_dns(const char *ip, struct qerr *err);
int net_check_ports(const struct publish *p, size_t n, struct qerr *err);
int net_netdev(const struct publish *p, size_t n, char *out, size_t cap);
/* hosts must have room for nextra + 2 entries. */
void net_guest(bool nic, char **dns, const struct qp_host *extra, size_t nextra, struct qp_net *out,
	       struct qp_host *hosts);

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
	bool network;      /* --network user (default) rather than none */
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
	const char *image;
	char **cmd;        /* NULL-terminated, may be empty */
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

/* conf.c: vm.conf and the boot files of `make image`. */
struct vmconf {
	char dir[4096];    /* where the images are */
	long memory_mb, cpus;
	double boot_timeout, shutdown_timeout;
	char machine[64], accel[16], boot[16];
	char cmdline[2048];
};

int conf_load(struct vmconf *c, struct qerr *err);
int conf_load_dir(struct vmconf *c, const char *dir, struct qerr *err);

/* What a run uses: the flags over vm.conf, merged once (conf_settings). */
struct settings {
	const char *boot;      /* fwcfg or cbfs */
	const char *accel;     /* picked: kvm or tcg */
	long memory_mb, cpus;
	double boot_timeout, shutdown_timeout;
	double timeout;        /* --timeout; 0: none */
};

int conf_settings(const struct vmconf *c, const struct opts *o, struct settings *s, struct qerr *err);
int conf_file(const struct vmconf *c, const char *name, const char *override, char *out, size_t cap,
	      struct qerr *err);
int conf_kernel(const struct vmconf *c, long cpus, const char *override, char *out, size_t cap,
		struct qerr *err);

/* accel.c */
const char *accel_pick(const char *want, struct qerr *err);

/* qemu.c */
struct vm {
	pid_t pid;
	int ctl, stream;   /* our ends of the two ports */
	int console;       /* console log (memfd or --console file) */
	int qemu_log;      /* qemu's own stderr (memfd) */
};

struct vm_spec {
	const struct vmconf *conf;
	const struct settings *set;
	const char *kernel, *initrd, *bios, *cbfs;
	const char *rootfs;        /* the image root shared over 9p, or NULL: */
	int root_fd;               /* a bundle: its squashfs as a read-only virtio disk, */
	uint64_t root_off, root_size; /* this byte range of the open file */
	const struct volume *vols;
	size_t nvols;
	const char *console_path;  /* NULL: in memory */
	bool debug;
	bool network;              /* a NIC on qemu's user-mode network */
	const struct publish *ports;
	size_t nports;
};

/* The 9p tags qemu gives the shares: the image root, and volume i. */
#define VM_ROOT_TAG "rootfs"
#define VM_TAG_MAX  8          /* "vol63" and its NUL */
char *vm_vol_tag(size_t i, char tag[VM_TAG_MAX]);

int vm_start(const struct vm_spec *s, struct vm *vm, struct qerr *err);
void vm_kill(struct vm *vm);
void vm_print_tail(const struct vm *vm, FILE *out);
void vm_close(struct vm *vm);

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

/* relay.c: the stdio relay between our fds and the stream port, with
 * credit both ways. Frames to send collect in tx. */
struct sink {          /* our stdout or stderr */
	struct fdio io;
	uint64_t seq;
	struct qp_queue q;
	uint32_t grant;    /* written bytes not yet handed back as credit */
	bool eof;          /* the guest ended the stream */
	bool broken;       /* a write failed: discard from now on */
	bool gone, told;   /* it failed with EPIPE; relay_gone() has said so */
};

struct relay {
	struct qp_queue tx;
	struct fdio in;
	bool in_open;      /* the session lets stdin flow */
	bool in_done;      /* stdin ended (or is not forwarded) */
	uint32_t in_credit;
	struct sink out, err;
	double first_output;
};

void relay_open(struct relay *r, bool interactive, bool tty);
/* A frame from the stream port. 0, or -EPROTO when the guest broke the rules. */
int relay_frame(struct relay *r, const struct qp_frame *f, double now, struct qerr *err);
void relay_stdin(struct relay *r);
void relay_flush(struct relay *r, struct sink *k);
/* The fds epoll cannot watch are always ready: serve them. */
void relay_poll_free(struct relay *r);
bool relay_wants_stdin(const struct relay *r);
bool relay_sink_pending(const struct sink *k);
/* Every output stream ended and all of it written. */
bool relay_done(const struct relay *r);
/* The seq of an output stream whose reader went away (EPIPE), once; or 0. */
uint64_t relay_gone(struct relay *r);
/* Write out what is queued, restore the fds, free. */
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
};

struct session_spec {
	struct vm *vm;
	const struct qp_pod *pod;
	const struct qp_container *container;
	const struct settings *set;
	bool interactive, tty;
	bool sig_proxy;    /* forward SIGINT, SIGTERM, ... (else they end qpod) */
};

int session_run(const struct session_spec *s, struct session_result *res, struct qerr *err);
void session_signals(sigset_t *set, bool proxy);

double now_s(void);

/* image.c: IMAGE to a root directory and the process to run (packer.h). */
struct image;
int image_open(const struct opts *o, struct image *img, struct qerr *err);
int image_process(const struct opts *o, const struct image *img, char *hostenv, struct qp_process *p,
		  struct qerr *err);

/* report.c: --timings and --result. */
void report_timings(const struct session_result *r, FILE *out);
int report_result(const char *path, const struct session_result *r, const char *error, struct qerr *err);

#endif
