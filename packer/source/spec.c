/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec.c: IMAGE, with skopeo's transport names and docker's references;
 * the one place that decides what IMAGE is (packer.h's enum source_kind):
 *
 *   -                                         an archive on stdin
 *   DIR (no oci-layout, manifest.json or      a root directory, shared as it is
 *        repositories at its top)
 *   docker://REGISTRY/NAME[:TAG|@sha256:HEX]  a registry (through skopeo)
 *   oci:DIR[:REF]                             an OCI layout directory   } read
 *   oci-archive:FILE[:REF]                    an OCI layout in a tar    } by qpod
 *   docker-archive:FILE[:REF]                 a docker save archive     } itself
 *   containers-storage:[DRIVER@ROOT+RUNROOT]NAME, dir:DIR
 *                                             copied by skopeo into the cache
 *   docker-daemon:, ostree:, sif:, tarball:   refused: not supported
 *   PATH[:NAME]                               an existing archive or image directory
 *                                             (a file may be a qpod bundle: its reader
 *                                             knows one by its content)
 *   SCHEME://...                              refused: unknown transport
 *   NAME[:TAG|@sha256:HEX]                    a registry reference, as docker reads
 *                                             it ("busybox" = docker.io/library/busybox:latest)
 * An existing file or image directory wins over a reference of the same
 * name (as `docker load` files are named). A name that ends like an archive
 * (.tar, .tar.gz, .tgz, .tar.zst, .tar.xz, .tar.bz2) is never taken for a
 * reference: a missing archive is "No such file or directory".
 *
 * References follow docker's grammar (lowercase path components with
 * . _ - separators, an optional registry host[:port] first, a tag of at
 * most 128 of [A-Za-z0-9_.-], a sha256 digest), bounded to 255 bytes of
 * name; anything else is refused before any program sees it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/archive.h"
#include "archive/formats.h"
#include "source/source.h"

#define REF_NAME_MAX 255

static const char *const skopeo_only[] = { "docker-daemon:", "ostree:", "sif:", "tarball:" };

static bool starts(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component of a repository: [a-z0-9]+ ([._-]+ [a-z0-9]+)*. */
static bool path_comp_ok(const char *s, size_t n)
{
	if (!n || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* A registry host: [A-Za-z0-9.-]+ with an optional :port. */
static bool host_ok(const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && s[i] != ':'; i++)
		if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') && !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' && s[i] != '-')
			return false;
	if (i == 0 || s[0] == '.' || s[0] == '-')
		return false;
	if (i < n) {
		if (i + 1 == n || n - i > 6)
			return false;
		for (size_t k = i + 1; k < n; k++)
			if (s[k] < '0' || s[k] > '9')
				return false;
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

static int bad_ref(struct qerr *err, const char *in, const char *why)
{
	return qerr_set(err, EINVAL, "%s: not a valid image reference (%s)", pq(in), why);
}

int source_ref_parse(const char *in, struct source *s, struct qerr *err)
{
	char name[REF_NAME_MAX + 1], canon[512], tag[130] = "";
	const char *at = strchr(in, '@');
	size_t nlen = at ? (size_t)(at - in) : strlen(in);
	s->digest[0] = '\0';
	if (nlen == 0 || nlen > REF_NAME_MAX)
		return bad_ref(err, in, nlen ? "name longer than 255 bytes" : "no name");
	memcpy(name, in, nlen);
	name[nlen] = '\0';
	if (at) {
		int r = digest_parse(at + 1, s->digest);
		if (r == -ENOTSUP)
			return qerr_set(err, ENOTSUP, "%s: only sha256 digests are supported", pq(in));
		if (r < 0)
			return bad_ref(err, in, "malformed digest: want @sha256:<64 lowercase hex digits>");
	}
	char *last = strrchr(name, '/');
	char *colon = strchr(last ? last : name, ':');
	if (colon) {
		if (at)
			return bad_ref(err, in, "both a tag and a digest");
		if (!tag_ok(colon + 1))
			return bad_ref(err, in, "bad tag");
		snprintf(tag, sizeof tag, "%s", colon + 1);
		*colon = '\0';
	}
	/* name is now [host/]path/components */
	const char *p = name, *slash = strchr(name, '/');
	if (slash) {
		size_t n = (size_t)(slash - name);
		bool host = memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && !memcmp(name, "localhost", 9));
		if (host) {
			if (!host_ok(name, n))
				return bad_ref(err, in, "bad registry host");
			p = slash + 1;
		}
	}
	for (const char *c = p;;) {
		const char *e = strchrnul(c, '/');
		if (!path_comp_ok(c, (size_t)(e - c)))
			return bad_ref(err, in, "repository names are lowercase letters, digits and . _ - separators");
		if (!*e)
			break;
		c = e + 1;
	}
	char full[REF_NAME_MAX + 140];
	snprintf(full, sizeof full, "%s%s%s", name, tag[0] ? ":" : "", tag);
	if (at)
		snprintf(full + strlen(full), sizeof full - strlen(full), "@sha256:%s", s->digest);
	ref_normalize(full, canon, sizeof canon);
	if (starts(canon, "docker.io/") && !strchr(canon + 10, '/')) {   /* docker.io/busybox: an official image */
		char official[600];
		snprintf(official, sizeof official, "docker.io/library/%s", canon + 10);
		snprintf(canon, sizeof canon, "%s", official);
	}
	/* canon = host/path(:tag|@digest); repo = without them */
	char *repo = strdup(canon);
	if (!repo)
		return qerr_set(err, ENOMEM, "out of memory");
	char *cut = strchr(repo, '@');
	if (!cut) {
		char *l = strrchr(repo, '/');
		cut = strchr(l ? l : repo, ':');
	}
	if (cut)
		*cut = '\0';
	s->repo = repo;
	s->canon = strdup(canon);
	s->host = strndup(canon, strcspn(canon, "/"));
	if (asprintf(&s->name, "docker://%s", canon) < 0)
		s->name = NULL;
	if (!s->canon || !s->host || !s->name)
		return qerr_set(err, ENOMEM, "out of memory");
	s->kind = SOURCE_REGISTRY;
	return 0;
}

static bool archive_like(const char *s)
{
	static const char *const ext[] = { ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2" };
	size_t n = strlen(s);
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && !strcasecmp(s + n - e, ext[i]))
			return true;
	}
	return false;
}

/* oci:, oci-archive:, docker-archive: PATH[:REF], read by qpod itself. */
static int local(const char *transport, const char *rest, struct source *s, struct qerr *err)
{
	struct stat st;
	bool want_dir = !strcmp(transport, "oci:");
	int r = spec_split(rest, &s->path, &s->ref, err);
	if (r < 0)
		return qerr_wrap(err, "%s", transport);
	if (stat(s->path, &st) == 0 && S_ISDIR(st.st_mode) != want_dir)
		return qerr_set(err, want_dir ? ENOTDIR : EISDIR, "%s%s: %s", transport, pq(s->path),
				want_dir ? "not a directory (oci: is an OCI layout directory; oci-archive: reads a tar)"
					 : "is a directory (use oci:DIR for an OCI layout directory)");
	s->kind = SOURCE_LOCAL;
	return 0;
}

int source_parse(const char *image, struct source *s, struct qerr *err)
{
	*s = (struct source){ .shown = image };
	static const char *const native[] = { "oci:", "oci-archive:", "docker-archive:" };
	struct stat st;
	if (!strcmp(image, "-")) {
		s->kind = SOURCE_STDIN;
		return 0;
	}
	if (stat(image, &st) == 0 && S_ISDIR(st.st_mode) && !dir_is_image(image)) {
		if (!(s->path = realpath(image, NULL)))
			return qerr_sys(err, errno, "%s", image);
		s->kind = SOURCE_ROOT;
		return 0;
	}
	if (starts(image, "docker://"))
		return source_ref_parse(image + 9, s, err);
	for (size_t i = 0; i < sizeof native / sizeof *native; i++)
		if (starts(image, native[i]))
			return local(native[i], image + strlen(native[i]), s, err);
	if (starts(image, "containers-storage:") || starts(image, "dir:")) {
		const char *rest = strchr(image, ':') + 1;
		if (!rest[0] || strlen(image) > 4096 || strpbrk(image, "\n\r"))
			return qerr_set(err, EINVAL, "%s: names no image", pq(image));
		if (!(s->name = strdup(image)) || !(s->canon = strdup(image)))
			return qerr_set(err, ENOMEM, "out of memory");
		s->kind = SOURCE_SKOPEO;
		return 0;
	}
	for (size_t i = 0; i < sizeof skopeo_only / sizeof *skopeo_only; i++)
		if (starts(image, skopeo_only[i]))
			return qerr_set(err, ENOTSUP, "%s: transport %.*s is not supported (qpod reads docker://, oci:, oci-archive:, docker-archive:, containers-storage:, dir:)",
					pq(image), (int)strlen(skopeo_only[i]) - 1, skopeo_only[i]);
	struct qerr local_err = { 0 };
	int r = spec_split(image, &s->path, &s->ref, &local_err);
	if (r == 0) {
		s->kind = SOURCE_LOCAL;
		return 0;
	}
	free(s->path);
	free(s->ref);
	s->path = s->ref = NULL;
	const char *scheme = strstr(image, "://");
	if (scheme) {
		int n = (int)(scheme - image);
		return qerr_set(err, EINVAL, "%s: unknown transport \"%.*s\" (qpod reads docker://, oci:, oci-archive:, docker-archive:, containers-storage:, dir:)",
				pq(image), n > 40 ? 40 : n, pq(image));
	}
	if (r != -ENOENT || archive_like(image) || image[0] == '/' || image[0] == '.' || image[0] == '~') {
		*err = local_err;
		return r;
	}
	r = source_ref_parse(image, s, err);
	if (r == -EINVAL) {   /* neither a file nor a reference: the file's error is the clearer one */
		char why[QERR_MSG_MAX];
		const char *open = strchr(err->msg, '(');
		snprintf(why, sizeof why, "%s", open ? open + 1 : "");
		why[strcspn(why, ")")] = '\0';
		return qerr_set(err, ENOENT, "%s: no such file, directory or image reference (%s)", pq(image), why);
	}
	return r;
}

void source_free(struct source *s)
{
	free(s->path);
	free(s->ref);
	free(s->name);
	free(s->canon);
	free(s->repo);
	free(s->host);
	*s = (struct source){ 0 };
}
