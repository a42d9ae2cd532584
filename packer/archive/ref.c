/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ref.c: the SPEC of `./run SPEC cmd` and image names inside archives.
 *
 * SPEC is "archive" or "archive:NAME" (an image directory counts as an
 * archive, dir.c). Archive paths may hold colons and NAME always does
 * ("repo:tag", "localhost:5000/x:1"), so the split is decided by the file
 * system: the whole SPEC if it names a file, else the shortest prefix before
 * a ':' that does. NAME matches an image when it is
 * equal to one of the image's names as written, or after docker's
 * normalization ("busybox" = "docker.io/library/busybox:latest").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/formats.h"

static int is_file(const char *p)
{
	struct stat st;
	if (stat(p, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) && !dir_is_image(p) ? -EISDIR : 0;
}

int spec_split(const char *spec, char **path, char **ref, struct qerr *err)
{
	*path = *ref = NULL;
	int whole = is_file(spec);
	if (whole == 0)
		return (*path = strdup(spec)) ? 0 : qerr_set(err, ENOMEM, "out of memory");
	for (const char *c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
		char *p = strndup(spec, (size_t)(c - spec));
		if (!p)
			return qerr_set(err, ENOMEM, "out of memory");
		if (c[1] && is_file(p) == 0) {
			*path = p;
			if (!(*ref = strdup(c + 1)))
				return qerr_set(err, ENOMEM, "out of memory");
			return 0;
		}
		free(p);
	}
	if (whole == -EISDIR)
		return qerr_set(err, EISDIR, "%s: is a directory without oci-layout or manifest.json (qpod reads image archives and image directories made by docker save, skopeo or an OCI exporter)", pq(spec));
	return qerr_sys(err, -whole, "%s", pq(spec));
}

void ref_normalize(const char *in, char *out, size_t cap)
{
	const char *slash = strchr(in, '/');
	const char *last = strrchr(in, '/');
	const char *name = last ? last + 1 : in;
	const char *prefix = "";
	if (!slash)
		prefix = "docker.io/library/";
	else {
		size_t n = (size_t)(slash - in);
		bool host = memchr(in, '.', n) || memchr(in, ':', n) || (n == 9 && !memcmp(in, "localhost", 9));
		if (!host)
			prefix = "docker.io/";
	}
	if (!strncmp(in, "index.docker.io/", 16)) {
		in += 16;
		prefix = strchr(in, '/') ? "docker.io/" : "docker.io/library/";
	}
	bool tagged = strchr(name, ':') || strchr(name, '@');
	snprintf(out, cap, "%s%s%s", prefix, in, tagged ? "" : ":latest");
}

bool ref_match(const char *want, const char *have)
{
	if (!want || !have || !have[0])
		return false;
	if (!strcmp(want, have))
		return true;
	char a[512], b[512];
	ref_normalize(want, a, sizeof a);
	ref_normalize(have, b, sizeof b);
	return !strcmp(a, b);
}
