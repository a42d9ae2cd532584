/*
 * etc.c: the files docker writes into a container's /etc, seeded into the
 * overlay's upper layer before the overlay is mounted (writing them through
 * the overlay would first copy /etc up over 9p: 6-8 ms under TCG).
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

static void seed_file(const char *file, const char *text, size_t len)
{
	char lower[64], upper[64];
	struct stat st = { .st_mode = S_IFREG | 0644 };
	snprintf(lower, sizeof lower, "/run/qpod/lower/etc/%s", file);
	snprintf(upper, sizeof upper, "/run/qpod/rw/upper/etc/%s", file);
	if (lstat(lower, &st) < 0 && errno != ENOENT) {
		log_dbg("lstat %s: %s", lower, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	int fd = open(upper, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	if (fd < 0 || io_write_all(fd, text, len) < 0 || fchown(fd, st.st_uid, st.st_gid) < 0 ||
	    fchmod(fd, st.st_mode & 07777) < 0)
		log_err("write %s: %s", upper, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* A file's text, built with stdio in memory. */
struct text {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *text_open(struct text *t)
{
	*t = (struct text){ 0 };
	return t->f = open_memstream(&t->buf, &t->len);
}

static void text_seed(struct text *t, const char *file)
{
	if (t->f && fclose(t->f) == 0 && t->buf)
		seed_file(file, t->buf, t->len);
	else
		log_err("build /etc/%s: out of memory", file);
	free(t->buf);
}

void etc_seed(const struct qp_pod *pod)
{
	const char *host = pod->hostname && *pod->hostname ? pod->hostname : "qpod";
	const struct qp_net *n = &pod->net;
	struct text t;
	struct stat st;
	if (lstat("/run/qpod/lower/etc", &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (mkdir("/run/qpod/rw/upper/etc", st.st_mode & 07777) < 0 ||
	    chown("/run/qpod/rw/upper/etc", st.st_uid, st.st_gid) < 0 ||
	    chmod("/run/qpod/rw/upper/etc", st.st_mode & 07777) < 0) {
		log_err("create the upper /etc: %s", strerror(errno));
		return;
	}
	if (text_open(&t))
		fprintf(t.f, "%s\n", host);
	text_seed(&t, "hostname");
	if (text_open(&t)) {
		fprintf(t.f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n",
			n->device ? n->address : "127.0.1.1", host);
		for (size_t i = 0; i < n->nhosts; i++)
			fprintf(t.f, "%s\t%s\n", n->hosts[i].ip, n->hosts[i].name);
	}
	text_seed(&t, "hosts");
	struct stat mt;
	if (lstat("/run/qpod/lower/etc/mtab", &mt) < 0 && errno == ENOENT &&
	    symlink("/proc/mounts", "/run/qpod/rw/upper/etc/mtab") < 0)
		log_err("symlink /etc/mtab: %s", strerror(errno));
	if (!n->dns)
		return;
	if (text_open(&t))
		for (char **d = n->dns; *d; d++)
			fprintf(t.f, "nameserver %s\n", *d);
	text_seed(&t, "resolv.conf");
}
