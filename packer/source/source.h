/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source.h: the stage before the archive: from IMAGE as the user wrote it to
 * an image qpod can read locally (an archive file or an image directory).
 *
 *   IMAGE --spec.c--> a local path (+ NAME), a registry reference, or a name
 *                     for another of skopeo's transports
 *   registry / skopeo --pull.c: the pull policy, refs/ of references, one
 *                     pull per reference at a time--> cached key, or
 *                     --skopeo.c: skopeo inspect + copy--> an OCI layout
 *                     in $QPOD_CACHE/tmp that the archive stage reads as any
 *                     image directory (archive/dir.c); removed afterwards
 * pack.c runs it: a local path goes straight to the archive stage.
 */
#ifndef QPOD_PACKER_SOURCE_H
#define QPOD_PACKER_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "cache/cache.h"
#include "common/common.h"
#include "err.h"
#include "packer.h"

/* ---- spec.c: IMAGE (source_parse, struct source: packer.h) ---- */

/* ---- skopeo.c: running skopeo ---- */
/* Run argv (argv[0] "skopeo", found on PATH), stdin /dev/null. stdout into
 * *out (NUL-terminated, at most max bytes: more is an error) unless out is
 * NULL (then discarded). A failure is one line: what, then skopeo's reason
 * classified (unreachable, not found, refused credentials, digest mismatch,
 * timed out...). Missing skopeo: says so. */
int skopeo_run(const char *what, char *const argv[], char **out, size_t *len, size_t max, struct qerr *err);

/* ---- pull.c: the pull policy and the refs of references ---- */
struct pull {
	const struct source *src;
	const struct pack_opts *opts;
	struct cache *cache;
	char platform[100];
	char ident[HEX64];       /* refs/<ident>: this reference + platform */
	char key[HEX64];         /* the entry to use, once known */
	char digest[HEX64];      /* REGISTRY: what the reference resolved to (index or manifest) */
	int lock;                /* locks/<ident>.unpack while fetching */
	char *dir;               /* tmp/<ident>.pull.XXXXXX (absolute), the fetched OCI layout */
	char *auth;              /* a private authfile for --creds, inside dir's parent */
};
/* Policy first: 1 with p->key when the cache answers (missing/never), 0 to
 * fetch (the reference's lock is then held), or an error (never, uncached). */
int pull_start(struct pull *p, const struct source *src, const struct pack_opts *opts,
	       const char *platform, struct cache *c, struct qerr *err);
/* Fetch into p->dir. 1 with p->key when what the registry holds now is
 * already cached (nothing copied); 0 when p->dir holds the image. */
int pull_fetch(struct pull *p, struct qerr *err);
/* The image in p->dir, for the archive stage: its NAME in the layout. */
const char *pull_layout_ref(const struct pull *p);
/* Record refs/ for the reference (and its digest) -> key. */
void pull_record(struct pull *p, const char *key);
/* Remove the fetched layout and the authfile, release the lock. */
void pull_end(struct pull *p);

#endif
