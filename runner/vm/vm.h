/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.h: one VM and what boots it (runner/vm/). The guest architectures
 * (arch.c) and vm.conf with the boot files of `make image` (conf.c) give
 * the machine, accel.c picks kvm or tcg, and qemu.c starts qemu in its jail
 * (jail.c, jail.h), in a cgroup where the host delegates one (cgroup.c),
 * with qemu's user-mode network (net.c) and its way out (pasta.c). A VM is
 * restored from a template where one fits (template.c, over qemu's QMP:
 * qmp.c), else booted cold, which saves the template; a cache entry's root
 * goes to the guest as a squashfs disk (rootdisk.c), files' sha256 are
 * remembered (digest.c), and the guest learns the host's TSC rate (tsc.c).
 * Nothing here knows the run's flags (runner.h), the conversation with
 * hyperstart (session/) or detached VMs (detached/): a VM is what a
 * vm_spec says, and its fds.
 */
#ifndef QPOD_VM_H
#define QPOD_VM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "packer.h"
#include "proto.h"

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

/* template.c: boot once, restore per run (its header tells the layout). */
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

/* tsc.c: the host's TSC rate in kHz, kept in the private dir for this host
 * boot; 0 if it has none of constant rate (the guest then measures it). */
unsigned long tsc_khz(const char *dir);

/* qemu.c (--console) and session/report.c (--result): what they say of a path
 * they will not write. */
#define NOT_OURS "not a file of yours (a link, a fifo or device, or another's), which qpod will not write"

#endif
