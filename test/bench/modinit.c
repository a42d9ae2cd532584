/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modinit.c: /init of the bench's stock-kernel initrd (test/bench.sh).
 *
 * Debian's stock kernels build virtio, 9p and overlayfs as modules, where
 * qpod's kernel has them built in. This loads the modules named in
 * /modules/order, one file name per line, dependencies first, then becomes
 * hyperstart: execv keeps PID 1, which hyperstart insists on. A module that
 * does not load is named on the console and skipped; hyperstart then fails
 * visibly if it needed it. Bench-only: nothing in qpod's images uses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int load(const char *name)
{
	char path[300];
	snprintf(path, sizeof path, "/modules/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* finit_module: the kernel reads the file itself; no copy in here. */
	long r = syscall(SYS_finit_module, fd, "", 0);
	int e = errno;
	close(fd);
	return r < 0 && e != EEXIST ? -e : 0;
}

int main(void)
{
	char line[256];
	FILE *order = fopen("/modules/order", "re");
	if (!order)
		dprintf(2, "modinit: /modules/order: %s\n", strerror(errno));
	while (order && fgets(line, sizeof line, order)) {
		line[strcspn(line, "\n")] = '\0';
		int e = *line ? load(line) : 0;
		if (e)
			dprintf(2, "modinit: %s: %s\n", line, strerror(-e));
	}
	if (order)
		fclose(order);
	char *argv[] = { "/init", NULL };
	execv("/hyperstart", argv);
	dprintf(2, "modinit: exec /hyperstart: %s\n", strerror(errno));
	return 1;
}
