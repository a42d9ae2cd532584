/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.h: `qpod bundle`, one reproducible file that any host boots.
 *
 * A bundle is an OCI image layout in one plain tar (docs/bundle.md draws it):
 *
 *   oci-layout                      {"imageLayoutVersion":"1.0.0"}
 *   index.json                      one entry: the nested image index
 *   blobs/sha256/<hex>...           sorted by digest:
 *     nested index   the image manifest (platform: the guest's, linux/amd64 or
 *                    linux/arm64, as vm.conf's arch= says) and the qpod
 *                    manifest (artifactType BD_ARTIFACT, platform
 *                    unknown/unknown, as BuildKit marks attestations)
 *     image manifest, image config, one layer (an uncompressed tar)
 *     qpod manifest  empty config {}, subject = the image manifest, layers:
 *                    the parts below, one each, in this order
 *     parts          kernel (vmlinux, vmlinux-up), initrd, qboot.rom,
 *                    cmdline, vm.conf, the images' SBOM (sbom.spdx.json:
 *                    every boot part with its sha256, sources, versions,
 *                    licence), launch config, rootfs squashfs; an arch
 *                    without PVH twins or firmware (arm64: its Image
 *                    alone) has no kernel-up and no firmware part
 *   1024 zero bytes
 *
 * Every tar header is the one bd_tar_header() writes (ustar, uid/gid 0,
 * mode 0644, mtime = SOURCE_DATE_EPOCH of the build, no user names): the
 * file is the canonical serialization of its index, so the reader checks
 * every byte of it: headers against the regenerated ones, padding and the
 * end zero, every blob against its digest. The identity of a bundle is the
 * sha256 of index.json; a signature (ssh-keygen -Y, namespace
 * "qpod-bundle") signs the text "sha256:<hex>" of it, detached in
 * APP.qpod.sig.
 *
 * The rootfs squashfs stays where it is: qemu reads it as a read-only
 * virtio disk from the member's data offset (no copy, no unpack); it is
 * followed by its dm-verity hash tree, whose root hash the cmdline part
 * holds (verity.c), so it stays verified in the guest for the VM's life.
 * The small boot parts are extracted once by digest into the cache.
 * Errors follow lib/err.h; a bundle at fault gives one line naming the part.
 */
#ifndef QPOD_BUNDLE_H
#define QPOD_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "err.h"
#include "packer.h"

struct opts;

#define BD_ARTIFACT   "application/vnd.qpod.bundle.v1"
#define BD_NAMESPACE  "qpod-bundle"
#define BD_MT_EMPTY   "application/vnd.oci.empty.v1+json"
#define BD_MT_INDEX   "application/vnd.oci.image.index.v1+json"
#define BD_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BD_MT_CONFIG  "application/vnd.oci.image.config.v1+json"
#define BD_MT_LAYER   "application/vnd.oci.image.layer.v1.tar"
#define BD_EMPTY_HEX  "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

#define BD_OCI_LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define BD_REF_NAME   "latest"        /* index.json's ref name: oci-archive:APP.qpod:latest */
#define BD_MAX_BLOBS  32            /* members of a bundle beyond oci-layout and index.json */
#define BD_JSON_MAX   (1u << 20)    /* index, manifests, config, launch config */
#define BD_FILE_MAX   (1ull << 40)  /* the whole file */

/* The qpod parts, in the qpod manifest's order. */
enum bd_part { P_KERNEL, P_KERNEL_UP, P_INITRD, P_FIRMWARE, P_CMDLINE, P_VMCONF, P_SBOM, P_LAUNCH, P_ROOTFS, P_N };

struct bd_part_info {
	const char *role;       /* in messages and inspect: "kernel", "rootfs", ... */
	const char *media_type;
	const char *file;       /* its name in images/ and in the extracted directory */
	uint64_t max;           /* largest size accepted */
};
extern const struct bd_part_info bd_parts[P_N];
/* The file in images/ (and the extracted directory) of part k for a guest
 * of arch, or NULL when that arch has no such part (kernel-up, firmware). */
struct arch;
const char *bd_part_file(int k, const struct arch *arch);

/* One blob member. */
struct bd_blob {
	char hex[65];
	uint64_t size;
	uint64_t off;            /* data offset in the file */
	const char *role;        /* what refers to it, for messages */
	char *data;              /* JSON and small text, read and checked; else NULL */
};

/* The descriptors a bundle's JSON documents name (index.c). */
struct bd_desc {
	char media[128];
	char hex[65];
	uint64_t size;
	char title[64];          /* org.opencontainers.image.title, or "" */
};

struct bd_doc {
	/* index.json */
	struct bd_desc nested;
	/* the nested index */
	struct bd_desc image, qpod;
	/* the image manifest */
	struct bd_desc config, layer;
	/* the qpod manifest */
	struct bd_desc empty, subject, part[P_N];  /* a part absent: media "" */
	char kernel_version[64];
	char platform[64];       /* the image's "os/arch" in the nested index */
};

/* index.c: the readers, on bytes (fuzzed: test/fuzz/bundle_index.c). Each
 * checks every field it uses and bounds every size; 0 or -errno. */
int bd_read_index(const char *buf, size_t n, struct bd_doc *d, struct qerr *err);
/* 0 with d->image and d->qpod set; 1 when the index names no qpod manifest
 * (an ordinary image index: not a bundle). */
int bd_read_nested(const char *buf, size_t n, struct bd_doc *d, struct qerr *err);
int bd_read_image_manifest(const char *buf, size_t n, struct bd_doc *d, struct qerr *err);
int bd_read_qpod_manifest(const char *buf, size_t n, struct bd_doc *d, struct qerr *err);

/* docs.c: the documents a bundle holds, written one way only (build.c
 * writes them, read.c compares index.json with its rewrite). Each returns
 * 0 with *out malloc'd, or -ENOMEM. */
int bd_write_index(const struct bd_desc *nested, char **out, size_t *len);
int bd_write_nested(const struct bd_desc *image, const char *platform, const struct bd_desc *qpod, char **out,
		    size_t *len);
int bd_write_image_manifest(const struct bd_desc *config, const struct bd_desc *layer, char **out, size_t *len);
int bd_write_qpod_manifest(const struct bd_doc *d, const char *created, char **out, size_t *len);

/* tar.c: the canonical ustar header of a member. 0, or -ENAMETOOLONG/-EFBIG. */
#define BD_HDR 512
int bd_tar_header(const char *name, uint64_t size, int64_t mtime, unsigned char out[BD_HDR]);
static inline uint64_t bd_pad(uint64_t n) { return (n + 511) & ~511ull; }
/* One member: its header, then size bytes of data (or of the file at path),
 * then the padding. 0 or -errno. */
int bd_tar_put(int fd, const char *name, const void *data, const char *path, uint64_t size, int64_t mtime,
	       struct qerr *err);

/* An open bundle (read.c, verify.c). */
struct bundle {
	const char *shown;       /* the path as given */
	int fd;                  /* O_RDONLY; qemu reads the rootfs through it */
	struct stat st;
	int64_t mtime;           /* of its tar headers */
	char digest[65];         /* sha256 of index.json */
	uint64_t index_size;
	char *index_json;
	struct bd_doc doc;
	struct bd_blob blobs[BD_MAX_BLOBS];
	size_t nblobs;
	struct bd_blob *part[P_N], *nested, *image, *qpod, *config, *layer, *empty;  /* part[k]: NULL if absent */
	const struct arch *arch; /* the guest's: vm.conf's arch= */
	struct runcfg config_run; /* the image's run config */
	char *dir;               /* $QPOD_CACHE/bundles/<digest>: the extracted boot parts */
	bool verified;           /* every byte checked (now or, same identity, before) */
};

/* Open and parse (digests of the JSON blobs checked, framing checked;
 * the big blobs not hashed yet). 1 when path is not a bundle (b untouched but
 * closed); 0; or -errno. */
int bundle_open(const char *path, struct bundle *b, struct qerr *err);
void bundle_close(struct bundle *b);
/* Every byte: hash every blob, check headers, padding and end; check the
 * parts' contents (ELF/bzImage kernels, squashfs root); extract the boot
 * parts into the cache. use_record: skip the hashing when this file
 * (dev, inode, size, mtime, ctime) was verified before; a success records it. */
int bundle_verify(struct bundle *b, bool use_record, struct qerr *err);
/* This file's identity was verified before (inspect's "verified"). */
bool bundle_recorded(struct bundle *b);
/* The cache's bundles/ directory (made 0700). */
int bundle_cache_dir(char **out, struct qerr *err);

/* sign.c: run a tool (argv[0] on PATH) with stdin and stdout as given, its
 * stderr's first line into why: 0 when it exits 0, else -EPERM (or -errno
 * when it cannot run). */
int bd_run(char **argv, int in, int out, char *why, size_t cap);
/* verity.c: append sqfs's dm-verity hash tree to it (veritysetup); word is
 * the kernel command line's dm-mod.create="qpod-root,..." with its root hash. */
#define BD_VERITY_NAME "qpod-root"
int bd_verity(const char *sqfs, char *word, size_t cap, struct qerr *err);

/* sign.c: ssh-keygen -Y. sig_path: APP.qpod.sig. */
int bundle_sign(const char *key, const char *digest_hex, const char *sig_path, struct qerr *err);
/* 0 good; -EPERM bad or missing signature (err says which). */
int bundle_check_sig(const char *pubkey, const char *digest_hex, const char *sig_path, struct qerr *err);
void bundle_sig_path(const char *bundle_path, char *out, size_t cap);

/* policy.c: the host's or the user's policy.json for bundles (containers'
 * policy.json's shape: insecureAcceptAnything, reject, signedBy keyPaths).
 * 0: this bundle may run; -EPERM (err names the policy and why), -errno. */
#define BD_POLICY_HOST "/etc/qpod/policy.json"
int bundle_policy(const char *shown, const char *digest_hex, const char *sig_path, struct qerr *err);

/* bounds.c: memory and vCPUs the bundle asks for (asked: not from the run
 * line) within this host's; 0 or -E2BIG. */
int bundle_bounds(const struct bundle *b, long memory_mb, bool memory_asked, long cpus, bool cpus_asked,
		  struct qerr *err);

/* baked.c: the launch config, what `qpod bundle` was given of run's flags,
 * as JSON; and the run line over it. */
int baked_write(const struct opts *o, char **json, size_t *len, struct qerr *err);
/* Parse the JSON into *o (bounded, checked); strings are copies owned by o. */
int baked_read(const char *json, size_t n, struct opts *o, struct qerr *err);
/* The run line's flags over the baked ones: run wins field by field; env is
 * baked then run (-e of the same name replaces in place); baked ports, when
 * the run line has none, are published on 127.0.0.1 only. Takes baked's
 * allocations. */
int baked_merge(struct opts *run, struct opts *baked, struct qerr *err);
void baked_free(struct opts *o);

/* build.c: `qpod bundle`. */
struct bundle_spec {
	const struct opts *o;    /* the image, and the flags to bake */
	const char *out;         /* APP.qpod */
	const char *sign_key;    /* NULL: unsigned */
	int64_t epoch;           /* SOURCE_DATE_EPOCH */
	bool quiet;
};
int bundle_build(const struct bundle_spec *s, char digest[65], struct qerr *err);

/* inspect.c */
int bundle_inspect(struct bundle *b, const char *pubkey, FILE *out, struct qerr *err);

#endif
