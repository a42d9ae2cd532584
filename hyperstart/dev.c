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
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hyperstart.h"

#define SHM_DEFAULT (64ull << 20)

static const struct { const char *name; unsigned major, minor; mode_t mode; } nodes[] = {
	{ "null", 1, 3, 0666 }, { "zero", 1, 5, 0666 }, { "full", 1, 7, 0666 },
	{ "random", 1, 8, 0666 }, { "urandom", 1, 9, 0666 }, { "tty", 5, 0, 0666 },
	{ "console", 5, 1, 0600 },
};

static const struct { const char *name, *target; } links[] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
};

int dev_populate(const struct qp_container *c, struct qerr *err)
{
	char opts[64];
	int e, devfd;
	if ((e = mount_in_root("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755,size=65536k", err)))
		return e;
	if ((devfd = root_mkdirs("/dev", err)) < 0)
		return devfd;
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes && !e; i++)
		if (mknodat(devfd, nodes[i].name, S_IFCHR | nodes[i].mode, makedev(nodes[i].major, nodes[i].minor)) < 0 ||
		    fchmodat(devfd, nodes[i].name, nodes[i].mode, 0) < 0)
			e = qerr_sys(err, errno, "create /dev/%s", nodes[i].name);
	for (size_t i = 0; i < sizeof links / sizeof *links && !e; i++)
		if (symlinkat(links[i].target, devfd, links[i].name) < 0)
			e = qerr_sys(err, errno, "create /dev/%s", links[i].name);
	close(devfd);
	snprintf(opts, sizeof opts, "mode=1777,size=%llu", (unsigned long long)(c->shm_size ? c->shm_size : SHM_DEFAULT));
	if (!e && !(e = mount_in_root("/dev/pts", "/dev/pts", NULL, MS_BIND, NULL, err)) &&
	    !(e = mount_in_root("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts, err)))
		e = mount_in_root("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
	return e;
}
