/* SPDX-License-Identifier: Apache-2.0 */
/*
 * port.c: find a virtio-serial port by its name. The host names the ports
 * (virtserialport name=...); the guest sees /sys/class/virtio-ports/vportNpM/name
 * and opens /dev/vportNpM. A port's name arrives from the device a little
 * after the driver binds, so the lookup retries for a bounded time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define PORT_WAIT_MS 5000

static int scan(const char *name)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	if (!d)
		return -ENOENT;
	int fd = -ENOENT;
	struct dirent *e;
	while (fd == -ENOENT && (e = readdir(d))) {
		char path[300], got[128];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
		if (io_read_text(open(path, O_RDONLY | O_CLOEXEC), got, sizeof got) <= 0)
			continue;
		got[strcspn(got, "\n")] = '\0';
		if (strcmp(got, name))
			continue;
		snprintf(path, sizeof path, "/dev/%s", e->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0)
			fd = -errno;
	}
	closedir(d);
	return fd;
}

int port_open(const char *name)
{
	for (int waited = 0;; waited++) {
		int fd = scan(name);
		if (fd != -ENOENT || waited >= PORT_WAIT_MS)
			return fd;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
}
