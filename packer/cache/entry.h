/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entry.h: images/<key>/config.json, written when an entry is published and
 * read by every warm run and by ls (entry.c).
 */
#ifndef QPOD_PACKER_ENTRY_H
#define QPOD_PACKER_ENTRY_H

#include "cache/cache.h"
#include "json.h"

int entry_json(const struct entry_meta *e, struct jw *w);
/* config.json parsed into j; *buf holds the text j points into (free both). */
int entry_load(struct cache *c, const char *key, struct json *j, char **buf, struct qerr *err);
/* rootfs, id and the run config of images/<key> into img. */
int entry_read(struct cache *c, const char *key, struct image *img, struct qerr *err);

#endif
