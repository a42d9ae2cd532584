/*
 * mount.c: the guest's filesystems.
 *
 *   /proc /sys /dev /dev/pts /dev/shm /run   kernel filesystems (mount_early)
 *   /run/qpod/lower   the image: 9p share, read-only, cache=loose (the host
 *                     publishes cache entries once and never changes them)
 *   /run/qpod/rw      tmpfs holding the overlay's upper and work dirs (the
 *                     upper starts with /etc/hostname and /etc/hosts)
 *   /run/qpod/root    overlay of the two: the container's writable root, so
 *                     writes never reach the host copy (and 9p's
 *                     open-unlink-fstat gap does not break apt-get)
 *
 * Inside the root it mounts /proc, /sys, /dev (with pts and shm) and the
 * volumes. Paths inside the root are resolved with openat2(RESOLVE_IN_ROOT),
 * so an image symlink such as /data -> /etc cannot point a mount outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

/* msize: the largest the virtio transport takes (125 pages). Under TCG each
 * 9p round trip costs more than the bytes it moves: exec of a 2 MiB static
 * busybox reads it in 4 requests instead of 8, 4-5 ms sooner than 256 KiB. */
#define P9_ROOT_OPTS "trans=virtio,version=9p2000.L,msize=512000,cache=loose"
#define P9_VOL_OPTS  "trans=virtio,version=9p2000.L,msize=262144,cache=mmap"

const char *const container_root = "/run/qpod/root";

struct open_how_compat {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_       0x10

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags,
	       const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0) {
		int e = errno;
		log_err("mount %s on %s (%s): %s", src, dst, type, strerror(e));
		return -e;
	}
	return 0;
}

int mount_early(void)
{
	int e;
	if ((e = mnt("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) ||
	    (e = mnt("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) ||
	    (e = mnt("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755")) ||
	    (e = mnt("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666,mode=0620,gid=5")) ||
	    (e = mnt("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")) ||
	    (e = mnt("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")))
		return e;
	/* /dev/ptmx must open the devpts instance that /dev/pts shows. */
	unlink("/dev/ptmx");
	if (symlink("pts/ptmx", "/dev/ptmx") < 0)
		log_err("symlink /dev/ptmx: %s", strerror(errno));
	mkdir("/run/qpod", 0700);
	return 0;
}

int mount_share(const char *tag, struct qerr *err)
{
	mkdir("/run/qpod/lower", 0755);
	if (mount(tag, "/run/qpod/lower", "9p", MS_RDONLY, P9_ROOT_OPTS) < 0)
		return qerr_sys(err, errno, "mount 9p share \"%s\"", tag);
	return 0;
}

static int open_in_root(int rootfd, const char *path)
{
	struct open_how_compat how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	return fd < 0 ? -errno : (int)fd;
}

/* mkdir -p PATH inside the container root; returns an O_PATH fd of it. */
int root_mkdirs(const char *path, struct qerr *err)
{
	char prefix[4096];
	size_t len = strlen(path);
	if (len >= sizeof prefix)
		return qerr_set(err, ENAMETOOLONG, "path %.64s... is too long", path);
	int rootfd = open(container_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return qerr_sys(err, errno, "open %s", container_root);
	int cur = dup(rootfd);
	for (size_t i = 0; cur >= 0 && i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		const char *comp = strrchr(prefix, '/');
		comp = comp ? comp + 1 : prefix;
		if (!*comp || !strcmp(comp, "."))
			continue;
		int fd = open_in_root(rootfd, prefix);
		if (fd == -ENOENT) {
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
				fd = -errno;
			else
				fd = open_in_root(rootfd, prefix);
		}
		close(cur);
		cur = fd;
	}
	close(rootfd);
	if (cur < 0)
		return qerr_sys(err, -cur, "create %s in the container", path);
	return cur;
}

/* Mount onto a directory inside the root, created if missing. */
static int mnt_in_root(const char *src, const char *path, const char *type, unsigned long flags,
		       const char *data, struct qerr *err)
{
	int fd = root_mkdirs(path, err);
	if (fd < 0)
		return fd;
	char target[64];
	snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
	int r = 0;
	if (mount(src, target, type, flags, data) < 0)
		r = qerr_sys(err, errno, "mount %s on %s", src, path);
	close(fd);
	return r;
}

/*
 * Put FILE (in /etc) with TEXT into the upper layer, as the overlay would
 * after copying the image's file up and truncating it: the image's mode and
 * owner if it has a regular file there, 0644 root otherwise. An image entry
 * that is not a regular file (a symlink, a directory) is left alone.
 */
static void seed_file(const char *file, const char *text)
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
	if (fd < 0 || io_write_all(fd, text, strlen(text)) < 0 || fchown(fd, st.st_uid, st.st_gid) < 0 ||
	    fchmod(fd, st.st_mode & 07777) < 0)
		log_err("write %s: %s", upper, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * /etc/hostname and /etc/hosts as docker provides them, if the image has an
 * /etc directory. They are written into the upper layer before the overlay
 * is mounted: writing them through the overlay would copy /etc up over 9p
 * first, 6-8 ms of the run under TCG. The upper /etc gets the image /etc's
 * mode and owner, as a copy-up would give it; the overlay merges the two.
 */
static void seed_etc(const char *hostname)
{
	char text[512];
	struct stat st;
	if (lstat("/run/qpod/lower/etc", &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (mkdir("/run/qpod/rw/upper/etc", st.st_mode & 07777) < 0 ||
	    chown("/run/qpod/rw/upper/etc", st.st_uid, st.st_gid) < 0 ||
	    chmod("/run/qpod/rw/upper/etc", st.st_mode & 07777) < 0) {
		log_err("create the upper /etc: %s", strerror(errno));
		return;
	}
	snprintf(text, sizeof text, "%s\n", hostname);
	seed_file("hostname", text);
	snprintf(text, sizeof text, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
		 "127.0.1.1\t%s\n", hostname);
	seed_file("hosts", text);
}

int mount_container(const struct qp_container *c, const char *hostname, struct qerr *err)
{
	int e;
	mkdir("/run/qpod/rw", 0755);
	if (mount("rw", "/run/qpod/rw", "tmpfs", 0, "mode=0755") < 0)
		return qerr_sys(err, errno, "mount tmpfs for the writable layer");
	mkdir("/run/qpod/rw/upper", 0755);
	mkdir("/run/qpod/rw/work", 0755);
	seed_etc(hostname && *hostname ? hostname : "qpod");
	mkdir(container_root, 0755);
	if (mount("overlay", container_root, "overlay", 0,
		  "lowerdir=/run/qpod/lower,upperdir=/run/qpod/rw/upper,workdir=/run/qpod/rw/work") < 0)
		return qerr_sys(err, errno, "mount the overlay root");
	if ((e = mnt_in_root("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) ||
	    (e = mnt_in_root("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, err)) ||
	    (e = mnt_in_root("/dev", "/dev", NULL, MS_BIND | MS_REC, NULL, err)))
		return e;
	for (size_t i = 0; i < c->nmounts; i++) {
		const struct qp_mount *m = &c->mounts[i];
		if ((e = mnt_in_root(m->source, m->path, "9p", m->read_only ? MS_RDONLY : 0, P9_VOL_OPTS, err)))
			return qerr_wrap(err, "volume %zu", i + 1);
	}
	return 0;
}
