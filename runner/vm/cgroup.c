/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup.c: a cgroup v2 of its own per VM, where the host delegates one.
 *
 *   PARENT/qpod-PID-N/           made before qemu starts, qemu moved in by
 *     memory.max                 its jail's parent before it runs (jail.c):
 *     pids.max                   the guest's RAM and CG_OVERHEAD_MB for
 *     cgroup.procs               qemu itself; CG_PIDS threads
 *
 * PARENT is QPOD_CGROUP (a directory under /sys/fs/cgroup), or else the
 * cgroup qpod runs in. Either must offer memory and pids to its children
 * (cgroup.subtree_control): a systemd unit with Delegate=yes whose own
 * processes sit in a child cgroup, or the root cgroup. Where there is none
 * (cgroup v1, or a cgroup not delegated), the VM runs in qpod's cgroup and
 * the reason is kept: --result says it ("cgroup"), and so does --debug.
 * The leaf is removed once qemu is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "io.h"
#include "vm.h"

#define CG_FS          "/sys/fs/cgroup"
#define CG_MAGIC       0x63677270  /* CGROUP2_SUPER_MAGIC */
#define CG_OVERHEAD_MB 512         /* qemu's own memory: TCG's code buffer, devices, 9p */
#define CG_PIDS        512         /* qemu's threads (9p's workers among them) */

static int read_text(const char *path, char *buf, size_t cap)
{
	ssize_t n = io_read_text(open(path, O_RDONLY | O_CLOEXEC), buf, cap);
	return n < 0 ? (int)n : 0;
}

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	/* O_CREAT: cgroupfs has each file already (or refuses); a test directory has not */
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), e = fd < 0 ? -errno : io_write_all(fd, text, strlen(text));
	io_close(&fd);
	return e;
}

/* Whether a space-separated list holds word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

int cgroup_parent(char *out, size_t cap, char *why, size_t wcap)
{
	const char *env = getenv("QPOD_CGROUP");
	char self[512];
	struct statfs sf;
	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return 0;
	}
	if (statfs(CG_FS, &sf) < 0 || sf.f_type != CG_MAGIC) {
		snprintf(why, wcap, "none: %s is not cgroup v2 (the host uses cgroup v1)", CG_FS);
		return -ENOTSUP;
	}
	if (read_text("/proc/self/cgroup", self, sizeof self) < 0 || strncmp(self, "0::/", 4)) {
		snprintf(why, wcap, "none: no cgroup v2 path in /proc/self/cgroup");
		return -ENOTSUP;
	}
	self[strcspn(self, "\n")] = '\0';
	snprintf(out, cap, "%s%s", CG_FS, strcmp(self + 3, "/") ? self + 3 : "");
	return 0;
}

int cgroup_make(struct vmcg *c, const char *parent, long memory_mb)
{
	static unsigned n;
	char ctl[256], text[32], path[PATH_MAX + 32];
	int e;
	c->path[0] = '\0';
	snprintf(path, sizeof path, "%s/cgroup.subtree_control", parent);
	if (read_text(path, ctl, sizeof ctl) < 0 || !has_word(ctl, "memory") || !has_word(ctl, "pids")) {
		snprintf(c->why, sizeof c->why, "none: %.100s offers no memory and pids controllers to its children "
			 "(QPOD_CGROUP, or systemd's Delegate=yes)", parent);
		return -ENOTSUP;
	}
	snprintf(c->path, sizeof c->path, "%.3900s/qpod-%d-%u", parent, (int)getpid(), n++);
	if (mkdir(c->path, 0755) < 0) {
		snprintf(c->why, sizeof c->why, "none: %.100s: %s", c->path, strerror(errno));
		c->path[0] = '\0';
		return -errno;
	}
	snprintf(text, sizeof text, "%ld\n", (memory_mb + CG_OVERHEAD_MB) << 20);
	if ((e = write_text(c->path, "memory.max", text)) < 0 ||
	    (snprintf(text, sizeof text, "%d\n", CG_PIDS), e = write_text(c->path, "pids.max", text)) < 0) {
		snprintf(c->why, sizeof c->why, "none: the limits of %.100s: %s", c->path, strerror(-e));
		cgroup_remove(c);
		return e;
	}
	snprintf(c->why, sizeof c->why, "%.150s", c->path);
	return 0;
}

int cgroup_enter(const struct vmcg *c, pid_t pid)
{
	char text[24];
	if (!c->path[0])
		return 0;
	snprintf(text, sizeof text, "%d\n", (int)pid);
	return write_text(c->path, "cgroup.procs", text);
}

void cgroup_remove(struct vmcg *c)
{
	if (c->path[0])
		rmdir(c->path);
	c->path[0] = '\0';
}
