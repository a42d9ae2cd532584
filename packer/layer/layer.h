/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layer.h: the second stage, applying a plan's layers to a root directory.
 *
 *   blob source (memory, a range of the archive file, or the outer reader at
 *   the member) --blob.c: sha256 of the blob, decompression, sha256 of the
 *   tar stream; a producer thread (pipe.c) for big layers-->
 *   tar reader --layer.c: each entry's name and kind--> write.c (files,
 *   directories, links, replacing) | whiteout.c, every path resolved inside
 *   the root by rootpath.c
 *   --> blob.c checks the digests and the size against the plan
 * The applier carries what one unpack accumulates over its layers: the
 * root, limits, counts to report, the tree's size.
 */
#ifndef QPOD_PACKER_LAYER_H
#define QPOD_PACKER_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/common.h"
#include "err.h"
#include "layer/pathset.h"
#include "layer/rootpath.h"

struct archive;

/* ---- layer.c: applying one layer's tar stream ---- */
struct applier {
	struct rootpath rp;
	const char *what;        /* "layer NAME" for messages */
	struct qerr *err;
	struct pathset written;  /* paths this layer wrote */
	struct pathset above;    /* their ancestors */
	struct dirtime { char *path; struct timespec mtime; mode_t mode; } *dirs;
	size_t ndirs, capdirs;
	uint64_t max_file, max_entries, entries;
	bool root;               /* euid 0: owners are set; else they are mapped (virtfs.h) */
	/* without root: each symlink's owner, in the order written (mapped.c) */
	struct linkowner { char *path; uint32_t uid, gid; size_t seq; } *links;
	size_t nlinks, caplinks;
	/* totals over all layers, reported once */
	uint64_t devices, sockets, xattrs_refused;
	int64_t bytes;           /* apparent size of regular files now in the tree */
	uint64_t files;
};
void applier_init(struct applier *ap, int rootfd);
void applier_free(struct applier *ap);
/* Apply every entry of tar (a libarchive reader) to the rootfs. */
int layer_apply(struct applier *ap, struct archive *tar);

/* ---- mapped.c: the end of an unpack without root ---- */
/* Turn the finished tree at root (an absolute path) into what qemu's
 * mapped-xattr share shows as the image: symlinks become files, and every
 * directory has owner xattrs. Messages begin with what (the image). */
int mapped_finish(struct applier *ap, const char *root, const char *what);

/* ---- blob.c: one layer blob ---- */
struct blob_src {
	enum { SRC_MEM, SRC_RANGE, SRC_STREAM } kind;
	const unsigned char *mem;
	int fd;
	uint64_t off, len;
	struct archive *outer;   /* SRC_STREAM: the outer reader at this member */
};
/* What the blob must match ("" and UINT64_MAX: the manifest does not say). */
struct blob_check {
	const char *name;        /* the member as the manifest names it */
	const char *member;      /* the member it resolved to */
	const char *raw;         /* sha256 of the blob */
	const char *diff_id;     /* sha256 of the tar stream */
	uint64_t size;           /* of the blob */
	uint64_t limit;          /* most bytes the tar stream may have (--max-bytes) */
};
/* Apply the blob to ap's tree (messages begin with what, errors go to
 * ap->err), then check it against want. */
int blob_apply(struct applier *ap, const char *what, const struct blob_src *src,
	       const struct blob_check *want, struct progress *prog);
/* Layers bigger than this are decompressed in a second thread (tests lower it). */
extern size_t blob_thread_min;

#endif
