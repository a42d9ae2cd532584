/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trust.h: the one check for every directory whose contents qpod believes
 * without reading them twice: the image cache, a bundle's extracted boot
 * parts, templates, root disks, detached VMs' state (trust.c).
 *
 * A path is trusted when nobody but the caller and root can have put or
 * changed anything along it:
 *
 *   each ancestor  from / down, opened relative to its parent without
 *                  following links: a directory owned by root or the
 *                  caller, not writable by group or others unless sticky
 *                  (/tmp); a symlink among them is followed only when root
 *                  or the caller owns it (/var/run), and never a "..".
 *   the directory  itself never a symlink, owned by the caller (or, with
 *                  TRUST_ROOT, root), not
 *                  writable by group or others (TRUST_PRIVATE: no access
 *                  for them at all)
 *   a file         trust_file: the same for a regular file in such a
 *                  directory
 *
 * Since no component can be changed by anyone else afterwards, the path
 * names the same objects for the rest of the run (qemu's jail binds them
 * by path). A refusal is one line naming the path and why: -EPERM when
 * someone else could have changed it, -EACCES when TRUST_PRIVATE's
 * directory is only readable by others; else -errno.
 */
#ifndef QPOD_TRUST_H
#define QPOD_TRUST_H

#include "err.h"

enum {
	TRUST_CREATE  = 1 << 0,  /* make it, and missing parents, 0700 */
	TRUST_PRIVATE = 1 << 1,  /* no bit at all for group and others */
	TRUST_ROOT    = 1 << 2,  /* root may own it too (a host's configuration) */
};

/* A trusted directory: an fd of it (O_RDONLY|O_DIRECTORY|O_CLOEXEC), or -errno. */
int trust_dir(const char *path, unsigned flags, struct qerr *err);
/* A trusted regular file, opened O_RDONLY|O_CLOEXEC: its fd, or -errno
 * (-ENOENT with err set when it does not exist). */
int trust_file(const char *path, unsigned flags, struct qerr *err);
/* mkdir if missing, then insist it is ours and private (0700), with nobody
 * else able to write along its path: the state, template and root disk
 * directories. 0, or -errno. */
int private_dir(const char *path, struct qerr *err);

#endif
