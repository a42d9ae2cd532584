/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.h: what every stage of the packer shares: the limits, safe
 * one-line messages, sha256 and the digests of image manifests, lexical
 * paths, string vectors, removing a tree, naming an unread compression, and
 * the progress line. Nothing here knows an image format, a layer or the cache.
 */
#ifndef QPOD_PACKER_COMMON_H
#define QPOD_PACKER_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

/* ---- limits (README.md "Limits") ---- */
#define PK_MAX_BYTES_DEFAULT   (16ull << 30)  /* per layer (unpacked tar stream) and per file */
#define PK_MAX_ENTRIES_DEFAULT 10000000ull    /* entries per layer */
#define PK_JSON_MAX            (16u << 20)    /* manifest, index, config: bytes each */
#define PK_STASH_SMALL         (1u << 20)     /* members this small are kept from the first pass */
#define PK_STASH_TOTAL         (256u << 20)   /* ... up to this much memory in all */
#define PK_MAX_MEMBERS         65536          /* members of the outer archive */
#define PK_MAX_LAYERS          4096
#define PK_MAX_INDEX_DEPTH     4              /* nested OCI indexes */
#define PK_MAX_DIR_DEPTH       16             /* directory levels in an image directory */

/* ---- msg.c: safe strings for one-line messages ---- */
/* A printable, length-capped copy of an untrusted string (control bytes
 * become '?'). Rotates through 4 static buffers: use at most 4 per message. */
const char *pq(const char *s);
void pk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- digest.c: sha256 ---- */
#define HEX64 65  /* 64 hex digits + NUL */
struct sha;
struct sha *sha_new(void);
void sha_update(struct sha *s, const void *p, size_t n);
void sha_hex(struct sha *s, char out[HEX64]);   /* finishes the hash */
void sha_free(struct sha *s);
void sha256_hex(const void *p, size_t n, char out[HEX64]);
bool is_hex64(const char *s);
/* "sha256:<64 lowercase hex>" -> hex. -EINVAL for a malformed digest, -ENOTSUP
 * for another algorithm. */
int digest_parse(const char *d, char out[HEX64]);
/* The digest a member's name claims: blobs/sha256/<hex>, sha256:<hex>,
 * <hex>.json, <hex>.tar, <hex>.tar.gz|.tgz|.tar.zst. Empty string if none. */
void name_digest(const char *name, char out[HEX64]);

/* ---- path.c: lexical paths ---- */
/* Clean a relative path: drop leading "/" and "./", "." components and empty
 * ones, apply "..". out gets "" for the root. -EXDEV if ".." climbs above the
 * root, -ENAMETOOLONG if longer than PATH_MAX - 1 or a component > NAME_MAX. */
int path_clean(const char *in, char *out, size_t cap);
/* Join dir (already clean) and rel, then clean; absolute rel is refused
 * (-EXDEV) when strict_abs, else taken from the root. */
int path_join_clean(const char *dir, const char *rel, bool strict_abs, char *out, size_t cap);
/* Split clean path into parent (out, "" for root) and returns the base. */
const char *path_split(const char *path, char *parent, size_t cap);

/* ---- strv.c: NULL-terminated string vectors ---- */
struct json;
/* The JSON array idx (of strings: else -EINVAL) into a new vector *out. */
int strv_from_json(const struct json *j, int idx, char ***out);
void strv_free(char **v);

/* ---- rmtree.c ---- */
/* Remove name in dfd and everything below it, never following a symlink;
 * *freed (if not NULL) grows by the apparent size of the files removed. */
int rmtree_at(int dfd, const char *name, int64_t *freed);

/* ---- magic.c ---- */
/* The name of a compression qpod does not read, from magic bytes, or NULL. */
const char *sniff_unsupported(const unsigned char *p, size_t n);

/* ---- progress.c: the "unpacking X: layer 3/14" line ---- */
struct progress {
	bool on, shown;
	const char *name;
	uint64_t done, total;
	size_t layer, layers;
	struct timespec start, last;
};
void progress_start(struct progress *p, bool on, const char *name, uint64_t total, size_t layers);
void progress_add(struct progress *p, uint64_t n);
void progress_layer(struct progress *p, size_t i);
void progress_end(struct progress *p);

#endif
