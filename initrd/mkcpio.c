/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mkcpio: write a reproducible newc cpio archive (the initramfs) from a spec.
 *
 *   mkcpio [-t EPOCH] SPEC... > initrd.cpio
 *
 * One archive of the entries of every SPEC ("-" for stdin): the project's
 * initrd/initrd.spec, then the initrd.spec of each external tree. A SPEC
 * lists one entry per line, in the syntax of the kernel's
 * usr/gen_init_cpio without owners (always 0:0):
 *
 *   dir   NAME MODE
 *   file  NAME SOURCE MODE
 *   nod   NAME MODE c|b MAJOR MINOR
 *   slink NAME TARGET MODE
 *
 * NAME is absolute ("/dev/console") and is stored without its leading "/".
 * A SOURCE of the form $VAR is the value of the environment variable VAR
 * (so the spec can name build outputs: file /init $HYPERSTART 0755); a
 * relative SOURCE is relative to the folder of the SPEC that names it (an
 * external tree's files sit next to its spec).
 * MODE is the octal permission bits (07777 at most); the keyword gives the
 * file type. Fields are separated by blanks, so no field can contain one.
 * '#' starts a comment line; blank lines are skipped.
 *
 * Output: the "new ASCII" format (cpio(5); the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst):
 *
 *   for each entry, sorted by NAME bytewise (a parent precedes its children):
 *     "070701" and 13 fields of 8 lower-case hex digits:
 *       ino mode uid gid nlink mtime filesize devmajor devminor
 *       rdevmajor rdevminor namesize check
 *     NAME without the "/", NUL, NULs up to a multiple of 4 (header included)
 *     data (a file's bytes, a symlink's TARGET without NUL), NULs up to a
 *     multiple of 4
 *   then "TRAILER!!!" (ino 0, nlink 1, all else 0). No block padding.
 *
 * Deterministic: uid = gid = 0; mtime = EPOCH (-t, else $SOURCE_DATE_EPOCH,
 * else 0); ino = 1, 2, ... in output order; devmajor = devminor = check = 0;
 * nlink = 2 + number of subdirectories for a directory, 1 otherwise.
 *
 * The same `dir NAME MODE` in two specs is one entry (two trees may both
 * add files to /etc). Refused: a NAME whose parent is not a dir of the specs
 * (or "/"), any other NAME twice, empty, "." or ".." components, names of 256 bytes or more, more
 * than 256 entries, sources that are not regular files, larger than 64 MiB,
 * or that change size while read.
 * Not supported, on purpose: hard links, other owners, fifos and sockets,
 * per-entry mtimes.
 *
 * Exit status 0, or 1 with "mkcpio: SPEC:LINE: why" on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 256
#define MAX_NAME    256          /* bytes, with the NUL */
#define MAX_ARG     PATH_MAX     /* a file's source or a symlink's target */
#define MAX_FILE    (64L << 20)
#define MAX_LINE    (MAX_ARG + 512)

struct entry {
	char name[MAX_NAME];     /* absolute, as written in the spec */
	char arg[MAX_ARG];       /* file: source path; slink: target */
	unsigned mode;           /* file type | permission bits */
	unsigned rmajor, rminor; /* nod only */
	unsigned nlink;
};

struct spec {
	struct entry e[MAX_ENTRIES];
	size_t n;
};

static char errmsg[512];
/* The folder of the spec being read, for relative sources (NULL: the cwd). */
static char spec_dir[MAX_ARG];

/* Record why the current step failed; always returns -1. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof errmsg, fmt, ap);
	va_end(ap);
	return -1;
}

/* Copy a token, refusing to truncate. */
static int copy_str(char *dst, size_t size, const char *src, const char *what)
{
	size_t len = strlen(src);

	if (len >= size)
		return fail("%s is too long (%zu bytes, limit %zu)", what, len, size - 1);
	memcpy(dst, src, len + 1);
	return 0;
}

static int parse_uint(const char *s, int base, unsigned long max, unsigned *out, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (*s < '0' || *s > '9' || *end != '\0' || errno || v > max)
		return fail("bad %s '%s'", what, s);
	*out = (unsigned)v;
	return 0;
}

/* An absolute name with no empty, "." or ".." component and no trailing '/'. */
static int check_name(const char *name)
{
	const char *p = name;

	if (name[0] != '/' || name[1] == '\0')
		return fail("name '%s' must be absolute and not '/'", name);
	while (*p == '/') {
		const char *c = p + 1;
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return fail("name '%s' has an empty, '.' or '..' component", name);
		p = c + len;
	}
	return 0;
}

/* Parse one spec line (without its newline) and append the entry, if any. */
static int spec_add_line(struct spec *s, char *line)
{
	char *tok[7], *save = NULL, *t;
	size_t n = 0;
	struct entry *e;

	for (t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == 0 && t[0] == '#')
			return 0;
		if (n == 7)
			return fail("too many fields");
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	if (s->n == MAX_ENTRIES)
		return fail("more than %d entries", MAX_ENTRIES);
	e = &s->e[s->n];
	memset(e, 0, sizeof *e);
	if (n < 3)
		return fail("too few fields");
	if (copy_str(e->name, sizeof e->name, tok[1], "name") || check_name(e->name))
		return -1;
	if (!strcmp(tok[0], "dir") && n == 3) {
		if (parse_uint(tok[2], 8, 07777, &e->mode, "mode"))
			return -1;
		e->mode |= S_IFDIR;
	} else if (!strcmp(tok[0], "file") && n == 4) {
		const char *src = tok[2];

		if (src[0] == '$' && !(src = getenv(tok[2] + 1)))
			return fail("%s is not set in the environment", tok[2]);
		if (src == tok[2] && src[0] != '/' && spec_dir[0]) {
			if ((size_t)snprintf(e->arg, sizeof e->arg, "%s/%s", spec_dir, src) >= sizeof e->arg)
				return fail("source path is too long");
			src = e->arg;
		}
		if (copy_str(e->arg, sizeof e->arg, src, "source path") ||
		    parse_uint(tok[3], 8, 07777, &e->mode, "mode"))
			return -1;
		e->mode |= S_IFREG;
	} else if (!strcmp(tok[0], "slink") && n == 4) {
		if (copy_str(e->arg, MAX_NAME, tok[2], "symlink target") ||
		    parse_uint(tok[3], 8, 07777, &e->mode, "mode"))
			return -1;
		e->mode |= S_IFLNK;
	} else if (!strcmp(tok[0], "nod") && n == 6) {
		if (strcmp(tok[3], "c") && strcmp(tok[3], "b"))
			return fail("node type '%s' is not c or b", tok[3]);
		if (parse_uint(tok[2], 8, 07777, &e->mode, "mode") ||
		    parse_uint(tok[4], 10, 4095, &e->rmajor, "major") ||
		    parse_uint(tok[5], 10, 1048575, &e->rminor, "minor"))
			return -1;
		e->mode |= tok[3][0] == 'c' ? S_IFCHR : S_IFBLK;
	} else {
		return fail("expected 'dir NAME MODE', 'file NAME SOURCE MODE', "
			    "'nod NAME MODE c|b MAJOR MINOR' or 'slink NAME TARGET MODE'");
	}
	s->n++;
	return 0;
}

/* Read a whole spec; errors name FNAME and the line. */
static int spec_read(struct spec *s, FILE *f, const char *fname)
{
	static char line[MAX_LINE];
	unsigned lineno = 0;
	const char *slash = strrchr(fname, '/');

	snprintf(spec_dir, sizeof spec_dir, "%.*s", slash ? (int)(slash - fname) : 0, fname);
	if (slash == fname)
		strcpy(spec_dir, "/");

	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f))
			return fail("%s:%u: line too long", fname, lineno);
		if (spec_add_line(s, line)) {
			char why[sizeof errmsg];

			memcpy(why, errmsg, sizeof why);
			return fail("%s:%u: %s", fname, lineno, why);
		}
	}
	if (ferror(f))
		return fail("%s: read error: %s", fname, strerror(errno));
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int key_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct entry *)e)->name);
}

/* Index of the entry named exactly NAME[0..len), or -1 (entries sorted). */
static long find(const struct spec *s, const char *name, size_t len)
{
	char key[MAX_NAME];
	const struct entry *e;

	memcpy(key, name, len);
	key[len] = '\0';
	e = bsearch(key, s->e, s->n, sizeof *s->e, key_cmp);
	return e ? e - s->e : -1;
}

/* Sort, merge identical dirs, then check duplicates and parents and count
 * directory links. */
static int spec_finish(struct spec *s)
{
	size_t i, n = 0;

	qsort(s->e, s->n, sizeof *s->e, by_name);
	for (i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];

		if (n > 0 && S_ISDIR(e->mode) && e->mode == s->e[n - 1].mode && !strcmp(e->name, s->e[n - 1].name))
			continue;
		if (n != i)
			s->e[n] = *e;
		n++;
	}
	s->n = n;
	for (i = 0; i < s->n; i++)
		s->e[i].nlink = S_ISDIR(s->e[i].mode) ? 2 : 1;
	for (i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];
		size_t plen = (size_t)(strrchr(e->name, '/') - e->name);
		long p;

		if (i > 0 && !strcmp(e->name, s->e[i - 1].name))
			return fail("'%s' is listed twice", e->name);
		if (plen == 0)
			continue;
		p = find(s, e->name, plen);
		if (p < 0 || !S_ISDIR(s->e[p].mode))
			return fail("the parent of '%s' is not a dir entry of the spec", e->name);
		if (S_ISDIR(e->mode))
			s->e[p].nlink++;
	}
	return 0;
}

/* Buffered output to a file descriptor; counts bytes for the padding. */
struct out {
	int fd;
	size_t len;
	unsigned long long total;
	char buf[65536];
};

static int out_flush(struct out *o)
{
	size_t off = 0;

	while (off < o->len) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail("write: %s", w < 0 ? strerror(errno) : "no progress");
		off += (size_t)w;
	}
	o->len = 0;
	return 0;
}

static int out_put(struct out *o, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		size_t k = sizeof o->buf - o->len;

		if (k > n)
			k = n;
		memcpy(o->buf + o->len, c, k);
		o->len += k, o->total += k, c += k, n -= k;
		if (o->len == sizeof o->buf && out_flush(o))
			return -1;
	}
	return 0;
}

static int out_pad4(struct out *o)
{
	static const char zero[4];

	return out_put(o, zero, (4 - o->total % 4) % 4);
}

/* One header and its NUL-terminated, padded name. */
static int put_header(struct out *o, uint32_t ino, uint32_t mode, uint32_t nlink,
		      uint32_t mtime, uint32_t size, uint32_t rmaj, uint32_t rmin,
		      const char *name)
{
	char h[111];
	uint32_t nsize = (uint32_t)strlen(name) + 1; /* names are < MAX_NAME */

	snprintf(h, sizeof h, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		 ino, mode, 0u, 0u, nlink, mtime, size, 0u, 0u, rmaj, rmin, nsize, 0u);
	if (out_put(o, h, 110) || out_put(o, name, nsize))
		return -1;
	return out_pad4(o);
}

/* Copy exactly SIZE bytes of FD to the archive: a file that changed is an error. */
static int put_file_data(struct out *o, int fd, const char *path, unsigned long size)
{
	char buf[16384];
	unsigned long done = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("read %s: %s", path, strerror(errno));
		if (r == 0)
			break;
		if ((unsigned long)r > size - done)
			return fail("%s grew while being read", path);
		if (out_put(o, buf, (size_t)r))
			return -1;
		done += (unsigned long)r;
	}
	if (done != size)
		return fail("%s shrank while being read", path);
	return out_pad4(o);
}

static int put_file(struct out *o, const struct entry *e, uint32_t ino, uint32_t mtime)
{
	struct stat st;
	int fd = open(e->arg, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return fail("%s (for %s): %s", e->arg, e->name, strerror(errno));
	if (fstat(fd, &st) < 0)
		rc = fail("stat %s: %s", e->arg, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = fail("%s (for %s) is not a regular file", e->arg, e->name);
	else if (st.st_size > MAX_FILE)
		rc = fail("%s (for %s) is larger than %ld bytes", e->arg, e->name, MAX_FILE);
	else
		rc = put_header(o, ino, e->mode, e->nlink, mtime, (uint32_t)st.st_size,
				0, 0, e->name + 1) ||
		     put_file_data(o, fd, e->arg, (unsigned long)st.st_size) ? -1 : 0;
	close(fd);
	return rc;
}

/* The whole archive, entries in (sorted) spec order, then the trailer. */
static int cpio_write(int fd, const struct spec *s, uint32_t mtime)
{
	static struct out o;
	size_t i;

	o.fd = fd, o.len = 0, o.total = 0;
	for (i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];
		uint32_t ino = (uint32_t)i + 1;
		int rc;

		if (S_ISREG(e->mode)) {
			rc = put_file(&o, e, ino, mtime);
		} else if (S_ISLNK(e->mode)) {
			rc = put_header(&o, ino, e->mode, 1, mtime, (uint32_t)strlen(e->arg), 0, 0, e->name + 1) ||
			     out_put(&o, e->arg, strlen(e->arg)) || out_pad4(&o) ? -1 : 0;
		} else {
			rc = put_header(&o, ino, e->mode, e->nlink, mtime, 0, e->rmajor, e->rminor,
					e->name + 1);
		}
		if (rc)
			return -1;
	}
	if (put_header(&o, 0, 0, 1, 0, 0, 0, 0, "TRAILER!!!"))
		return -1;
	return out_flush(&o);
}

#ifndef MKCPIO_NO_MAIN
static struct spec spec;

static void die(const char *msg)
{
	fprintf(stderr, "mkcpio: %s\n", msg);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH"), *path;
	unsigned mtime = 0;
	FILE *f;
	int c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't')
			die("usage: mkcpio [-t EPOCH] SPEC... > archive.cpio");
		epoch = optarg;
	}
	if (optind == argc)
		die("usage: mkcpio [-t EPOCH] SPEC... > archive.cpio");
	if (epoch && *epoch && parse_uint(epoch, 10, 0xffffffffUL, &mtime, "epoch"))
		die(errmsg);
	for (; optind < argc; optind++) {
		path = argv[optind];
		f = strcmp(path, "-") ? fopen(path, "re") : stdin;
		if (!f) {
			snprintf(errmsg, sizeof errmsg, "%s: %s", path, strerror(errno));
			die(errmsg);
		}
		if (spec_read(&spec, f, f == stdin ? "" : path))
			die(errmsg);
		if (f != stdin)
			fclose(f);
	}
	if (spec_finish(&spec) || cpio_write(1, &spec, mtime))
		die(errmsg);
	return 0;
}
#endif
