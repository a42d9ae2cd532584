/* SPDX-License-Identifier: Apache-2.0 */
/*
 * skopeo.c: running Debian's skopeo for what qpod does not read itself
 * (registries, containers-storage, dir:). qpod writes no image transport:
 * skopeo talks to registries (auth, TLS, retries, mirrors from
 * registries.conf) and writes an OCI layout that the archive stage then
 * reads and verifies like any other image directory.
 *
 * The child gets /dev/null as stdin, a pipe for stdout (kept up to a bound:
 * `inspect --raw` of a manifest) and one for stderr (its last 16 KiB). A
 * failure becomes one line: skopeo's own reason (the msg="..." of its last
 * log line, made printable and capped), after a word on what kind of failure
 * it is, so that the user reads "registry unreachable", "no such image or
 * tag", "the registry refused the credentials", "digest mismatch" or "timed
 * out" first. No skopeo on PATH: one line saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "source/source.h"
#include "vec.h"

#define ERR_KEEP (16u << 10)
#define REASON_MAX 240   /* of skopeo's reason in the one line */

extern char **environ;

/* skopeo logs `time="..." level=fatal msg="Error ...: \"x\": ..."`: the msg
 * of the last such line, unescaped, else the last non-empty line. */
static void reason(const char *log, char *out, size_t cap)
{
	const char *m = NULL, *s = log;
	while ((s = strstr(s, "msg=\"")))
		m = s, s += 5;
	size_t o = 0;
	if (m) {
		for (m += 5; *m && *m != '\n' && o + 1 < cap; m++) {
			if (*m == '"')
				break;
			if (*m == '\\' && m[1])
				m++;
			out[o++] = *m;
		}
	} else {
		size_t n = strlen(log);
		while (n && (log[n - 1] == '\n' || log[n - 1] == ' '))
			n--;
		size_t b = n;
		while (b && log[b - 1] != '\n')
			b--;
		for (; b < n && o + 1 < cap; b++)
			out[o++] = log[b];
	}
	out[o] = '\0';
	/* "Error parsing image name \"docker://x\": <reason>": the name is ours already */
	static const char noise[] = "Error parsing image name \"";
	if (!strncmp(out, noise, sizeof noise - 1)) {
		char *q = strstr(out + sizeof noise - 1, "\": ");
		if (q)
			memmove(out, q + 3, strlen(q + 3) + 1);
	}
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (!out[0])
		snprintf(out, cap, "no reason given");
}

static bool has(const char *s, const char *w)
{
	return strcasestr(s, w) != NULL;
}

/* What kind of failure skopeo's reason describes, as an errno and a phrase. */
static const char *classify(const char *r, int *code)
{
	static const struct { const char *word, *phrase; int code; } kinds[] = {
		{ "context deadline exceeded", "timed out", ETIMEDOUT },
		{ "unauthorized", "the registry refused the credentials", EACCES },
		{ "authentication required", "the registry refused the credentials", EACCES },
		{ "invalid username/password", "the registry refused the credentials", EACCES },
		{ "denied", "the registry refused access", EACCES },
		{ "server gave HTTP response to HTTPS client", "the registry speaks plain HTTP (--tls-verify=false for it)", EPROTO },
		{ "x509", "the registry's TLS certificate is not trusted", EPROTO },
		{ "digest did not match", "digest mismatch", EBADMSG },
		{ "does not match", "digest mismatch", EBADMSG },
		{ "manifest unknown", "no such image or tag", ENOENT },
		{ "name unknown", "no such image or tag", ENOENT },
		{ "not found", "no such image or tag", ENOENT },
		{ "does not resolve to an image", "no such image", ENOENT },
		{ "no such image", "no such image", ENOENT },
		{ "no such file or directory", "no such image", ENOENT },
		{ "connection refused", "registry unreachable", EHOSTUNREACH },
		{ "no such host", "registry unreachable", EHOSTUNREACH },
		{ "i/o timeout", "registry unreachable", EHOSTUNREACH },
		{ "network is unreachable", "registry unreachable", EHOSTUNREACH },
		{ "connection reset", "registry unreachable", EHOSTUNREACH },
		{ "dial tcp", "registry unreachable", EHOSTUNREACH },
		{ "pinging container registry", "registry unreachable", EHOSTUNREACH },
	};
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (has(r, kinds[i].word)) {
			*code = kinds[i].code;
			return kinds[i].phrase;
		}
	*code = EIO;
	return "skopeo failed";
}

struct buf {
	char *p;
	size_t n, cap, max;
	bool over, ring;         /* ring: keep the last max bytes */
};

static int buf_add(struct buf *b, const char *d, size_t n)
{
	if (b->ring && b->n + n > b->max) {
		size_t keep = n >= b->max ? 0 : b->max - n;
		if (keep > b->n)
			keep = b->n;
		memmove(b->p, b->p + b->n - keep, keep);
		b->n = keep;
		if (n > b->max)
			d += n - b->max, n = b->max;
	}
	if (!b->ring && b->n + n > b->max) {
		b->over = true;
		return 0;
	}
	if (vec_reserve(&b->p, &b->cap, b->n + n + 1, 1, 4096) < 0)
		return -ENOMEM;
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

/* Read both pipes to their ends. */
static int drain(int ofd, int efd, struct buf *out, struct buf *errb, pid_t pid)
{
	struct pollfd pf[2] = { { .fd = ofd, .events = POLLIN }, { .fd = efd, .events = POLLIN } };
	char chunk[65536];
	int open = 2, r = 0;
	while (open) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = io_read(pf[i].fd, chunk, sizeof chunk);
			if (n <= 0) {
				pf[i].fd = -1;
				open--;
				continue;
			}
			struct buf *b = i == 0 ? out : errb;
			if (b && (r = buf_add(b, chunk, (size_t)n)) < 0)
				return r;
			if (out && out->over) {
				kill(pid, SIGKILL);
				out->over = true;
			}
		}
	}
	return 0;
}

int skopeo_run(const char *what, char *const argv[], char **out, size_t *len, size_t max, struct qerr *err)
{
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, r;
	struct buf ob = { .max = max }, eb = { .max = ERR_KEEP, .ring = true };
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		r = qerr_sys(err, errno, "pipe");
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	io_close(&op[1]);
	io_close(&ep[1]);
	if (r == ENOENT) {
		r = qerr_set(err, ENOENT, "%s: skopeo is not installed (Debian: apt-get install skopeo); qpod needs it for this transport", pq(what));
		goto out;
	}
	if (r) {
		r = qerr_sys(err, r, "%s: cannot run skopeo", pq(what));
		goto out;
	}
	r = drain(op[0], ep[0], out ? &ob : NULL, &eb, pid);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = qerr_sys(err, -r, "%s: reading skopeo's output", pq(what));
		goto out;
	}
	if (ob.over) {
		r = qerr_set(err, EFBIG, "%s: skopeo's answer is larger than %zu bytes", pq(what), max);
		goto out;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char why[ERR_KEEP];
		int code;
		reason(eb.p ? eb.p : "", why, sizeof why);
		if (!WIFEXITED(st))
			snprintf(why, sizeof why, "skopeo killed by signal %d", WTERMSIG(st));
		const char *kind = classify(why, &code);
		if (strlen(why) > REASON_MAX)
			strcpy(why + REASON_MAX - 3, "...");
		r = qerr_set(err, code, "%s: %s: %s", pq(what), kind, why);
		goto out;
	}
	if (out) {
		*out = ob.p ? ob.p : strdup("");
		ob.p = NULL;
		if (len)
			*len = ob.n;
		if (!*out)
			r = qerr_set(err, ENOMEM, "out of memory");
	}
out:
	free(ob.p);
	free(eb.p);
	io_close(&op[0]);
	io_close(&op[1]);
	io_close(&ep[0]);
	io_close(&ep[1]);
	return r;
}
