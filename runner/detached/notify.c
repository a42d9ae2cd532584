/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify.c: systemd's readiness protocol without libsystemd: one datagram
 * of "KEY=VALUE" lines to the unix socket $NOTIFY_SOCKET (a path, or an
 * abstract name after '@'), as sd_notify(3) sends it. A unit with
 * Type=notify and NotifyAccess=all is then active once a VM's monitor says
 * READY=1 (monitor.c, monhealth.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "detached.h"

int sd_notify_send(const char *text)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path || (*path != '/' && *path != '@') || strlen(path) >= sizeof sa.sun_path)
		return 0;
	memcpy(sa.sun_path, path, strlen(path));
	if (*path == '@')
		sa.sun_path[0] = '\0';
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ssize_t n = sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	int e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}
