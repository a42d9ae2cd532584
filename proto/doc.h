/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doc.h: what proto/'s message readers share (not part of proto.h). A
 * reader opens the payload as a doc, reads fields with checked getters that
 * fill err on a wrong type or range, and closes it with doc_close.
 */
#ifndef QPOD_PROTO_DOC_H
#define QPOD_PROTO_DOC_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

#define SEQ_MAX ((1ull << 53) - 1) /* JSON numbers stay exact below 2^53 */
/* Characters beside letters and digits in an address, and in a host name. */
#define ADDR_CHARS ".:abcdefABCDEF"
#define NAME_CHARS "-._"

struct doc {
	struct json j;
	struct qerr *err;
};

/* 0, or -EINVAL when the payload is not a JSON object. */
int doc_open(struct doc *d, const uint8_t *buf, size_t n, struct qerr *err);
void doc_close(struct doc *d);
/* Optional fields: absent leaves NULL/0/false. */
int get_str(struct doc *d, int obj, const char *key, char **out);
int get_u64(struct doc *d, int obj, const char *key, uint64_t max, uint64_t *out);
int get_bool(struct doc *d, int obj, const char *key, bool *out);
/* Array key of obj, at most max elements: 0 with *out a zeroed allocation of
 * (elements + 1) * size and *arr its index; 0 with *out NULL when absent;
 * -EINVAL/-ENOMEM with err set. */
int get_array(struct doc *d, int obj, const char *key, uint32_t max, size_t size, void **out, int *arr);
/* An array of at most max strings: NULL-terminated copy, NULL when absent. */
int get_strv(struct doc *d, int obj, const char *key, uint32_t max, char ***out);
void free_vec(char **v);
/* An absolute path without a ".." component. */
int abs_path_ok(const char *p);
/* 1..253 letters, digits and characters of extra: safe on a line of /etc/hosts. */
bool word_ok(const char *s, const char *extra);

#endif
