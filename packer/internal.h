/*
 * internal.h: what the packer's files share. Not part of the runner's API
 * (that is packer.h).
 *
 * Data flow of one pack_image() call (pack.c):
 *
 *   spec --ref.c--> archive path + optional "repo:tag"
 *        --cache.c--> refs/<identity> hit? -> done (warm path, no archive read)
 *   outer tar --archive.c--> member index + small members kept in memory
 *        --docker.c / oci.c / legacy.c--> struct plan (config, layers, digests)
 *        --cache.c--> key = config digest; images/<key> hit? -> done
 *        --blob.c--> each layer: raw bytes (hashed) -> decompress -> tar (hashed)
 *        --layer.c + write.c + rootpath.c--> tmp/<key>.XXXXXX/rootfs
 *        --cache.c--> rename to images/<key>, refs/<identity>
 */
#ifndef QPOD_PACKER_INTERNAL_H
#define QPOD_PACKER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"
#include "json.h"
#include "packer.h"

struct archive;
struct archive_entry;

/* ---- limits (README.md "Limits") ---- */
#define PK_MAX_BYTES_DEFAULT   (16ull << 30)  /* per layer (unpacked tar stream) and per file */
#define PK_MAX_ENTRIES_DEFAULT 10000000ull    /* entries per layer */
#define PK_JSON_MAX            (16u << 20)    /* manifest, index, config: bytes each */
#define PK_STASH_SMALL         (1u << 20)     /* members this small are kept from the first pass */
#define PK_STASH_TOTAL         (256u << 20)   /* ... up to this much memory in all */
#define PK_MAX_MEMBERS         65536          /* members of the outer archive */
#define PK_MAX_LAYERS          4096
#define PK_MAX_INDEX_DEPTH     4              /* nested OCI indexes */

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

/* ---- pathset.c: a set of strings ---- */
struct pathset {
	char **slot;
	size_t cap, n;
};
void pathset_init(struct pathset *s);
void pathset_free(struct pathset *s);
void pathset_clear(struct pathset *s);
int pathset_add(struct pathset *s, const char *p, size_t len); /* 1 added, 0 present, -ENOMEM */
bool pathset_has(const struct pathset *s, const char *p, size_t len);

/* ---- platform.c ---- */
struct platform {
	char os[32], arch[32], variant[32];
};
int platform_parse(const char *s, struct platform *p);  /* "os/arch[/variant]" */
void platform_format(const struct platform *p, char *out, size_t cap);
/* want is the request; have an image's (variant "" = unknown). */
bool platform_match(const struct platform *want, const struct platform *have);
void platform_normalize(struct platform *p);

/* ---- ref.c: image names ---- */
/* "path.tar" or "path.tar:repo:tag": the shortest prefix ending at a ':' that
 * names an existing non-directory wins; the whole spec is tried first. */
int spec_split(const char *spec, char **path, char **ref, struct qerr *err);
/* docker's normalization: "busybox" -> "docker.io/library/busybox:latest". */
void ref_normalize(const char *in, char *out, size_t cap);
bool ref_match(const char *want, const char *have);

/* ---- config.c: the image config ---- */
struct imgcfg {
	struct runcfg config;      /* from "config" */
	struct platform plat;      /* from "os", "architecture", "variant" */
	char (*diff_ids)[HEX64];
	size_t n_diff_ids;
	bool has_rootfs;
};
int imgcfg_parse(const char *buf, size_t n, struct imgcfg *c, struct qerr *err);
void imgcfg_free(struct imgcfg *c);
void strv_free(char **v);

/* ---- archive.c: the outer archive ---- */
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
	bool seekable;           /* a regular file: passes can be repeated, ranges read */
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
struct member *outer_find(struct outer *o, const char *name);
/* Resolve ref (relative to dir "" or a member's dir) to a regular member,
 * following in-archive symlinks and hardlinks. -EXDEV: escapes the archive;
 * -ENOENT: no such member (err not filled: the caller words it). */
int outer_lookup(struct outer *o, const char *dir, const char *ref, struct member **out, struct qerr *err);
/* Whether member data can be read later by offset (plain tar in a regular file). */
bool outer_rangeable(const struct outer *o, const struct member *m);
/* Keep member's data in memory (up to max bytes; -EFBIG beyond). */
int outer_fetch(struct outer *o, struct member *m, uint64_t max, struct qerr *err);
/* In a member callback: read all of the current member's data into m->data. */
int outer_stash(struct outer *o, struct member *m, struct archive *a, struct qerr *err);
/* A member held in memory, without an archive (fuzz targets, tests). */
int outer_add(struct outer *o, const char *name, int type, const char *link, const void *data, size_t size);
/* The first pass's policy: keep small members and JSON-looking ones. */
int outer_maybe_stash(struct outer *o, struct member *m, struct archive *a, struct qerr *err);
/* The name of a compression qpod does not read, from magic bytes, or NULL. */
const char *sniff_unsupported(const unsigned char *p, size_t n);

/* ---- plan: what to unpack (docker.c, oci.c, legacy.c) ---- */
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
/* What the format readers read, and for what: the archive (o.shown names it
 * in messages), the image NAME and the platform asked for. */
struct reader {
	struct outer o;
	const char *ref;         /* NULL: the only image */
	struct platform want;
	struct qerr *err;
};
/* docker.c: from manifest.json. final = false while the first pass is still
 * running: a member not seen yet returns 0 (try later) instead of an error.
 * 1 when *out is ready. */
int docker_plan(struct reader *rd, bool final, struct plan *out);
int oci_plan(struct reader *rd, struct plan *out);     /* oci.c: from index.json */
int legacy_plan(struct reader *rd, struct plan *out);  /* legacy.c: docker < 1.10, repositories + <id>/json */
/* plan.c: shared steps */
int plan_check(struct reader *rd, struct plan *p, const char *what);
int plan_layer_add(struct plan *p, const char *name, struct member *m, const char *raw, uint64_t size);
void tags_add(char *list, size_t cap, const char *tag);
/* Bytes of the layer blobs known so far (for progress). */
uint64_t plan_bytes(const struct plan *p);
/* Member data as parsed JSON (fetched if needed; JSON_MAX bound). */
int member_json(struct reader *rd, struct member *m, const char *what, struct json *j);
/* Resolve a referenced member, wording the errors. 0 with *m set, 1 if not
 * seen yet and !final, or an error. */
int member_ref(struct reader *rd, const char *from, const char *ref, const char *what, bool final, struct member **m);

/* ---- rootpath.c: resolving inside the rootfs ---- */
struct rootpath {
	int rootfd;
	bool create_parents;
	struct { char *path; int fd; unsigned age; } cache[2];
	unsigned tick;
	bool stale;              /* something was removed: drop the cache on the next call */
};
void rootpath_init(struct rootpath *r, int rootfd);
void rootpath_reset(struct rootpath *r);    /* forget cached fds (after removals) */
void rootpath_free(struct rootpath *r);
/* A directory fd (O_PATH) for clean path dir, resolved as the guest would see
 * it with the rootfs as "/"; creates missing components (0755) when create.
 * The fd belongs to r: do not close it; valid until the next call. */
int rootpath_dir(struct rootpath *r, const char *dir, bool create);
/* openat2(RESOLVE_IN_ROOT) or, without kernel support, the same walk in user space. */
int root_open(int rootfd, const char *path, int flags);
extern bool rootpath_no_openat2;            /* tests: force the user-space walk */

/* ---- layer.c, write.c, rmtree.c: applying one layer ---- */
struct applier {
	struct rootpath rp;
	const char *what;        /* "layer NAME" for messages */
	struct qerr *err;
	struct pathset written;  /* paths this layer wrote */
	struct pathset above;    /* their ancestors */
	struct dirtime { char *path; struct timespec mtime; mode_t mode; } *dirs;
	size_t ndirs, capdirs;
	uint64_t max_file, max_entries, entries;
	bool root;               /* euid 0: owners are set */
	/* totals over all layers, reported once */
	uint64_t devices, sockets, xattrs_refused;
	int64_t bytes;           /* apparent size of regular files now in the tree */
	uint64_t files;
};
void applier_init(struct applier *ap, int rootfd);
void applier_free(struct applier *ap);
/* Apply every entry of tar (a libarchive reader) to the rootfs. */
int layer_apply(struct applier *ap, struct archive *tar);
/* write.c: one entry each; pfd is the resolved parent, base the final name */
int write_file(struct applier *ap, struct archive *tar, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_dir(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_symlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_fifo(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_hardlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_dirtimes(struct applier *ap);
/* Make room for a new entry named base in pfd: a directory stays when
 * keep_dir (returns 1), anything else is removed (0). */
int make_room(struct applier *ap, int pfd, const char *base, bool keep_dir, const char *path);
/* rmtree.c */
int rmtree_at(int dfd, const char *name, int64_t *freed);
int remove_lower(struct applier *ap, int pfd, const char *base, const char *path);
/* remove_lower() for every child of the directory (any fd of it) at path. */
int remove_children(struct applier *ap, int dirfd_any, const char *path);

/* ---- pipe.c: blocks from a producer thread to a consumer ---- */
#define PIPE_SLOTS 4
#define PIPE_SLOT (1u << 20)
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[PIPE_SLOTS];
	size_t len[PIPE_SLOTS];
	unsigned head, count;    /* queued slots start at head */
	int held;                /* slot the consumer holds, or -1 */
	unsigned fill;           /* slot the producer is filling */
	size_t fill_n;
	int err;
	bool ready, closed, stop, discard;
};
int pipe_init(struct pipe *p);
void pipe_free(struct pipe *p);
int pipe_put(struct pipe *p, const void *data, size_t n);  /* producer; -ECANCELED once stopped */
void pipe_close(struct pipe *p, int err);                   /* producer: end (err < 0: failed) */
ssize_t pipe_get(struct pipe *p, const void **out);         /* consumer: bytes, 0 at end, or err */
void pipe_stop(struct pipe *p);                             /* consumer: abandon */
void pipe_discard(struct pipe *p);                          /* consumer: done reading, producer goes on */

/* ---- blob.c: one layer stream ---- */
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
struct progress;
/* Apply the blob to ap's tree (messages begin with what, errors go to
 * ap->err), then check it against want. */
int blob_apply(struct applier *ap, const char *what, const struct blob_src *src,
	       const struct blob_check *want, struct progress *prog);
/* Layers bigger than this are decompressed in a second thread (tests lower it). */
extern size_t blob_thread_min;

/* ---- progress.c ---- */
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

/* ---- cache.c ---- */
struct cache {
	char *dir;               /* $QPOD_CACHE */
	int dfd;                 /* the cache dir */
	int unpack_lock;         /* locks/<key>.unpack held exclusively while unpacking */
	char *tmp;               /* tmp/<key>.XXXXXX (relative to dfd) while unpacking */
	int tmpfd, rootfd;
};
int cache_open(struct cache *c, const struct pack_opts *o, struct qerr *err);
void cache_close(struct cache *c);
int cache_dir_path(const struct pack_opts *o, char **out, struct qerr *err);
/* The identity of an archive file + selection, for refs/. */
void cache_identity(const char *real, const struct stat *st, const char *ref, const char *platform, char out[HEX64]);
int cache_ref_get(struct cache *c, const char *ident, char key[HEX64]);
void cache_ref_put(struct cache *c, const char *ident, const char *key);
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
};
/* config.json, then the rename to images/<e->id>. */
int cache_publish(struct cache *c, const struct entry_meta *e, struct qerr *err);
void cache_abort(struct cache *c);
/* entry.c: images/<key>/config.json */
int entry_json(const struct entry_meta *e, struct jw *w);
int entry_load(struct cache *c, const char *key, struct json *j, char **buf, struct qerr *err);
int entry_read(struct cache *c, const char *key, struct image *img, struct qerr *err);
/* Locks: flock on locks/<name>, inode re-checked so prune may unlink them. */
int lock_take(int dfd, const char *name, int how, struct qerr *err);

#endif
