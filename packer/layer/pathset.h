/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pathset.h: a set of strings (pathset.c), the paths one layer wrote.
 */
#ifndef QPOD_PACKER_PATHSET_H
#define QPOD_PACKER_PATHSET_H

#include <stdbool.h>
#include <stddef.h>

struct pathset {
	char **slot;
	size_t cap, n;
};
void pathset_init(struct pathset *s);
void pathset_free(struct pathset *s);
void pathset_clear(struct pathset *s);
int pathset_add(struct pathset *s, const char *p, size_t len); /* 1 added, 0 present, -ENOMEM */
bool pathset_has(const struct pathset *s, const char *p, size_t len);

#endif
