/* SPDX-License-Identifier: Apache-2.0 */
/*
 * path.c: lexical path cleaning for archive member names and layer entries.
 *
 * Names in a tar are relative to an imaginary root. Like docker's unpacker
 * we strip leading "/" and "./", drop "." and empty components and apply
 * "..". A ".." that would climb above the root is refused (-EXDEV) rather
 * than clamped: docker refuses such an entry too, and a clamped name would
 * land somewhere its author did not mean. Lengths are bounded so that every
 * later *at() call sees a name the kernel accepts.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "common/common.h"

/* Append component c (len n) to out (len *o), or pop one for "..". */
static int push(char *out, size_t cap, size_t *o, const char *c, size_t n)
{
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		if (*o == 0)
			return -EXDEV;
		while (*o > 0 && out[*o - 1] != '/')
			(*o)--;
		if (*o > 0)
			(*o)--;
		out[*o] = '\0';
		return 0;
	}
	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	size_t need = *o + (*o ? 1 : 0) + n;
	if (need >= cap || need >= PATH_MAX)
		return -ENAMETOOLONG;
	if (*o)
		out[(*o)++] = '/';
	memcpy(out + *o, c, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

static int clean_into(const char *in, char *out, size_t cap, size_t *o)
{
	while (*in) {
		while (*in == '/')
			in++;
		const char *end = strchrnul(in, '/');
		size_t n = (size_t)(end - in);
		if (n && !(n == 1 && in[0] == '.')) {
			int r = push(out, cap, o, in, n);
			if (r < 0)
				return r;
		}
		in = end;
	}
	return 0;
}

int path_clean(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	if (!cap)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (strlen(in) >= PATH_MAX)
		return -ENAMETOOLONG;
	return clean_into(in, out, cap, &o);
}

int path_join_clean(const char *dir, const char *rel, bool strict_abs, char *out, size_t cap)
{
	if (rel[0] == '/') {
		if (strict_abs)
			return -EXDEV;
		return path_clean(rel, out, cap);
	}
	int r = path_clean(dir, out, cap);
	if (r < 0)
		return r;
	size_t o = strlen(out);
	if (strlen(rel) >= PATH_MAX)
		return -ENAMETOOLONG;
	return clean_into(rel, out, cap, &o);
}

const char *path_split(const char *path, char *parent, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (cap == 0)
		return slash ? slash + 1 : path;
	if (n >= cap)
		n = cap - 1;
	memcpy(parent, path, n);
	parent[n] = '\0';
	return slash ? slash + 1 : path;
}
