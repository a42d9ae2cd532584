/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layout.h: the names in $QPOD_CACHE, in one place for every part that
 * reads or writes there (the packer, the runner, bundles, cli):
 *
 *   $QPOD_CACHE/                  0700: entries hold setuid files
 *     images/<key>/rootfs/        the unpacked root, complete, never changed
 *     images/<key>/config.json    normalized run config + where it came from
 *     images/<key>/used           mtime = last use (ls, prune)
 *     images/<key>/rootfs.HEX.sqfs  its root as a disk (runner/vm/rootdisk.c)
 *     refs/<identity>             <key>: archive file identity -> key (a pulled
 *                                 reference's adds its name and digest: source/pull.c)
 *     locks/<key>.unpack          flock: held exclusively while unpacking (and
 *                                 while the entry's root disk is built)
 *     locks/<key>.use             flock: shared while a VM uses the entry
 *     tmp/<key>.XXXXXX/           an unpack in progress (rootfs/, config.json)
 *     templates/                  saved VMs (runner/vm/template.c), the host's
 *                                 TSC rate (runner/vm/tsc.c)
 *     templates/digests/          files' sha256 by identity (runner/vm/digest.c)
 *     bundles/verified/<id>       bundles checked once (bundle/verify.c)
 *     bundles/tmp.XXXXXX/         a bundle's check in progress, renamed to verified/
 *     bundles/pulled/, bundles/refs/   `qpod pull` of a bundle (bundle/pull.c)
 *     blobs/sha256/<hex>          the blobs pulled bundles are made of
 *
 * cache.c tells what the images/ entries' keys and identities are.
 */
#ifndef QPOD_PACKER_CACHE_LAYOUT_H
#define QPOD_PACKER_CACHE_LAYOUT_H

#define CACHE_IMAGES     "images"
#define CACHE_REFS       "refs"
#define CACHE_LOCKS      "locks"
#define CACHE_TMP        "tmp"
#define CACHE_TEMPLATES  "templates"
#define CACHE_BUNDLES    "bundles"
#define CACHE_BLOBS      "blobs"

/* Below templates/ and bundles/. */
#define TEMPLATES_DIGESTS "digests"
#define BUNDLES_VERIFIED  "verified"
#define BUNDLES_PULLED    "pulled"
#define BUNDLES_REFS      "refs"
#define BUNDLES_TMP       "tmp.XXXXXX"  /* mkdtemp's template */

/* A lock file is locks/<key> and one of these. */
#define LOCK_UNPACK      ".unpack"
#define LOCK_USE         ".use"

#endif
