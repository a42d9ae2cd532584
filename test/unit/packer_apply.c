/* SPDX-License-Identifier: Apache-2.0 */
/* packer_apply.c: root-scoped path resolution and layer application
 * (whiteouts, opaque directories, replacing, hardlinks, escapes), each case
 * run twice: with openat2(RESOLVE_IN_ROOT) and with the user-space walk. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "layer/layer.h"
#include "tap.h"

enum { REG, DIR_, SYM, HARD, CHR };
struct ent {
	int type;
	const char *name, *data;  /* data: file content, or link target */
	unsigned mode;
	long mtime;
};

static char top[] = "/tmp/qpod-apply-XXXXXX";
static int rootfd = -1;
static const char *mode_name;

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w)
{
	(void)s, (void)f, (void)w;
	return remove(p);
}

static void fresh_root(void)
{
	char path[300];
	if (rootfd >= 0)
		close(rootfd);
	snprintf(path, sizeof path, "%s/root", top);
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(path, 0755);
	rootfd = open(path, O_RDONLY | O_DIRECTORY);
}

static size_t mktar(unsigned char *buf, size_t cap, const struct ent *e)
{
	struct archive *a = archive_write_new();
	size_t used = 0;
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, buf, cap, &used);
	for (; e->name; e++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e->name);
		archive_entry_set_mtime(ae, e->mtime ? e->mtime : 1600000000, 0);
		archive_entry_set_perm(ae, e->mode ? e->mode : 0644);
		size_t n = 0;
		switch (e->type) {
		case REG:
			archive_entry_set_filetype(ae, AE_IFREG);
			n = e->data ? strlen(e->data) : 0;
			archive_entry_set_size(ae, (la_int64_t)n);
			break;
		case DIR_: archive_entry_set_filetype(ae, AE_IFDIR); break;
		case SYM: archive_entry_set_filetype(ae, AE_IFLNK); archive_entry_set_symlink(ae, e->data); break;
		case HARD: archive_entry_set_filetype(ae, AE_IFREG); archive_entry_set_hardlink(ae, e->data); break;
		case CHR: archive_entry_set_filetype(ae, AE_IFCHR); archive_entry_set_rdev(ae, makedev(1, 3)); break;
		}
		archive_write_header(a, ae);
		if (n)
			archive_write_data(a, e->data, n);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

static struct applier ap;
static struct qerr err;

/* Apply one layer; returns layer_apply's result. */
static int apply(const struct ent *e)
{
	static unsigned char buf[1 << 20];
	size_t n = mktar(buf, sizeof buf, e);
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_open_memory(a, buf, n);
	err = (struct qerr){ 0 };
	ap.what = "layer";
	ap.err = &err;
	int r = layer_apply(&ap, a);
	archive_read_free(a);
	return r;
}

static void start(void)
{
	fresh_root();
	applier_free(&ap);
	applier_init(&ap, rootfd);
}

static bool exists(const char *p)
{
	struct stat st;
	return fstatat(rootfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static char *slurp(const char *p)
{
	static char buf[256];
	int fd = openat(rootfd, p, O_RDONLY | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static char name[200];
static const char *t(const char *s)
{
	snprintf(name, sizeof name, "%s (%s)", s, mode_name);
	return name;
}

static void resolution(void)
{
	start();
	mkdirat(rootfd, "usr", 0755);
	mkdirat(rootfd, "usr/bin", 0755);
	symlinkat("usr/bin", rootfd, "bin");
	symlinkat("/usr", rootfd, "abs");
	symlinkat("../../../..", rootfd, "up");
	symlinkat("loop2", rootfd, "loop1");
	symlinkat("loop1", rootfd, "loop2");
	struct stat want, got;
	fstatat(rootfd, "usr/bin", &want, 0);
	int fd = root_open(rootfd, "bin", O_PATH | O_DIRECTORY);
	ok(fd >= 0 && fstat(fd, &got) == 0 && got.st_ino == want.st_ino, t("bin -> usr/bin resolves inside"));
	close(fd);
	fd = root_open(rootfd, "abs/bin", O_PATH | O_DIRECTORY);
	ok(fd >= 0 && fstat(fd, &got) == 0 && got.st_ino == want.st_ino, t("an absolute link is the image's root"));
	close(fd);
	fd = root_open(rootfd, "up/up/usr/../usr/bin", O_PATH | O_DIRECTORY);
	ok(fd >= 0 && fstat(fd, &got) == 0 && got.st_ino == want.st_ino, t(".. stops at the root"));
	close(fd);
	is_int(root_open(rootfd, "up/etc/passwd", O_RDONLY), -ENOENT, t("the host's /etc is not reachable"));
	is_int(root_open(rootfd, "loop1/x", O_RDONLY), -ELOOP, t("a link loop is ELOOP"));
	is_int(root_open(rootfd, "bin", O_PATH | O_NOFOLLOW | O_DIRECTORY), -ENOTDIR, t("O_NOFOLLOW keeps the last link"));
}

static void merged_usr(void)
{
	start();
	const struct ent l1[] = { { DIR_, "usr/", 0, 0755, 0 }, { DIR_, "usr/bin/", 0, 0755, 0 }, { SYM, "bin", "usr/bin", 0, 0 }, { 0 } };
	const struct ent l2[] = { { REG, "bin/foo", "foo", 0755, 0 }, { SYM, "evil", "/", 0, 0 }, { REG, "evil/etc/passwd", "inside", 0, 0 }, { 0 } };
	ok(apply(l1) == 0 && apply(l2) == 0, t("merged /usr layers apply"));
	is_str(slurp("usr/bin/foo"), "foo", t("bin/foo lands in usr/bin/foo"));
	is_str(slurp("etc/passwd"), "inside", t("evil -> / then evil/etc/passwd lands in the rootfs"));
}

static void whiteouts(void)
{
	start();
	const struct ent l1[] = { { REG, "a/x", "x", 0, 0 }, { REG, "a/y", "y", 0, 0 }, { REG, "b", "b", 0, 0 },
				  { REG, "d/lower", "l", 0, 0 }, { REG, "d/sub/lower2", "l", 0, 0 }, { 0 } };
	const struct ent l2[] = { { REG, "a/.wh.x", "", 0, 0 }, { REG, ".wh.b", "", 0, 0 },
				  { DIR_, "d/", 0, 0755, 0 }, { REG, "d/before", "1", 0, 0 }, { REG, "d/sub/keep", "k", 0, 0 },
				  { REG, "d/.wh..wh..opq", "", 0, 0 }, { REG, "d/after", "2", 0, 0 },
				  { REG, "w", "w", 0, 0 }, { REG, ".wh.w", "", 0, 0 }, { 0 } };
	ok(apply(l1) == 0 && apply(l2) == 0, t("whiteout layers apply"));
	ok(!exists("a/x") && exists("a/y") && !exists("b"), t(".wh.NAME removes NAME"));
	ok(exists("d/before") && exists("d/after") && !exists("d/lower"), t("opaque keeps this layer's entries, before and after"));
	ok(exists("d/sub/keep") && !exists("d/sub/lower2"), t("opaque empties lower entries under a dir this layer wrote into"));
	ok(exists("w"), t("a whiteout does not hide its own layer's file"));
	const struct ent l3[] = { { REG, ".wh.a", "", 0, 0 }, { 0 } };
	const struct ent l4[] = { { REG, "a/z", "z", 0, 0 }, { 0 } };
	ok(apply(l3) == 0 && !exists("a"), t("a whiteout removes a whole directory"));
	ok(apply(l4) == 0 && exists("a/z") && !exists("a/y"), t("the directory comes back empty but for the new entry"));
	const struct ent bad[] = { { REG, "a/.wh...", "", 0, 0 }, { 0 } };
	ok(apply(bad) == -EINVAL && strstr(err.msg, "a/.wh..."), t(".wh... is refused, naming the entry"));
}

static void replacing(void)
{
	start();
	const struct ent l1[] = { { REG, "d/x", "x", 0, 0 }, { SYM, "l", "/etc", 0, 0 }, { REG, "f", "f", 0, 0 }, { 0 } };
	const struct ent l2[] = { { REG, "d", "file", 0, 0 }, { DIR_, "l/", 0, 0700, 0 }, { DIR_, "f/", 0, 0755, 0 }, { 0 } };
	ok(apply(l1) == 0 && apply(l2) == 0, t("replacing layers apply"));
	is_str(slurp("d"), "file", t("a file replaces a directory tree"));
	struct stat st;
	ok(fstatat(rootfd, "l", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	   t("a directory replaces a symlink"));
	ok(fstatat(rootfd, "f", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode), t("a directory replaces a file"));
}

static void links_and_limits(void)
{
	start();
	const struct ent l1[] = { { REG, "bin/busybox", "bb", 04755, 0 }, { HARD, "bin/sh", "bin/busybox", 0, 0 },
				  { DIR_, "m/", 0, 0750, 1500000000 }, { REG, "m/f", "f", 0, 0 }, { CHR, "dev/null", 0, 0666, 0 }, { 0 } };
	ok(apply(l1) == 0, t("links layer applies"));
	struct stat a, b;
	ok(fstatat(rootfd, "bin/sh", &a, 0) == 0 && fstatat(rootfd, "bin/busybox", &b, 0) == 0 && a.st_ino == b.st_ino,
	   t("a hardlink shares the inode"));
	is_int(b.st_mode & 07777, 04755, t("setuid survives chown"));
	ok(fstatat(rootfd, "m", &a, 0) == 0 && a.st_mtime == 1500000000, t("a directory's mtime is set after its contents"));
	ok(!exists("dev/null") && ap.devices == 1, t("a device node is skipped and counted"));
	const struct ent out[] = { { HARD, "x", "../../etc/passwd", 0, 0 }, { 0 } };
	ok(apply(out) == -EXDEV && strstr(err.msg, "\"x\"") && strstr(err.msg, "climbs out"), t("a hardlink out of the root is refused"));
	const struct ent esc[] = { { REG, "../../x", "x", 0, 0 }, { 0 } };
	ok(apply(esc) == -EXDEV && strstr(err.msg, "../../x"), t("an entry out of the root is refused"));
	ap.max_entries = 2;
	const struct ent many[] = { { REG, "1", "", 0, 0 }, { REG, "2", "", 0, 0 }, { REG, "3", "", 0, 0 }, { 0 } };
	ok(apply(many) == -E2BIG, t("more entries than the limit are refused"));
	ap.max_entries = 100;
	ap.max_file = 3;
	const struct ent big[] = { { REG, "big", "1234", 0, 0 }, { 0 } };
	ok(apply(big) == -EFBIG && strstr(err.msg, "\"big\""), t("a file over the limit is refused"));
}

static void deep(void)
{
	static char deepname[1200];
	start();
	strcpy(deepname, "x");
	for (int i = 0; i < 150; i++)
		strcat(deepname, "/d");
	strcat(deepname, "/f");
	const struct ent l1[] = { { REG, deepname, "deep", 0, 0 }, { REG, "x/top", "t", 0, 0 }, { 0 } };
	const struct ent l2[] = { { REG, ".wh.x", "", 0, 0 }, { 0 } };
	ok(apply(l1) == 0 && !strcmp(slurp(deepname), "deep"), t("a 150-level tree is made"));
	ok(apply(l2) == 0 && !exists("x"), t("and whited out (rmtree past its open-fd depth)"));
}

static void all(const char *m)
{
	mode_name = m;
	resolution();
	merged_usr();
	whiteouts();
	replacing();
	links_and_limits();
	deep();
}

int main(void)
{
	if (!mkdtemp(top))
		return 1;
	plan(2 * 32);
	rootpath_no_openat2 = false;
	root_open(AT_FDCWD, ".", O_PATH);   /* let the one-time environment check run first */
	all("openat2");
	rootpath_no_openat2 = true;
	all("user space");
	applier_free(&ap);
	nftw(top, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return done();
}
