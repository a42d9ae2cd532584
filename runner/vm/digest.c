/* SPDX-License-Identifier: Apache-2.0 */
/*
 * digest.c: the sha256 of a file a template depends on (kernel, initrd,
 * firmware, an image's root disk), remembered by the file's identity in
 * DIR/digests/<sha256 of the identity>, so a warm run hashes nothing:
 * identity = path, device, inode, size, mtime and ctime. A changed file has
 * a new ctime, which no one can set back, so it is hashed again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/layout.h"
#include "common/common.h"
#include "io.h"
#include "vm.h"

static int hash_file(const char *path, char hex[HEX64])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct sha *s = sha_new();
	char buf[65536];
	ssize_t n = -ENOMEM;
	while (s && (n = io_read(fd, buf, sizeof buf)) > 0)
		sha_update(s, buf, (size_t)n);
	close(fd);
	if (s && n == 0)
		sha_hex(s, hex);
	sha_free(s);
	return n < 0 ? (int)n : 0;
}

/* DIR/digests/<idhex> for path as it is now. */
static int record_path(const char *dir, const char *path, char *out, size_t cap)
{
	struct stat st;
	char id[PATH_MAX + 128], idhex[HEX64];
	if (stat(path, &st) < 0)
		return -errno;
	snprintf(id, sizeof id, "%s %lu %lu %lld %lld.%09ld %lld.%09ld", path, (unsigned long)st.st_dev,
		 (unsigned long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	sha256_hex(id, strlen(id), idhex);
	snprintf(out, cap, "%s/" TEMPLATES_DIGESTS "/%s", dir, idhex);
	return 0;
}

void file_sha256_remember(const char *dir, const char *path, const char hex[HEX64])
{
	char p[PATH_MAX + 80], tmp[PATH_MAX + 100];
	if (record_path(dir, path, p, sizeof p) < 0)
		return;
	snprintf(tmp, sizeof tmp, "%s.%d", p, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	bool ok = io_write_all(fd, hex, HEX64 - 1) == 0;
	close(fd);
	if (!ok || rename(tmp, p) < 0)
		unlink(tmp);
}

int file_sha256(const char *dir, const char *path, char hex[HEX64], struct qerr *err)
{
	char p[PATH_MAX + 80];
	int e = record_path(dir, path, p, sizeof p);
	if (e < 0)
		return qerr_sys(err, -e, "%s", path);
	if (io_read_text(open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), hex, HEX64) > 0 && is_hex64(hex))
		return 0;
	if ((e = hash_file(path, hex)) < 0)
		return qerr_sys(err, -e, "%s", path);
	file_sha256_remember(dir, path, hex);
	return 0;
}
