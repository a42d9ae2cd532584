/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.h: bundles in an OCI registry, byte for byte (registry.c: push,
 * pull.c: pull), over the OCI distribution API spoken with libcurl (http.c).
 *
 * push APP.qpod HOST/REPO:TAG
 *   every blob that is not a manifest (config, layer, parts, "{}"):
 *     HEAD /v2/REPO/blobs/<digest>   200: the registry has it, not sent
 *     POST /v2/REPO/blobs/uploads/, PUT <location>&digest=<digest>
 *   the image and qpod manifests: PUT /v2/REPO/manifests/<digest>
 *   the nested index:               PUT /v2/REPO/manifests/TAG
 *   APP.qpod.sig, if there is one: a blob, and a manifest (artifactType
 *     BD_SIG_ARTIFACT, config "{}", its one layer the signature, subject
 *     the nested index) tagged sha256-<nested index hex>.sig, as cosign
 *     tags its signatures (Debian's docker-registry has no referrers API)
 * pull HOST/REPO:TAG|@sha256:...
 *   the nested index by tag (or digest, checked), the two manifests and
 *   every blob by digest, each checked against its digest; index.json is
 *   the one bd_write_index() writes for the nested index's descriptor, the
 *   tar's mtime the qpod manifest's "created": the file written is the one
 *   pushed, byte for byte, and bundle_verify() checks it before it is kept:
 *     $QPOD_CACHE/blobs/sha256/<hex>          blobs, fetched once
 *     $QPOD_CACHE/bundles/pulled/<digest>.qpod[.sig]
 *     $QPOD_CACHE/bundles/refs/<sha256 of the reference>   "<digest>"
 *
 * TLS is verified (the system's CAs, or a certs.d directory's ca.crt as
 * podman reads it: ${XDG_CONFIG_HOME:-~/.config}/containers/certs.d/HOST,
 * /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST);
 * --tls-verify=false speaks plain HTTP. Credentials: --creds, else the
 * auth.json skopeo and podman read (--authfile, REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json,
 * ~/.docker/config.json); a 401 is answered with Basic, or with a Bearer
 * token fetched from the challenge's realm.
 */
#ifndef QPOD_BUNDLE_REGISTRY_H
#define QPOD_BUNDLE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define BD_SIG_ARTIFACT "application/vnd.qpod.signature.v1"
#define BD_SIG_MEDIA    "application/vnd.qpod.signature.v1+ssh"

struct reg_opts {
	bool no_tls_verify;      /* --tls-verify=false: plain HTTP */
	const char *creds;       /* USER:PASSWORD, or NULL */
	const char *authfile;    /* --authfile, or NULL */
	bool quiet;
};

/* http.c: one registry repository. */
struct reg;
struct reg_resp {
	long code;
	char *body;              /* small bodies (max > 0), NUL-terminated */
	size_t len, max;
	int fd;                  /* else into this fd (-1: discarded) */
	struct sha *sha;         /* and hashed here, when set */
	uint64_t got;
	char location[2048], digest[80], type[128], auth[1024];
};
int reg_open(struct reg **r, const char *host, const char *repo, bool push, const struct reg_opts *o,
	     struct qerr *err);
void reg_close(struct reg *r);
/* METHOD /v2/REPO/PATH (or an absolute URL from a Location), with a body
 * from mem or from fd's range, into resp; one retry after a 401 with the
 * credentials the challenge asks for. 0 (any HTTP status) or -errno. */
int reg_do(struct reg *r, const char *method, const char *path, const char *type, const char *accept,
	   const void *mem, int fd, uint64_t off, uint64_t size, struct reg_resp *resp, struct qerr *err);
const char *reg_name(const struct reg *r); /* HOST/REPO, for messages */

/* registry.c: what push (there) and pull (pull.c) share. */
#include "packer.h"
struct where {
	struct source s;
	char host[256], repo[256], tag[130];   /* tag "" for a digest */
};
int where_parse(const char *ref, struct where *w, struct qerr *err);
/* An HTTP status that is not the one wanted, as one line (-ENOENT for 404). */
int http_fail(struct reg *r, const char *what, const struct reg_resp *resp, struct qerr *err);
/* Whether IMAGE is a registry reference (docker://..., NAME[:TAG|@DIGEST]),
 * as the packer reads it, not a local file. */
bool registry_ref(const char *image);
int registry_push(const char *file, const char *ref, const struct reg_opts *o, struct qerr *err);
/* 0 with the pulled bundle's path in out (cap bytes), 1 when ref is no
 * bundle (an image: the packer's business; with probe, also when its
 * manifest could not be had, which the packer then says), -errno. */
int registry_pull(const char *ref, const struct reg_opts *o, bool probe, char *out, size_t cap, struct qerr *err);
/* The bundle a reference was pulled as, if the cache has it: 0 with path, 1 none. */
int registry_cached(const char *ref, char *out, size_t cap, struct qerr *err);

#endif
