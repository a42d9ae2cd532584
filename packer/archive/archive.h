/* SPDX-License-Identifier: Apache-2.0 */
/*
 * archive.h: the first stage, from an image archive to a plan.
 *
 *   SPEC --ref.c--> archive path + optional NAME
 *   archive file --outer.c--> passes over its members, an index by name,
 *                             small members kept in memory
 *   image directory --dir.c--> the same index, members read by pread
 *   manifest.json | index.json | repositories --docker.c | oci.c | legacy.c,
 *   with config.c and plan.c--> struct plan: the cache key, the image's
 *                               config, the layers in order with the digests
 *                               each must match
 * Nothing is unpacked here: the layer stage (layer/layer.h) applies the plan's
 * layers, the cache (cache/cache.h) is keyed by plan.key.
 */
#ifndef QPOD_PACKER_ARCHIVE_H
#define QPOD_PACKER_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/common.h"
#include "err.h"
#include "packer.h"

struct archive;

/* ---- ref.c: SPEC ---- */
/* "path.tar" or "path.tar:repo:tag": the shortest prefix ending at a ':' that
 * names an existing non-directory wins; the whole spec is tried first. */
int spec_split(const char *spec, char **path, char **ref, struct qerr *err);

/* ---- platform.c: "os/arch[/variant]" ---- */
struct platform {
	char os[32], arch[32], variant[32];
};
int platform_parse(const char *s, struct platform *p);
void platform_format(const struct platform *p, char *out, size_t cap);
/* The host's: linux and uname's machine, normalized. */
void platform_host(struct platform *p);
/* What a run asks for: s (--platform), or NULL: the host's, and *any (an
 * image of one platform only is taken as it is). 0, or -EINVAL with err. */
int platform_want(const char *s, struct platform *want, bool *any, struct qerr *err);

/* ---- outer.c: the outer archive ---- */
enum { M_FILE, M_DIR, M_SYMLINK, M_HARDLINK, M_OTHER };
struct member {
	char *name;              /* clean, relative to the archive root */
	char *link;              /* symlink target as stored, hardlink target clean */
	uint64_t size;           /* data bytes */
	uint64_t off;            /* data offset in the uncompressed stream */
	unsigned char *data;     /* kept in memory by the first pass, or NULL */
	char sha[HEX64];         /* sha256 of data when kept, else "" */
	uint8_t type;
	bool sparse;
};
struct outer {
	const char *shown;       /* the path as the user gave it, for messages */
	int fd;
	struct stat st;
	bool seekable;           /* a regular file or a directory: passes can be repeated, ranges read */
	bool dir;                /* an image directory (dir.c): fd is the directory, members are files */
	int filter;              /* ARCHIVE_FILTER_* of the whole archive */
	struct member **m;       /* each allocated alone: pointers stay valid as the index grows */
	size_t n, cap;
	size_t *hash;            /* open addressing over m[] by name; 0 = empty, else i+1 */
	size_t hcap;
	size_t stashed;          /* bytes kept in memory */
	/* the current pass */
	struct archive *a;
	unsigned char *buf;
	uint64_t pos;            /* raw read position */
	int passes;
};
/* Called for every member of a pass, positioned at its data. Return 0 to go
 * on, 1 to stop the pass early, or a negative errno (err filled). */
typedef int (*member_fn)(void *ctx, struct member *m, struct archive *a);
int outer_open(struct outer *o, const char *path, const char *shown, struct qerr *err);
void outer_close(struct outer *o);
/* First pass (index = true: fills the member index) or a repeat pass. */
int outer_pass(struct outer *o, bool index, member_fn fn, void *ctx, struct qerr *err);
/* Whether member data can be read later by offset (plain tar in a regular file). */
bool outer_rangeable(const struct outer *o, const struct member *m);
/* The first pass's policy: keep small members and JSON-looking ones. */
int outer_maybe_stash(struct outer *o, struct member *m, struct archive *a, struct qerr *err);
/* An fd to pread member data from (at m->off), to close after use: the
 * archive's (a dup), or the member's own file in a directory. */
int outer_member_open(struct outer *o, const struct member *m, struct qerr *err);

/* ---- members.c: the index of members by name ---- */
struct member *outer_find(struct outer *o, const char *name);
/* A new member named name (clean) in the index; NULL without memory. */
struct member *outer_member_new(struct outer *o, const char *name, uint8_t type, const char *link);
/* A member held in memory, without an archive (fuzz targets, tests). */
int outer_add(struct outer *o, const char *name, int type, const char *link, const void *data, size_t size);
void members_free(struct outer *o);

/* ---- dir.c: an image directory as the outer archive ---- */
/* 1 oci-layout, 2 manifest.json, 3 repositories at the top of dfd; 0: not an image. */
int dir_image_kind(int dfd);
bool dir_is_image(const char *path);
int dir_index(struct outer *o, struct qerr *err);        /* the walk: the first pass */
int dir_member_open(struct outer *o, const struct member *m, struct qerr *err);
/* What a warm run compares for a directory: the stat of its top-level
 * index files (blobs are named by their digests and verified when read). */
void dir_stamp(int dfd, char *out, size_t cap);

/* ---- config.c: the image config ---- */
struct imgcfg {
	struct runcfg config;      /* from "config" */
	struct platform plat;      /* from "os", "architecture", "variant" */
	char (*diff_ids)[HEX64];
	size_t n_diff_ids;
	bool has_rootfs;
};

/* ---- the plan: what to unpack ---- */
struct plan_layer {
	char *name;              /* the member as referenced (clean), for messages and matching */
	struct member *m;        /* resolved member, NULL until seen */
	char raw[HEX64];         /* the blob's digest from a descriptor, or "" */
	char diff_id[HEX64];     /* from the config's rootfs.diff_ids ("" for legacy) */
	uint64_t size;           /* descriptor size, UINT64_MAX if unknown */
};
struct plan {
	char key[HEX64];         /* cache key: the config's sha256 (legacy: of its json chain) */
	char *tag;               /* the selected name, for ls (may be NULL) */
	const char *format;      /* "docker-archive", "oci", "docker-legacy" */
	struct imgcfg cfg;
	struct plan_layer *layers;
	size_t n;
};
void plan_free(struct plan *p);
/* Bytes of the layer blobs known so far (for progress). */
uint64_t plan_bytes(const struct plan *p);

/* What the format readers read, and for what: the archive (o.shown names it
 * in messages), the image NAME and the platform asked for. */
struct reader {
	struct outer o;
	const char *ref;         /* NULL: the only image */
	struct platform want;
	bool any;                /* no --platform: an image of one platform only is taken (platform.c) */
	struct platform got;     /* oci.c: the platform of the index entry picked last */
	struct qerr *err;
};
/* docker.c: from manifest.json. final = false while the first pass is still
 * running: a member not seen yet returns 0 (try later) instead of an error.
 * 1 when *out is ready. */
int docker_plan(struct reader *rd, bool final, struct plan *out);
int oci_plan(struct reader *rd, struct plan *out);     /* oci.c: from index.json */
/* oci.c: the manifest an index (JSON bytes, e.g. a registry's) offers for
 * platform (NULL: the host's, platform_want), by the rules oci_plan picks with; shown
 * names it in messages. */
int oci_pick_manifest(const char *shown, const char *buf, size_t n, const char *platform, char hex[HEX64],
		      char *picked, size_t cap, struct qerr *err);
int legacy_plan(struct reader *rd, struct plan *out);  /* legacy.c: docker < 1.10, repositories + <id>/json */
/* Resolve a referenced member, wording the errors. 0 with *m set, 1 if not
 * seen yet and !final, or an error. */
int member_ref(struct reader *rd, const char *from, const char *ref, const char *what, bool final, struct member **m);

#endif
