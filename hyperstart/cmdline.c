/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdline.c: the kernel command line's qpod words, read once at setup.
 *
 *   qpod.debug             verbose guest logging (log.c)
 *   qpod.net=DEV,ADDR/PREFIX,GATEWAY
 *                          the interface to set up before READY (net.c): the
 *                          runner puts it there when the VM has a NIC, so a
 *                          template saved at READY holds a configured network
 *                          and a restored run does no netlink work
 *   qpod.root=vdX          the image root is the squashfs on that disk: it is
 *                          mounted at setup with the overlay (mount.c), so a
 *                          template saved at READY holds the container's root
 *   qpod.warm=NAME         the image's default command, read at setup with
 *                          that root (warm.c)
 * The line is the runner's (configs/arch/ARCH/cmdline plus these), at most 4 KiB.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

static char line[4096];

void cmdline_load(const char *path)
{
	io_read_text(open(path, O_RDONLY | O_CLOEXEC), line, sizeof line);
	line[strcspn(line, "\n")] = '\0';
}

int cmdline_get(const char *name, char *val, size_t cap)
{
	size_t len = strlen(name);
	for (const char *w = line; *w; w += strcspn(w, " ")) {
		w += strspn(w, " ");
		if (strncmp(w, name, len) || (w[len] && w[len] != ' ' && w[len] != '='))
			continue;
		const char *v = w[len] == '=' ? w + len + 1 : w + len;
		size_t vlen = strcspn(v, " ");
		if (vlen >= cap)
			return -1;
		memcpy(val, v, vlen);
		val[vlen] = '\0';
		return 0;
	}
	return -1;
}
