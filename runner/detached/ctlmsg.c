/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctlmsg.c: the wire of a detached VM's control socket (ROOT/ID/ctl.sock,
 * in a 0700 directory; each connection's peer is checked with SO_PEERCRED).
 * SOCK_SEQPACKET keeps message boundaries, so a message is one JSON object,
 * at most CTL_MSG_MAX bytes, with up to three fds (SCM_RIGHTS): the stdio
 * of a `qpod exec`. The messages themselves are in ctlreq.c's header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "io.h"
#include "detached.h"

/* A socket path has at most 107 bytes; the VM's directory may be deeper
 * (a long $XDG_RUNTIME_DIR or QPOD_STATE), so it is reached through an fd
 * of the directory: /proc/self/fd/N/ctl.sock. *dfd is that fd (closed by
 * the caller once bound or connected). */
static int addr(const char *dir, struct sockaddr_un *sa, int *dfd, struct qerr *err)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	*dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		return qerr_sys(err, errno, "%s", dir);
	snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/ctl.sock", *dfd);
	return 0;
}

int ctl_listen(const char *dir, struct qerr *err)
{
	struct sockaddr_un sa;
	int dfd, e = addr(dir, &sa, &dfd, err);
	if (e)
		return e;
	unlinkat(dfd, "ctl.sock", 0);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0) {
		e = qerr_sys(err, errno, "control socket %s/ctl.sock", dir);
		io_close(&fd);
	}
	close(dfd);
	return e ? e : fd;
}

int ctl_connect(const char *dir, struct qerr *err)
{
	struct sockaddr_un sa;
	int dfd, e = addr(dir, &sa, &dfd, err);
	if (e)
		return e;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = qerr_sys(err, errno, "connect to the VM's monitor");
		io_close(&fd);
	}
	close(dfd);
	if (e)
		return e;
	if (!ctl_peer_ok(fd)) {
		close(fd);
		return qerr_set(err, EPERM, "the VM's monitor runs as another user");
	}
	return fd;
}

int ctl_send(int fd, const char *json, size_t len, const int *fds, int nfds)
{
	union { char buf[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } u;
	struct iovec iov = { .iov_base = (void *)json, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (len > CTL_MSG_MAX || nfds > 3)
		return -EMSGSIZE;
	if (nfds > 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t ctl_recv(int fd, char *buf, size_t cap, int fds[3])
{
	union { char buf[CMSG_SPACE(3 * sizeof(int))]; struct cmsghdr align; } u;
	struct iovec iov = { .iov_base = buf, .iov_len = cap - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	ssize_t n;
	fds[0] = fds[1] = fds[2] = -1;
	while ((n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int got[8];
		memcpy(got, CMSG_DATA(c), (k > 8 ? 8 : k) * sizeof(int));
		for (size_t i = 0; i < k && i < 8; i++) {
			if (i < 3)
				fds[i] = got[i];
			else
				close(got[i]); /* more than anyone may pass */
		}
	}
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (int i = 0; i < 3; i++)
			io_close(&fds[i]);
		return -EMSGSIZE;
	}
	buf[n] = '\0';
	return n;
}

bool ctl_peer_ok(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && (cr.uid == geteuid() || cr.uid == 0);
}
