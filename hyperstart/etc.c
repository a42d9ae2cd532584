/* SPDX-License-Identifier: Apache-2.0 */
/*
 * etc.c: the files docker writes into a container's /etc.
 *
 *   /etc/hostname     the pod's hostname
 *   /etc/hosts        localhost, the hostname (on the VM's address, or
 *                     127.0.1.1 without a network), then the pod's extra
 *                     entries (host.containers.internal, --add-host)
 *   /etc/resolv.conf  the pod's nameservers, when it names any
 *   /etc/mtab         -> /proc/mounts, if the image has none (df, mount)
 *
 * Each file gets the image's mode and owner if the image has a regular file
 * there (as a copy-up and truncate would), 0644 root otherwise; an image
 * entry that is not a regular file (a symlink, a directory) is left alone.
 * The upper /etc gets the image /etc's mode and owner; nothing is seeded
 * when the image has no /etc directory.
 *
 * Two ways, one result:
 *   etc_seed   the files go into the overlay's upper layer before the
 *              overlay is mounted (writing them through the overlay would
 *              first copy /etc up: 6-8 ms over 9p under TCG)
 *   etc_place  at setup, when the root is mounted before READY (qpod.root=):
 *              the same files, empty, in the upper layer before the overlay
 *              is mounted; etc_fill then writes this pod's text into them
 *              through the overlay (they are upper files: no copy-up), so a
 *              template holds the root and each run only writes three files
 *   etc_hold   once the overlay is up: the placed files opened through it,
 *              so the template holds their dentries, inodes and open files
 *              and etc_fill only writes (no path walk, no overlay lookup
 *              translated again after a restore)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define LOWER_ETC "/run/qpod/lower/etc/"
#define UPPER_ETC "/run/qpod/rw/upper/etc/"

enum { F_HOSTNAME, F_HOSTS, F_RESOLV, F_N };
static const char *const files[F_N] = { "hostname", "hosts", "resolv.conf" };
static bool placed[F_N]; /* etc_place made it (so it is an upper file) */
static int held[F_N] = { -1, -1, -1 }; /* etc_hold's fds of the placed files */

/* The image's entry for file: 1 a regular file (mode and owner in *st),
 * 0 none (*st: root 0644), -1 something else, left alone. */
static int image_entry(const char *file, struct stat *st)
{
	char lower[64];
	snprintf(lower, sizeof lower, LOWER_ETC "%s", file);
	if (lstat(lower, st) == 0)
		return S_ISREG(st->st_mode) ? 1 : -1;
	*st = (struct stat){ .st_mode = S_IFREG | 0644 };
	if (errno != ENOENT)
		log_dbg("lstat %s: %s", lower, strerror(errno));
	return errno == ENOENT ? 0 : -1;
}

/* A new upper file with the image's mode and owner, holding text. */
static bool seed_file(const char *file, const char *text, size_t len)
{
	char upper[64];
	struct stat st;
	if (image_entry(file, &st) < 0)
		return false;
	snprintf(upper, sizeof upper, UPPER_ETC "%s", file);
	int fd = open(upper, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	bool ok = fd >= 0 && io_write_all(fd, text, len) == 0 && fchown(fd, st.st_uid, st.st_gid) == 0 &&
		  fchmod(fd, st.st_mode & 07777) == 0;
	if (!ok)
		log_err("write %s: %s", upper, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The upper /etc, as the image's; false when the image has no /etc dir. */
static bool upper_etc(void)
{
	struct stat st;
	if (lstat(LOWER_ETC, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	if (mkdir(UPPER_ETC, st.st_mode & 07777) < 0 || chown(UPPER_ETC, st.st_uid, st.st_gid) < 0 ||
	    chmod(UPPER_ETC, st.st_mode & 07777) < 0) {
		log_err("create the upper /etc: %s", strerror(errno));
		return false;
	}
	struct stat mt;
	if (lstat(LOWER_ETC "mtab", &mt) < 0 && errno == ENOENT && symlink("/proc/mounts", UPPER_ETC "mtab") < 0)
		log_err("symlink /etc/mtab: %s", strerror(errno));
	return true;
}

/* The pod's text of file i, in a static buffer: its length, or -1 when the
 * pod has none. The buffer holds more than a control frame can name. */
static char etc_text[QP_CTL_MAX + 4096];

static void add(size_t *o, const char *fmt, const char *a, const char *b)
{
	if (*o < sizeof etc_text)
		*o += (size_t)snprintf(etc_text + *o, sizeof etc_text - *o, fmt, a, b);
}

static ssize_t text_of(int i, const struct qp_pod *pod)
{
	const char *host = pod->hostname && *pod->hostname ? pod->hostname : "qpod";
	const struct qp_net *n = &pod->net;
	size_t o = 0;
	if (i == F_RESOLV && !n->dns)
		return -1;
	if (i == F_HOSTNAME)
		add(&o, "%s%s\n", host, "");
	if (i == F_HOSTS) {
		add(&o, "%s%s", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", "");
		add(&o, "%s\t%s\n", n->device ? n->address : "127.0.1.1", host);
		for (size_t k = 0; k < n->nhosts; k++)
			add(&o, "%s\t%s\n", n->hosts[k].ip, n->hosts[k].name);
	}
	for (char **d = i == F_RESOLV ? n->dns : NULL; d && *d; d++)
		add(&o, "nameserver %s%s\n", *d, "");
	if (o >= sizeof etc_text) {
		log_err("build /etc/%s: too long", files[i]);
		return -1;
	}
	return (ssize_t)o;
}

void etc_seed(const struct qp_pod *pod)
{
	if (!upper_etc())
		return;
	for (int i = 0; i < F_N; i++) {
		ssize_t len = text_of(i, pod);
		if (len >= 0)
			seed_file(files[i], etc_text, (size_t)len);
	}
}

void etc_place(bool resolv)
{
	if (!upper_etc())
		return;
	for (int i = 0; i < F_N; i++)
		placed[i] = (i != F_RESOLV || resolv) && seed_file(files[i], "", 0);
}

void etc_hold(void)
{
	char path[96];
	for (int i = 0; i < F_N; i++) {
		snprintf(path, sizeof path, "%s/etc/%s", container_root, files[i]);
		if (placed[i] && (held[i] = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			log_err("open %s: %s", path, strerror(errno));
	}
}

/* Write text into the container's /etc/file (through the overlay): into a
 * placeholder (empty: NEWCONTAINER comes once, so no truncate; held open
 * since setup, or opened now), or with O_CREAT over the image's file
 * (copied up and truncated) or none. */
static void write_root(int i, const char *text, size_t len, int flags)
{
	char path[96];
	snprintf(path, sizeof path, "%s/etc/%s", container_root, files[i]);
	int fd = held[i] >= 0 && !flags ? held[i]
		 : open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (flags & O_CREAT ? flags | O_TRUNC : flags), 0644);
	held[i] = -1;
	if (fd < 0 || io_write_all(fd, text, len) < 0)
		log_err("write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The image's own file back into a placeholder this pod has no text for
 * (or the placeholder gone, when the image has none). */
static void unplace(int i)
{
	char lower[64], path[96], buf[65536];
	const char *file = files[i];
	struct stat st;
	io_close(&held[i]);
	snprintf(path, sizeof path, "%s/etc/%s", container_root, file);
	if (image_entry(file, &st) == 0) {
		if (unlink(path) < 0)
			log_err("unlink %s: %s", path, strerror(errno));
		return;
	}
	snprintf(lower, sizeof lower, LOWER_ETC "%s", file);
	int fd = open(lower, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : io_read_full(fd, buf, sizeof buf);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		log_err("read %s: %s", lower, strerror(errno));
	else
		write_root(i, buf, (size_t)n, 0);
}

void etc_fill(const struct qp_pod *pod)
{
	struct stat st;
	if (lstat(UPPER_ETC, &st) < 0)
		return; /* the image has no /etc: nothing was placed, nothing goes in */
	for (int i = 0; i < F_N; i++) {
		ssize_t len = text_of(i, pod);
		if (len >= 0 && (placed[i] || image_entry(files[i], &st) >= 0))
			write_root(i, etc_text, (size_t)len, placed[i] ? 0 : O_CREAT);
		else if (len < 0 && placed[i])
			unplace(i);
	}
}
