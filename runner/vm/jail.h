/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jail.h: qemu's jail, the boundary between a hostile guest and the host
 * (docs/security.md). Every qemu qpod starts goes through jail_start():
 *
 *   identity   not the caller's root: run by root, qemu is uid 0 of a user
 *              namespace whose ids are the `qpod` account's (QPOD_ACCOUNT:
 *              its uid for 0, its /etc/subuid range for 1-65535); run by a
 *              user, uid 0 of a user namespace that maps only that user
 *   namespaces its own mount, PID, IPC and UTS namespaces, and a network
 *              namespace unless it must reach the host's loopback
 *   files      a read-only tmpfs root holding only /usr (qemu's program
 *              and libraries, read-only), a few /dev nodes, its own /proc,
 *              and what the VM needs, each bound into /vm; as root, shares
 *              and files are seen through the namespace's id mapping
 *              (idmapped mounts), so files qemu creates belong to root on
 *              the host, never to the qpod account
 *   privileges no capabilities (bounding set and ambient cleared, root's
 *              exemptions locked off), no_new_privs, rlimits, an empty
 *              environment, only the fds it is given
 *
 * qemu adds its own seccomp filter (-sandbox, qemu.c). The mounts are made
 * from the paths the caller checked; each is compared with the file the
 * caller saw (device and inode) before it is used.
 */
#ifndef QPOD_JAIL_H
#define QPOD_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

#define QPOD_ACCOUNT    "qpod"
#define JAIL_MAX_MOUNTS 80
#define JAIL_DST_MAX    300      /* /vm/volN/ and a file name */

enum {
	JAIL_RW   = 1 << 0,  /* writable (else read-only) */
	JAIL_DEV  = 1 << 1,  /* a device node: no nodev, never mapped */
	JAIL_MAP  = 1 << 2,  /* as root: seen through the VM's id mapping, or refused */
	JAIL_FILE = 1 << 3,  /* a file: the mount point is an empty file */
	JAIL_EXEC = 1 << 4,  /* may hold programs (else noexec) */
};

struct jail_mount {
	const char *src;           /* host path (the caller's: it lives through jail_start) */
	char dst[JAIL_DST_MAX];    /* absolute path in the jail */
	unsigned flags;
	dev_t dev;                 /* what src was when added */
	ino_t ino;
};

struct jail {
	struct jail_mount m[JAIL_MAX_MOUNTS];
	size_t n;
	char resolv[128];          /* the jail's /etc/resolv.conf; "" for none */
	bool netns;                /* a network namespace of its own */
	bool kvm;                  /* /dev/kvm, and as root the host's kvm group to open it */
	int err;                   /* the first jail_add failure (-errno) */
	char why[200];             /* and what it was */
};

void jail_init(struct jail *j);
/* Bind src at dst (a printf format) in the jail. Failures are kept in
 * j->err and reported by jail_start, so callers add without checking. */
__attribute__((format(printf, 4, 5)))
void jail_add(struct jail *j, const char *src, unsigned flags, const char *dst, ...);

struct jail_exec {
	const char *exe;           /* the program: an absolute path, under /usr or bound at the same path */
	char *const *argv;
	int out_fd;                /* its stdout and stderr */
	const int *keep;           /* fds it inherits at the same numbers (-1 skipped) */
	size_t nkeep;
	/* Called with the child's pid before it goes on (its cgroup); non-zero fails the start. */
	int (*placed)(void *ctx, pid_t pid);
	void *ctx;
};

/* Start x->exe in j; 0 with *pid (our child) once it runs, or -errno with
 * err saying what in the jail failed (nothing ran). */
int jail_start(const struct jail *j, const struct jail_exec *x, pid_t *pid, struct qerr *err);

/* The namespaces of a jailed pid, for the helper that serves its network. */
int jail_ns_fds(pid_t pid, int *user, int *net, struct qerr *err);

/* Whether qpod runs as root (qemu then runs as the qpod account). */
bool jail_as_root(void);

#endif
