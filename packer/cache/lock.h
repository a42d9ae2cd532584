/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lock.h: flock(2) on a file of the cache's locks/ (lock.c).
 */
#ifndef QPOD_PACKER_LOCK_H
#define QPOD_PACKER_LOCK_H

#include <sys/file.h>   /* LOCK_SH, LOCK_EX, LOCK_NB */

#include "err.h"

/* An fd holding the lock how on dfd/name (created 0600), or a negative
 * errno: -EWOULDBLOCK with LOCK_NB when it is held (err not filled). The
 * inode is re-checked after locking, so prune may unlink lock files. */
int lock_take(int dfd, const char *name, int how, struct qerr *err);

#endif
