/* SPDX-License-Identifier: Apache-2.0 */
/*
 * formats.h: what the format readers (docker.c, oci.c, legacy.c) share
 * inside the archive stage: members read on demand, the config parser, image
 * names, platform matching, and the steps every plan takes (plan.c).
 */
#ifndef QPOD_PACKER_FORMATS_H
#define QPOD_PACKER_FORMATS_H

#include "archive/archive.h"
#include "json.h"

/* ---- outer.c ---- */
/* Resolve ref (relative to dir "" or a member's dir) to a regular member,
 * following in-archive symlinks and hardlinks. -EXDEV: escapes the archive;
 * -ENOENT: no such member (err not filled: the caller words it). */
int outer_lookup(struct outer *o, const char *dir, const char *ref, struct member **out, struct qerr *err);
/* Keep member's data in memory (up to max bytes; -EFBIG beyond). */
int outer_fetch(struct outer *o, struct member *m, uint64_t max, struct qerr *err);

/* ---- config.c ---- */
int imgcfg_parse(const char *buf, size_t n, struct imgcfg *c, struct qerr *err);
void imgcfg_free(struct imgcfg *c);

/* ---- ref.c: image names ---- */
/* docker's normalization: "busybox" -> "docker.io/library/busybox:latest". */
void ref_normalize(const char *in, char *out, size_t cap);
bool ref_match(const char *want, const char *have);

/* ---- platform.c ---- */
/* want is the request; have an image's (variant "" = unknown). */
bool platform_match(const struct platform *want, const struct platform *have);
void platform_normalize(struct platform *p);

/* ---- plan.c: shared steps ---- */
int plan_check(struct reader *rd, struct plan *p, const char *what);
int plan_layer_add(struct plan *p, const char *name, struct member *m, const char *raw, uint64_t size);
void tags_add(char *list, size_t cap, const char *tag);
/* Member data as parsed JSON (fetched if needed; JSON_MAX bound). */
int member_json(struct reader *rd, struct member *m, const char *what, struct json *j);

#endif
