/* SPDX-License-Identifier: Apache-2.0 */
/* initrd_mkcpio.c: the spec parser, its checks and the newc bytes of mkcpio.
 * Includes the tool's source (without main) to reach its static functions. */
#define MKCPIO_NO_MAIN
#include "../../initrd/mkcpio.c"

#include <sys/mman.h>

#include "tap.h"

static struct spec sp;

/* Read LINES as a spec file named "spec" into a fresh spec and finish it. */
static int load(const char *lines)
{
	FILE *f = fmemopen((void *)lines, strlen(lines), "r");
	int r;

	memset(&sp, 0, sizeof sp);
	if (!f)
		return fail("fmemopen: %s", strerror(errno));
	r = spec_read(&sp, f, "spec");
	fclose(f);
	return r ? r : spec_finish(&sp);
}

/* Write the archive of the loaded spec into a memfd; returns its size. */
static long archive(char *out, size_t cap, uint32_t mtime)
{
	int fd = memfd_create("cpio", 0);
	long n;

	if (fd < 0 || cpio_write(fd, &sp, mtime) || lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	n = read(fd, out, cap);
	close(fd);
	return n;
}

/* Field I (0 = ino ... 12 = check) of the header at H, parsed from hex. */
static unsigned long field(const char *h, int i)
{
	char f[9];

	memcpy(f, h + 6 + 8 * i, 8);
	f[8] = '\0';
	return strtoul(f, NULL, 16);
}

static void refused(const char *spec, const char *name)
{
	int r = load(spec);

	if (!ok(r < 0, name))
		printf("#   spec accepted: %s\n", spec);
	else
		printf("#   %s\n", errmsg);
}

static void rejects(void)
{
	refused("dir /a 0755\ndir /a 0700", "the same name twice is refused");
	refused("file /a/b /dev/null 0644", "a missing parent is refused");
	refused("file /a /dev/null 0644\nfile /a/b /dev/null 0644", "a file as parent is refused");
	refused("dir a 0755", "a relative name is refused");
	refused("dir / 0755", "the root itself is refused");
	refused("dir /a/../b 0755", "a '..' component is refused");
	refused("dir /a//b 0755", "an empty component is refused");
	refused("dir /a/ 0755", "a trailing slash is refused");
	refused("dir /a 0758", "a non-octal mode is refused");
	refused("dir /a 17777", "a mode above 07777 is refused");
	refused("dir /a -1", "a negative mode is refused");
	refused("nod /c 0600 x 5 1", "a node type other than c or b is refused");
	refused("nod /c 0600 c 5", "a node without minor is refused");
	refused("nod /c 0600 c 4096 1", "a major above 4095 is refused");
	refused("pipe /p 0600", "an unknown keyword is refused");
	refused("dir /a 0755 extra", "an extra field is refused");

	char lng[400] = "dir /";
	memset(lng + 5, 'x', 300);
	lng[305] = '\0';
	strcat(lng, " 0755");
	refused(lng, "a name of 256 bytes or more is refused");

	ok(load("dir /etc 0755\nfile /etc/a /dev/null 0644\ndir /etc 0755") == 0 && sp.n == 2,
	   "the same dir twice with the same mode is one entry (two trees adding to /etc)");
	ok(load("# comment\n\n   \ndir /a 0755") == 0 && sp.n == 1, "comments and blank lines are skipped");
	load("dir /a 0755\n# two\ndir /b 0855\n");
	is_str(errmsg, "spec:3: bad mode '0855'", "errors name the spec and line");
}

static void bytes(void)
{
	static char buf[8192];
	long n;
	const char *h;

	if (load("dir /tmp 1777\nnod /dev/console 0600 c 5 1\ndir /dev 0755\n"
		 "slink /bin /usr/bin 0777\ndir /dev/pts 0755\n")) {
		ok(0, "a valid spec loads");
		printf("#   %s\n", errmsg);
		return;
	}
	n = archive(buf, sizeof buf, 1700000000);
	ok(n > 0 && n % 4 == 0, "the archive is a multiple of 4 bytes");

	/* Sorted: bin, dev, dev/console, dev/pts, tmp, then the trailer. */
	h = buf;
	ok(!memcmp(h, "070701", 6), "the first header has the newc magic");
	is_str(h + 110, "bin", "entries are sorted and stored without '/'");
	is_int(field(h, 0), 1, "inode numbers start at 1");
	is_int(field(h, 1), 0120777, "a symlink has type and mode");
	is_int(field(h, 2), 0, "uid is 0");
	is_int(field(h, 3), 0, "gid is 0");
	is_int(field(h, 5), 1700000000, "mtime is the given epoch");
	is_int(field(h, 6), 8, "a symlink's size is its target's length");
	is_int(field(h, 11), 4, "namesize counts the NUL");
	ok(!memcmp(h + 116, "/usr/bin", 8), "the target follows the name, 4-aligned");

	h += 124; /* 110 + "bin\0" = 114 -> 116, + 8 bytes of target */
	is_str(h + 110, "dev", "a directory follows");
	is_int(field(h, 1), 040755, "a directory has type and mode");
	is_int(field(h, 4), 3, "a directory's nlink counts its subdirectories");
	is_int(field(h, 0), 2, "inode numbers follow the output order");

	h += 116; /* 110 + "dev\0" = 114 -> 116 */
	is_str(h + 110, "dev/console", "the node follows its parent");
	is_int(field(h, 1), 020600, "a character node has type and mode");
	is_int(field(h, 9), 5, "rdevmajor");
	is_int(field(h, 10), 1, "rdevminor");
	is_int(field(h, 7) + field(h, 8) + field(h, 12), 0, "devmajor, devminor and check are 0");

	h += 124; /* 110 + 12 = 122 -> 124 */
	h += 120; /* dev/pts: 110 + 8 = 118 -> 120 */
	is_str(h + 110, "tmp", "then /tmp");
	is_int(field(h, 1), 041777, "the sticky bit is kept");
	is_int(field(h, 4), 2, "a leaf directory has nlink 2");

	h += 116;
	is_str(h + 110, "TRAILER!!!", "the archive ends with the trailer");
	is_int(field(h, 0) + field(h, 1) + field(h, 5), 0, "the trailer has ino, mode and mtime 0");
	is_int(field(h, 4), 1, "the trailer has nlink 1");
	is_int((h - buf) + 124, n, "nothing follows the padded trailer");
}

static void file_data(void)
{
	static char buf[8192];
	char src[] = "/tmp/mkcpio-test-XXXXXX", spec[128];
	int fd = mkstemp(src);
	long n;

	if (fd < 0 || write(fd, "hello", 5) != 5 || close(fd)) {
		ok(0, "a temporary source file");
		return;
	}
	snprintf(spec, sizeof spec, "file /init %s 0755", src);
	if (load(spec) || (n = archive(buf, sizeof buf, 0)) < 0) {
		ok(0, "a file entry loads and writes");
		printf("#   %s\n", errmsg);
		unlink(src);
		return;
	}
	is_int(field(buf, 1), 0100755, "a regular file has type and mode");
	is_int(field(buf, 6), 5, "a file's size is its source's");
	is_int(field(buf, 4), 1, "a file has nlink 1");
	ok(!memcmp(buf + 116, "hello\0\0\0", 8), "the data follows the name, padded to 4");

	setenv("MKCPIO_TEST_SRC", src, 1);
	ok(load("file /init $MKCPIO_TEST_SRC 0755") == 0 && !strcmp(sp.e[0].arg, src),
	   "a $VAR source is taken from the environment");
	unsetenv("MKCPIO_TEST_SRC");
	ok(load("file /init $MKCPIO_TEST_SRC 0755") < 0, "an unset $VAR source is refused");

	{
		static char two[] = "file /motd motd 0644\nfile /abs /etc/hostname 0644";
		FILE *f = fmemopen(two, strlen(two), "r");
		memset(&sp, 0, sizeof sp);
		ok(f && spec_read(&sp, f, "/ext/initrd/initrd.spec") == 0 && !strcmp(sp.e[0].arg, "/ext/initrd/motd"),
		   "a relative source is relative to its spec's folder");
		ok(!strcmp(sp.e[1].arg, "/etc/hostname"), "an absolute source is kept");
		if (f)
			fclose(f);
	}

	snprintf(spec, sizeof spec, "file /init %s.gone 0755", src);
	ok(load(spec) == 0 && archive(buf, sizeof buf, 0) < 0, "a missing source fails the write");
	ok(load("file /d /tmp 0755") == 0 && archive(buf, sizeof buf, 0) < 0,
	   "a source that is not a regular file fails the write");
	unlink(src);
}

int main(void)
{
	plan(57);
	rejects();
	bytes();
	file_data();
	return done();
}
