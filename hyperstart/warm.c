/* SPDX-License-Identifier: Apache-2.0 */
/*
 * warm.c: files of the image read once at setup, when the root is mounted
 * before READY (qpod.root=), so that a template saved there holds them in
 * its page cache and a restored run reads none of them from the disk. They
 * are read through the container's overlay, as the run will: the template
 * also holds the overlay's dentries and inodes for them, and the negative
 * ones of the PATH entries a lookup tries first, so a restored run looks
 * nothing up in the overlay (code TCG would translate again):
 *
 *   /etc/passwd, /etc/group   read by the default user's lookup, whose
 *                             answer the template keeps too (user.c)
 *   qpod.warm=NAME            the image's default command: NAME with a
 *                             slash is a path in the image; a bare name is
 *                             looked up in docker's default PATH
 *
 * Paths resolve inside the image root (inroot.c). A file that is missing
 * or unreadable is skipped: this only saves time, it changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define WARM_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Read the whole of path (inside rootfd) into the page cache: 0, or -errno. */
static int warm_file(int rootfd, const char *path)
{
	static char buf[65536];
	int fd = root_open(rootfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	ssize_t n;
	while ((n = io_read(fd, buf, sizeof buf)) > 0)
		;
	close(fd);
	return n < 0 ? (int)n : 0;
}

/* NAME as execvp would find it in WARM_PATH (regular or not: open tells). */
static void warm_command(int rootfd, const char *name)
{
	if (strchr(name, '/')) {
		warm_file(rootfd, name);
		return;
	}
	for (const char *p = WARM_PATH; *p;) {
		size_t n = strcspn(p, ":");
		char path[512];
		snprintf(path, sizeof path, "%.*s/%s", (int)n, p, name);
		if (warm_file(rootfd, path) != -ENOENT)
			return;
		p += n + (p[n] == ':');
	}
}

void warm_root(const char *root)
{
	char name[256];
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return;
	user_warm(rootfd);
	if (cmdline_get("qpod.warm", name, sizeof name) == 0 && *name)
		warm_command(rootfd, name);
	close(rootfd);
}
