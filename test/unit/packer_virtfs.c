/* SPDX-License-Identifier: Apache-2.0 */
/* packer_virtfs.c: qemu's mapped-xattr encoding (packer/common/virtfs.h):
 * byte layout as 9p-local.c reads it, round trip, and the probe that refuses
 * a filesystem without user xattrs. Runs in a directory on a real disk
 * (QPOD_TEST_DISKDIR, else the current one). The filesystem without user
 * xattrs is a ramfs mounted in a private mount namespace (a user namespace
 * too when not root): tmpfs has them since Linux 6.6, so it cannot be the
 * case on every host. */
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/virtfs.h"
#include "tap.h"

/* A directory on a fresh ramfs, or NULL. */
static int put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int r = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) < 0 ? -1 : r;
}

static char *ramfs_dir(void)
{
	static char d[] = "/tmp/qpod-virtfs-XXXXXX";
	uid_t u = getuid();
	gid_t g = getgid();
	if (unshare(u ? CLONE_NEWUSER | CLONE_NEWNS : CLONE_NEWNS) < 0)
		return NULL;
	if (u) {
		/* Unmapped ids cannot own a new file (EOVERFLOW): map ours. */
		char m[64];
		snprintf(m, sizeof m, "%u %u 1\n", (unsigned)u, (unsigned)u);
		if (put_file("/proc/self/uid_map", m) < 0 || put_file("/proc/self/setgroups", "deny") < 0)
			return NULL;
		snprintf(m, sizeof m, "%u %u 1\n", (unsigned)g, (unsigned)g);
		if (put_file("/proc/self/gid_map", m) < 0)
			return NULL;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || !mkdtemp(d))
		return NULL;
	if (mount("none", d, "ramfs", 0, NULL) < 0) {
		rmdir(d);
		return NULL;
	}
	return d;
}

int main(void)
{
	plan(12);
	const char *dir = getenv("QPOD_TEST_DISKDIR") ? getenv("QPOD_TEST_DISKDIR") : ".";
	struct qerr err = { 0 };
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(virtfs_probe(dfd, dir, &err), 0, "a real disk keeps user xattrs");
	int fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	ok(fd >= 0, "a scratch file");

	struct virtfs_cred c = { .uid = 0x01020304, .gid = 42, .mode = S_IFCHR | 0620, .rdev = makedev(4, 1) };
	is_int(virtfs_set(fd, &c, &err), 0, "set");
	unsigned char b[16];
	is_int(fgetxattr(fd, "user.virtfs.uid", b, sizeof b), 4, "uid is 4 bytes");
	ok(b[0] == 4 && b[1] == 3 && b[2] == 2 && b[3] == 1, "uid is little-endian");
	is_int(fgetxattr(fd, "user.virtfs.mode", b, sizeof b), 4, "mode is 4 bytes");
	is_int(fgetxattr(fd, "user.virtfs.rdev", b, sizeof b), 8, "rdev is 8 bytes");

	struct virtfs_cred back = { 0 };
	is_int(virtfs_get(fd, &back, &err), 0, "get");
	ok(back.uid == c.uid && back.gid == c.gid, "owner round trip");
	ok(back.mode == c.mode && back.rdev == c.rdev, "mode and rdev round trip");
	close(fd);

	char *ram = ramfs_dir();
	int rfd = ram ? open(ram, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (rfd >= 0) {
		is_int(virtfs_probe(rfd, ram, &err), -ENOTSUP, "a filesystem without user xattrs is refused");
		ok(strstr(err.msg, ram) && strstr(err.msg, "QPOD_CACHE") && !strchr(err.msg, '\n'),
		   "one line naming the directory and the way out");
		close(rfd);
		umount(ram);
		rmdir(ram);
	} else {
		ok(0, "cannot run here: no ramfs in a private mount namespace");
		ok(0, "cannot run here: no ramfs in a private mount namespace");
	}
	return done();
}
