/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mount.c: the guest's filesystems.
 *
 *   /proc /sys /dev /dev/pts /dev/shm /run   kernel filesystems (mount_early)
 *   /run/qpod/lower   the image: 9p share, read-only, cache=loose (the host
 *                     publishes cache entries once and never changes them);
 *                     or a bundle's squashfs on a read-only virtio disk
 *                     (/dev/vdX, STARTPOD's rootDevice; or qpod.root= on the
 *                     kernel command line: then it is mounted at setup with
 *                     the overlay and the staged mounts, mount_root_early,
 *                     and a template saved at READY holds the whole root)
 *   /run/qpod/rw      tmpfs holding the overlay's upper and work dirs (the
 *                     upper starts with the /etc files of etc.c)
 *   /run/qpod/root    overlay of the two: the container's writable root, so
 *                     writes never reach the host copy (and 9p's
 *                     open-unlink-fstat gap does not break apt-get)
 *   /run/qpod/stage   the container's /proc, /sys and /dev (dev.c), made at
 *                     setup with the rw tmpfs (mount_stage): a template
 *                     saved at READY holds them, and NEWCONTAINER only moves
 *                     them into the root
 *
 * Inside the root it then mounts the volumes (a
 * single-file volume through a share of its own in /run/qpod/volN) and the
 * --tmpfs mounts; --read-only seals the root last. Paths inside the root are
 * resolved in it (inroot.c), so an image symlink such as /data -> /etc cannot
 * point a mount outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

/* msize: the largest the virtio transport takes (125 pages). Under TCG each
 * 9p round trip costs more than the bytes it moves: exec of a 2 MiB static
 * busybox reads it in 4 requests instead of 8, 4-5 ms sooner than 256 KiB. */
#define P9_ROOT_OPTS "trans=virtio,version=9p2000.L,msize=512000,cache=loose"
#define P9_VOL_OPTS  "trans=virtio,version=9p2000.L,msize=262144,cache=mmap"

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

/* The disk qpod.root= named ("vda"), mounted at setup; "" when STARTPOD
 * names the root. */
static char early_dev[8];

static int mount_disk(const char *name, const char *type, struct qerr *err)
{
	char dev[16];
	snprintf(dev, sizeof dev, "/dev/%s", name);
	if (mount(dev, "/run/qpod/lower", type, MS_RDONLY | MS_NODEV, NULL) < 0)
		return qerr_sys(err, errno, "mount %s (%s)", dev, type);
	return 0;
}

int mount_lower(const struct qp_pod *pod, struct qerr *err)
{
	if (*early_dev) {
		if (!pod->root_device || strcmp(pod->root_device, early_dev) || strcmp(pod->root_type, "squashfs"))
			return qerr_set(err, EINVAL, "the root is the squashfs on %s (qpod.root=), mounted at boot",
					early_dev);
		return 0;
	}
	mkdir("/run/qpod/lower", 0755);
	if (pod->root_device) /* proto/pod.c let through only vda..vdz and squashfs. */
		return mount_disk(pod->root_device, pod->root_type, err);
	if (mount(pod->share, "/run/qpod/lower", "9p", MS_RDONLY, P9_ROOT_OPTS) < 0)
		return qerr_sys(err, errno, "mount 9p share \"%s\"", pod->share);
	return 0;
}

/* A single-file volume: the share goes to a directory of its own outside the
 * root, and only the file is bound into place (a file of the image's, or a
 * new empty one, is the mount point). */
static int mount_file(const struct qp_mount *m, size_t i, struct qerr *err)
{
	char dir[64], src[4200];
	snprintf(dir, sizeof dir, "/run/qpod/vol%zu", i);
	mkdir(dir, 0700);
	if (mount(m->source, dir, "9p", m->read_only ? MS_RDONLY : 0, P9_VOL_OPTS) < 0)
		return qerr_sys(err, errno, "mount 9p share \"%s\"", m->source);
	char parent[4096];
	snprintf(parent, sizeof parent, "%s", m->path);
	char *base = strrchr(parent, '/');
	*base++ = '\0';
	int pfd = root_mkdirs(*parent ? parent : "/", err);
	if (pfd < 0)
		return pfd;
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(pfd);
	if (fd < 0)
		return qerr_sys(err, errno, "create %s for the volume", m->path);
	char target[64];
	snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
	snprintf(src, sizeof src, "%s/%s", dir, m->file);
	int r = 0;
	/* A bind takes the flags of the mount it copies: from the read-only
	 * share, it is read-only too. */
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		r = qerr_sys(err, errno, "bind %s onto %s", m->file, m->path);
	close(fd);
	return r;
}

/* Made ahead, at setup: each goes into the root with a move (cheap) once the
 * overlay is up. */
#define STAGE "/run/qpod/stage"

int mount_stage(struct qerr *err)
{
	int e;
	mkdir(STAGE, 0700);
	if ((e = mnt("rw", "/run/qpod/rw", "tmpfs", 0, "mode=0755")) ||
	    (e = mnt("proc", STAGE "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) ||
	    (e = mnt("sysfs", STAGE "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL)))
		return qerr_set(err, -e, "mount the writable layer, or the container's /proc or /sys");
	if (mkdir("/run/qpod/rw/upper", 0755) < 0 || mkdir("/run/qpod/rw/work", 0755) < 0)
		return qerr_sys(err, errno, "create the writable layer's directories");
	return dev_build(STAGE "/dev", err);
}

/* The overlay of lower and rw, and the staged /proc, /sys and /dev moved in. */
static int root_assemble(struct qerr *err)
{
	int e;
	mkdir(container_root, 0755);
	if (mount("overlay", container_root, "overlay", 0,
		  "lowerdir=/run/qpod/lower,upperdir=/run/qpod/rw/upper,workdir=/run/qpod/rw/work") < 0)
		return qerr_sys(err, errno, "mount the overlay root");
	if ((e = mount_in_root(STAGE "/proc", "/proc", NULL, MS_MOVE, NULL, err)) ||
	    (e = mount_in_root(STAGE "/sys", "/sys", NULL, MS_MOVE, NULL, err)))
		return e;
	return mount_in_root(STAGE "/dev", "/dev", NULL, MS_MOVE, NULL, err);
}

int mount_root_early(struct qerr *err)
{
	char v[16];
	int e;
	if (cmdline_get("qpod.root", v, sizeof v) < 0)
		return 0;
	if (strcmp(v, "dm-0") && (strlen(v) != 3 || strncmp(v, "vd", 2) || v[2] < 'a' || v[2] > 'z'))
		return qerr_set(err, EINVAL, "qpod.root=%s: not a virtio disk vda..vdz, nor dm-0", v);
	mkdir("/run/qpod/lower", 0755);
	if ((e = mount_disk(v, "squashfs", err)))
		return e;
	char net[64];
	etc_place(cmdline_get("qpod.net", net, sizeof net) == 0); /* a NIC: the pod names DNS */
	if ((e = root_assemble(err)))
		return e;
	snprintf(early_dev, sizeof early_dev, "%s", v);
	etc_hold();
	warm_root(container_root);
	return 0;
}

/* Mount i's path depth: its count of '/' (volumes first, then tmpfs). */
static size_t depth(const struct qp_container *c, size_t i)
{
	const char *p = i < c->nmounts ? c->mounts[i].path : c->tmpfs[i - c->nmounts].path;
	size_t d = 0;
	for (; *p; p++)
		d += *p == '/' && p[1];
	return d;
}

int mount_container(const struct qp_container *c, const struct qp_pod *pod, struct qerr *err)
{
	int e;
	if (*early_dev) {
		etc_fill(pod);
	} else {
		etc_seed(pod);
		if ((e = root_assemble(err)))
			return e;
	}
	if ((e = dev_shm_size(c, err)))
		return e;
	/* Any mount may cover /etc (its path may pass through an image
	 * symlink): then the files decide, not setup's answer. */
	if (c->nmounts || c->ntmpfs)
		user_warm_drop();
	/* Parents before what they hold, as docker sorts them: --tmpfs /a then
	 * /a/b, or a volume inside a tmpfs, whatever order they were given in. */
	size_t n = c->nmounts + c->ntmpfs, order[QP_MAX_MOUNTS + QP_MAX_TMPFS];
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && depth(c, order[k]) < depth(c, order[k - 1]); k--) {
			size_t t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		if (i < c->nmounts) {
			const struct qp_mount *m = &c->mounts[i];
			e = m->file ? mount_file(m, i, err)
				    : mount_in_root(m->source, m->path, "9p", m->read_only ? MS_RDONLY : 0, P9_VOL_OPTS, err);
			if (e)
				return qerr_wrap(err, "volume %zu", i + 1);
		} else {
			const struct qp_tmpfs *t = &c->tmpfs[i - c->nmounts];
			if ((e = mount_in_root("tmpfs", t->path, "tmpfs", MS_NOSUID | MS_NODEV, t->options, err)))
				return qerr_wrap(err, "--tmpfs %s", t->path);
		}
	}
	return 0;
}

/* --read-only: once every mount point and the workdir exist, the root's own
 * mount becomes read-only (the mounts on it keep their modes). */
int mount_seal(const struct qp_container *c, struct qerr *err)
{
	if (c->read_only && mount(NULL, container_root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return qerr_sys(err, errno, "make the root read-only");
	return 0;
}
