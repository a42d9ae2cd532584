/*
 * client.c: how a qpod command reaches a detached VM: find it (name, id or
 * id prefix; state.c), connect to its monitor's socket (ctlmsg.c), send one
 * request, read the replies. A VM whose monitor is gone has no socket: the
 * caller is told, never left waiting.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "runner.h"

int client_find(const char *ref, struct vm_ref *v)
{
	struct qerr err;
	if (state_find(ref, v->dir, sizeof v->dir, &v->st, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return -ENOENT;
	}
	return 0;
}

int client_connect(struct vm_ref *v)
{
	struct qerr err;
	if (!state_alive(v->dir)) {
		fprintf(stderr, "qpod: %s is not running\n", v->st.name);
		return -ESRCH;
	}
	int fd = ctl_connect(v->dir, &err);
	if (fd < 0)
		fprintf(stderr, "qpod: %s: %s\n", v->st.name, err.msg);
	return fd;
}

int client_send(int fd, struct jw *w, const int *fds, int nfds)
{
	const char *json;
	size_t len;
	int e = jw_done(w, &json, &len);
	if (!e)
		e = ctl_send(fd, json, len, fds, nfds);
	jw_free(w);
	return e;
}

/* The next reply as parsed JSON (caller frees), within timeout_ms (-1: no
 * limit); -ETIMEDOUT, or -EPIPE when the monitor went away. */
int client_reply(int fd, struct json *j, char *buf, size_t cap, int timeout_ms)
{
	int fds[3];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);
	if (r == 0)
		return -ETIMEDOUT;
	ssize_t n = ctl_recv(fd, buf, cap, fds);
	for (int i = 0; i < 3; i++)
		io_close(&fds[i]);
	if (n <= 0)
		return n == 0 ? -EPIPE : (int)n;
	if (json_parse_alloc(j, buf, (size_t)n) < 0 || j->t[0].type != JSON_OBJECT) {
		if (j->t)
			json_free(j);
		return -EPROTO;
	}
	return 0;
}

int client_status(struct json *j)
{
	int64_t v = EXIT_QPOD;
	json_int(j, json_get(j, 0, "status"), &v);
	return v >= 0 && v <= 255 ? (int)v : EXIT_QPOD;
}
