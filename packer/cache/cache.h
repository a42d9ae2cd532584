/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.h: the last stage, the content-addressed cache of unpacked images
 * (the layout is in cache.c).
 *
 *   warm:    cache_identity -> cache_ref_get -> cache_use (no archive read)
 *   cold:    cache_begin (lock, tmp/<key>.XXXXXX/rootfs for the layer stage)
 *            -> cache_publish (config.json, rename to images/<key>)
 *            -> cache_ref_put, cache_use
 *   failed:  cache_abort (the tmp directory goes; nothing is published)
 * cache_list and cache_prune (packer.h) are cachels.c's.
 */
#ifndef QPOD_PACKER_CACHE_H
#define QPOD_PACKER_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/common.h"
#include "err.h"
#include "packer.h"

struct cache {
	char *dir;               /* $QPOD_CACHE */
	int dfd;                 /* the cache dir */
	int unpack_lock;         /* locks/<key>.unpack held exclusively while unpacking */
	char *tmp;               /* tmp/<key>.XXXXXX (relative to dfd) while unpacking */
	int tmpfd, rootfd;
};
int cache_open(struct cache *c, const struct pack_opts *o, struct qerr *err);
void cache_close(struct cache *c);
/* The identity of an archive file + selection, for refs/. */
void cache_identity(const char *real, const struct stat *st, const char *ref, const char *platform, char out[HEX64]);
/* $QPOD_CACHE, or ${XDG_CACHE_HOME:-~/.cache}/qpod (the name only: trust.h
 * checks and makes it). */
int cache_dir_path(const struct pack_opts *o, char **out, struct qerr *err);
/* refs/<ident>: "<key>\n" then an optional note (source/pull.c: the
 * reference and its digest, shown by ls). */
int cache_ref_get(struct cache *c, const char *ident, char key[HEX64]);
void cache_ref_put(struct cache *c, const char *ident, const char *key, const char *note);
/* Whether images/<key> is published. */
bool cache_has(struct cache *c, const char *key);
/* Remove tmp/<prefix>.* (the caller holds locks/<prefix>.unpack). */
void cache_clean_stale(struct cache *c, const char *prefix);
/* 1 and img filled (shared lock taken) when images/<key> is published; 0 if not. */
int cache_use(struct cache *c, const char *key, struct image *img, struct qerr *err);
/* Exclusive unpack lock + fresh tmp dir (stale ones removed). 1 if, once
 * locked, the image turned out to be published already (nothing created). */
int cache_begin(struct cache *c, const char *key, struct qerr *err);
/* What images/<key>/config.json records (entry.c). */
struct entry_meta {
	const char *id, *source, *name, *format, *platform;
	int64_t layers, size, files;
	const struct runcfg *config;
	const char *owners;      /* ENTRY_OWNERS_HOST, or VIRTFS_MODEL (no root) */
};
/* How an entry's files carry the image's owners: as the host files' own
 * (root unpacked it), or in qemu's mapped-xattr xattrs (virtfs.h). */
#define ENTRY_OWNERS_HOST "host"
/* config.json, then the rename to images/<e->id>. */
int cache_publish(struct cache *c, const struct entry_meta *e, struct qerr *err);
void cache_abort(struct cache *c);

#endif
