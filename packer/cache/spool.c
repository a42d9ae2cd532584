/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool.c: an archive that arrives on a pipe (`qpod run -`, `docker save |
 * qpod run - cmd`) is copied into the cache's tmp/ first, as a 0600 file,
 * so the packer can read it as often as its member order needs and check it
 * exactly as a file. The copy lives only while the caller packs it. Its
 * size is what the sender sends (the disk bounds it, as it bounds a saved
 * file); what it unpacks to is bounded by the packer as for any archive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "common/common.h"
#include "io.h"
#include "layout.h"
#include "trust.h"

int pack_spool(const struct pack_opts *opts, int fd, char **path, struct qerr *err)
{
	static char buf[1 << 16];
	char *dir = NULL;
	int out = -1, e = cache_dir_path(opts, &dir, err);
	*path = NULL;
	if (e < 0)
		return e;
	if (asprintf(path, "%s/tmp", dir) < 0) {
		e = qerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((e = trust_dir(*path, TRUST_CREATE, err)) < 0) {
		qerr_wrap(err, "cache");
		goto out;
	}
	close(e);
	e = 0;
	free(*path);
	if (asprintf(path, "%s/" CACHE_TMP "/stdin.XXXXXX", dir) < 0 || (out = mkostemp(*path, O_CLOEXEC)) < 0) {
		e = qerr_sys(err, errno, "spool the archive into %s/tmp", pq(dir));
		goto out;
	}
	ssize_t n;
	while ((n = io_read(fd, buf, sizeof buf)) > 0) {
		if ((e = io_write_all(out, buf, (size_t)n)) < 0) {
			e = qerr_sys(err, -e, "spool the archive into %s", pq(*path));
			goto out;
		}
	}
	if (n < 0)
		e = qerr_sys(err, (int)-n, "-: read the archive from stdin");
out:
	if (out >= 0 && close(out) < 0 && !e)
		e = qerr_sys(err, errno, "spool the archive into %s", pq(*path));
	if (e && *path) {
		if (out >= 0)
			unlink(*path);
		free(*path);
		*path = NULL;
	}
	free(dir);
	return e;
}
