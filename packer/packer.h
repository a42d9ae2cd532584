/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packer.h: turn a Docker or OCI image archive into a rootfs directory in a
 * content-addressed cache, and read the image's run config.
 *
 * Contract with the runner (runner/ links libpacker.a):
 *   - source_parse() alone decides what IMAGE is (struct source below);
 *   - pack_image() resolves SPEC: an archive or image directory
 *     ("path/to/archive.tar", "path.tar:repo:tag", "oci-dir:tag"), one of
 *     skopeo's transports (docker://, oci:, oci-archive:, docker-archive:,
 *     containers-storage:, dir:) or a registry reference as docker reads it
 *     ("busybox", "localhost:5000/x@sha256:..."), pulling through skopeo as
 *     the pull policy says; unpacks it once into the cache (or finds it
 *     there) and fills *img.
 *   - img->rootfs is an absolute path of a directory that is complete and will
 *     not change (published by rename); the runner shares it read-only.
 *   - Errors: negative errno and a one-line err->msg that names the archive
 *     member when one is at fault. The runner prints it and exits 125.
 */
#ifndef QPOD_PACKER_H
#define QPOD_PACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Pull policy, as podman's --pull: missing (use the cached image of that
 * reference, no network), always (ask the registry; fetch what changed),
 * never (the cache or an error). Local archives and directories are always read. */
enum pack_pull { PULL_MISSING, PULL_ALWAYS, PULL_NEVER };
/* "missing", "always", "never" (also podman's "newer" = missing): 0, or -EINVAL. */
int pack_pull_parse(const char *s, enum pack_pull *out);

struct pack_opts {
	const char *cache_dir;   /* NULL: $QPOD_CACHE or ${XDG_CACHE_HOME:-~/.cache}/qpod */
	const char *platform;    /* NULL: the host's (platform_host), or an image's only one */
	uint64_t max_bytes;      /* limit on any one layer's (and file's) unpacked size; 0: default */
	bool progress;           /* progress lines on stderr (runner sets it when stderr is a tty) */
	uint64_t max_entries;    /* limit on entries per layer; 0: default (10 million) */
	const char *shown;       /* the archive's name in messages; NULL: its path */
	bool no_ref;             /* a spooled copy (pack_spool): no refs/ entry for its path */
	/* pulling (skopeo's meaning for each) */
	enum pack_pull pull;     /* default PULL_MISSING */
	bool no_tls_verify;      /* --tls-verify=false: plain HTTP or unverified TLS */
	const char *creds;       /* USER:PASSWORD (given to skopeo in a private authfile; pack_creds) */
	const char *authfile;    /* --authfile FILE */
	unsigned pull_timeout;   /* seconds for a copy; 0: 1800 (inspecting: at most 60) */
};

/* An image's run config, as docker reads it (config.Entrypoint, Cmd, Env,
 * WorkingDir, User). NULL-terminated string vectors; a NULL vector means
 * "not set" (an empty vector means "set to []"). Applying docker's override
 * rules (--entrypoint, a command, -e) is the runner's job. */
struct runcfg {
	char **entrypoint;
	char **cmd;
	char **env;          /* "KEY=VALUE" */
	char *workdir;       /* NULL or "" when unset */
	char *user;          /* NULL or "" when unset */
	int stop_signal;     /* config.StopSignal, 0 when unset */
	char **labels;       /* config.Labels as "KEY=VALUE", or NULL */
	struct healthcfg {   /* config.Healthcheck (common/runextra.c) */
		char **test;     /* ["CMD-SHELL", cmd], ["CMD", arg...], ["NONE"]; NULL: none */
		int64_t interval, timeout, start_period, start_interval;  /* ns; 0: docker's default */
		int retries;     /* 0: docker's default (3) */
	} health;
};
void runcfg_free(struct runcfg *c);
/* An image config blob (OCI or docker) to its run config, as an unpack
 * reads it (archive/config.c): 0, or -errno with err set. */
int pack_config_parse(const char *buf, size_t n, struct runcfg *out, struct qerr *err);
/* Healthcheck and Labels of a config object (an image's, or a cache
 * entry's): 0, or -EINVAL for a field of the wrong type. */
struct json;
struct jw;
int runcfg_extra_read(const struct json *j, int cfg, struct runcfg *c);
/* The same keys written into an open object (only those that are set). */
void runcfg_extra_write(struct jw *w, const struct runcfg *c);
void runcfg_health_write(struct jw *w, const struct healthcfg *h);
void runcfg_labels_write(struct jw *w, char *const *labels);

/* A cache entry in use: where its root is, and the image's run config. */
struct image {
	char *rootfs;        /* absolute path of the unpacked root directory */
	char *id;            /* content key of the cache entry (hex) */
	struct runcfg config;
	int lock_fd;         /* shared lock on the cache entry, held while the VM runs (-1: none) */
	char platform[64];   /* "os/arch[/variant]" of the image (its config's); "" for a root directory */
	bool unpacked;       /* this call unpacked the image (false: it was in the cache) */
	bool mapped;         /* the owners are in qemu's mapped-xattr xattrs (unpacked
				without root): share rootfs with security_model=VIRTFS_MODEL */
};

/* --creds USER --password-stdin: "USER:PASSWORD" from fd's first line
 * (a password never comes from a command line, which every local user
 * reads). 0, or -errno with err set. */
int pack_creds(const char *user, int fd, char *pair, size_t cap, struct qerr *err);

/* IMAGE, decided once (source/spec.c), for every part that takes one (qpod
 * run and bundle, pull, the packer): what it is, before anything is read. */
enum source_kind {
	SOURCE_STDIN,            /* "-": an archive on stdin (spooled, then LOCAL) */
	SOURCE_ROOT,             /* a directory that is not an image directory: a root to share as it is */
	SOURCE_LOCAL,            /* path [+ ref]: an archive file (or, by its content, a qpod bundle)
				    or an image directory; oci:, oci-archive:, docker-archive: */
	SOURCE_REGISTRY,         /* docker://REGISTRY/NAME[:TAG|@DIGEST], or a bare NAME[:TAG] */
	SOURCE_SKOPEO,           /* containers-storage:..., dir:...: copied by skopeo */
};
struct source {
	enum source_kind kind;
	const char *shown;       /* IMAGE as given, for messages */
	char *path, *ref;        /* LOCAL: the file or directory, the NAME in it (or NULL); ROOT: its real path */
	char *name;              /* REGISTRY, SKOPEO: skopeo's name ("docker://docker.io/library/busybox:latest") */
	char *canon;             /* REGISTRY: "docker.io/library/busybox:latest" (or @sha256:...); SKOPEO: = name */
	char *repo;              /* REGISTRY: "docker.io/library/busybox" */
	char *host;              /* REGISTRY: "docker.io", for --creds */
	char digest[65];         /* REGISTRY: the digest asked for with @sha256:, or "" */
};
/* 0 with *s filled (source_free it), or -errno with a one-line err. */
int source_parse(const char *image, struct source *s, struct qerr *err);
void source_free(struct source *s);
/* A docker reference (docker's grammar, bounded): 0, or -EINVAL / -ENOTSUP with err set. */
int source_ref_parse(const char *in, struct source *s, struct qerr *err);

/* An image source into the cache: LOCAL read by qpod, REGISTRY and SKOPEO
 * pulled through skopeo as the pull policy says (ROOT and STDIN are the
 * caller's: refused). pack_image is source_parse, then this. */
int pack_source(const struct source *src, const struct pack_opts *opts, struct image *img, struct qerr *err);
int pack_image(const char *spec, const struct pack_opts *opts, struct image *img, struct qerr *err);
/* Copy an archive from fd (a pipe: `qpod run -`) into the cache's tmp/ as a
 * private file; *path gets its name. The caller packs it with no_ref and
 * unlinks it. */
int pack_spool(const struct pack_opts *opts, int fd, char **path, struct qerr *err);
void image_free(struct image *img);

/* The cache directory ($QPOD_CACHE, or ${XDG_CACHE_HOME:-~/.cache}/qpod),
 * made (0700) if missing and trusted (lib/trust.h: owned by the caller,
 * nobody else can write along its path); *out is malloc'ed. The runner
 * keeps its VM templates in a subdirectory. */
int pack_cache_dir(char **out, struct qerr *err);
/* The same, and each of its subdirectories the runner reads (images, refs,
 * locks, tmp, bundles, templates, root disks' digests) that exists: 0, or
 * -errno with the one that is not trusted. */
int pack_cache_trust(struct qerr *err);

/* flock(2) on dfd/name, a file of the cache's locks/ (cache/lock.c; names:
 * cache/layout.h), created 0600: an fd holding the lock how (LOCK_SH,
 * LOCK_EX, | LOCK_NB), or a negative errno: -EWOULDBLOCK with LOCK_NB when
 * it is held (err not filled). The inode is re-checked after locking, so
 * prune may unlink lock files. */
int lock_take(int dfd, const char *name, int how, struct qerr *err);

/* `qpod --cache ls` and `--cache prune`: print entries to out; prune removes
 * entries not used by a run for `older_than` seconds (0: every entry not in use). */
int cache_list(const struct pack_opts *opts, FILE *out, struct qerr *err);
int cache_prune(const struct pack_opts *opts, uint64_t older_than, FILE *out, struct qerr *err);

#endif
