/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dev.c: the container's /dev, docker's device set and nothing of the
 * guest's own (its console, hwrng, kmsg and qpod's channel ports stay out
 * of the command's sight):
 *
 *   tmpfs /dev      mode 755, nosuid, 64 MiB
 *   null zero full random urandom tty      character devices, 0666
 *   console         5:1, 0600 (the guest console; a terminal run's pty is
 *                   /dev/pts/N and its controlling tty)
 *   pts             the guest's devpts (the command's pty lives there)
 *   ptmx            -> pts/ptmx
 *   shm             tmpfs nosuid,nodev,noexec, 64 MiB or --shm-size
 *   mqueue          mqueue, nosuid,nodev,noexec
 *   fd stdin stdout stderr core   -> /proc/self/fd, /proc/self/fd/0..2, /proc/kcore
 *
 * dev_build makes it at setup, outside the root (mount.c moves it in): a
 * template holds it, and a restored VM runs none of this again. --shm-size
 * other than the default remounts shm (dev_shm_size), once it is in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hyperstart.h"

#define SHM_DEFAULT (64ull << 20)
#define SHM_FLAGS   (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static const struct { const char *name; unsigned major, minor; mode_t mode; } nodes[] = {
	{ "null", 1, 3, 0666 }, { "zero", 1, 5, 0666 }, { "full", 1, 7, 0666 },
	{ "random", 1, 8, 0666 }, { "urandom", 1, 9, 0666 }, { "tty", 5, 0, 0666 },
	{ "console", 5, 1, 0600 },
};

static const struct { const char *name, *target; } links[] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
};

static int mnt_at(const char *dir, const char *name, const char *src, const char *type, unsigned long flags,
		  const char *data, struct qerr *err)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	mkdir(path, 0755);
	if (mount(src, path, type, flags, data) < 0)
		return qerr_sys(err, errno, "mount %s on %s", src, path);
	return 0;
}

int dev_build(const char *dir, struct qerr *err)
{
	char opts[64];
	int e, devfd;
	mkdir(dir, 0755);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID, "mode=755,size=65536k") < 0)
		return qerr_sys(err, errno, "mount tmpfs on %s", dir);
	if ((devfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return qerr_sys(err, errno, "open %s", dir);
	e = 0;
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes && !e; i++)
		if (mknodat(devfd, nodes[i].name, S_IFCHR | nodes[i].mode, makedev(nodes[i].major, nodes[i].minor)) < 0 ||
		    fchmodat(devfd, nodes[i].name, nodes[i].mode, 0) < 0)
			e = qerr_sys(err, errno, "create /dev/%s", nodes[i].name);
	for (size_t i = 0; i < sizeof links / sizeof *links && !e; i++)
		if (symlinkat(links[i].target, devfd, links[i].name) < 0)
			e = qerr_sys(err, errno, "create /dev/%s", links[i].name);
	close(devfd);
	snprintf(opts, sizeof opts, "mode=1777,size=%llu", SHM_DEFAULT);
	if (!e && !(e = mnt_at(dir, "pts", "/dev/pts", NULL, MS_BIND, NULL, err)) &&
	    !(e = mnt_at(dir, "shm", "shm", "tmpfs", SHM_FLAGS, opts, err)))
		e = mnt_at(dir, "mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
	return e;
}

int dev_shm_size(const struct qp_container *c, struct qerr *err)
{
	char opts[64];
	if (!c->shm_size || c->shm_size == SHM_DEFAULT)
		return 0;
	snprintf(opts, sizeof opts, "mode=1777,size=%llu", (unsigned long long)c->shm_size);
	return mount_in_root(NULL, "/dev/shm", NULL, MS_REMOUNT | SHM_FLAGS, opts, err);
}
