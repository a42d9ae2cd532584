/* SPDX-License-Identifier: Apache-2.0 */
/*
 * write.h: what layer.c hands each entry to: the writers of write.c (one
 * entry each, in a parent directory already resolved inside the root) and
 * the whiteouts of whiteout.c.
 */
#ifndef QPOD_PACKER_WRITE_H
#define QPOD_PACKER_WRITE_H

#include <stdbool.h>

#include "layer/layer.h"

struct archive_entry;

/* ---- write.c: pfd is the resolved parent, base the final name, path the
 * entry's clean path (for messages) ---- */
int write_file(struct applier *ap, struct archive *tar, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_dir(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_symlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_fifo(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
/* Without root only: a device node as a mapped-xattr placeholder. */
int write_device(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
int write_hardlink(struct applier *ap, struct archive_entry *e, int pfd, const char *base, const char *path);
/* Directory times, after their contents: at the end of the layer. */
int write_dirtimes(struct applier *ap);

/* ---- whiteout.c ---- */
/* The whiteout entry base (".wh.*") in directory parent; path is the entry's. */
int whiteout_apply(struct applier *ap, const char *parent, const char *base, const char *path);

#endif
