/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmtree.c: remove a directory tree (a layer replacing one, a whiteout, the
 * cache dropping an unpack or an entry).
 *
 * rmtree_at() never follows a symlink (O_NOFOLLOW at every level; links
 * are unlinked, not entered) and keeps at most 64 directories open: deeper
 * levels are walked by returning through "..", which is safe because only
 * this process writes the tree. *freed gets the apparent size of the regular
 * files that went away (single links only), for the cache's size column.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "io.h"

#define RM_OPEN_LEVELS 64

static int rm_contents(int fd, int depth, int64_t *freed);

static bool is_dir_at(int dfd, const char *name, unsigned char type, int64_t *freed)
{
	struct stat st;
	if (type != DT_UNKNOWN && type != DT_REG)
		return type == DT_DIR;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISREG(st.st_mode) && st.st_nlink == 1 && freed)
		*freed += st.st_size;
	return S_ISDIR(st.st_mode);
}

static int rm_entry(int dfd, const char *name, unsigned char type, int depth, int64_t *freed)
{
	if (!is_dir_at(dfd, name, type, freed))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = rm_contents(fd, depth + 1, freed);
	close(fd);
	if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		r = -errno;
	return r;
}

/* Unlink what is not a directory in dir fd; *sub = the first subdirectory
 * (malloc'd), or NULL when dir is now empty. */
static int rm_level(int fd, char **sub, int64_t *freed)
{
	int d2 = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = d2 < 0 ? NULL : fdopendir(d2);
	struct dirent *de;
	int r = 0;
	*sub = NULL;
	if (!d) {
		r = -errno;
		io_close(&d2);
		return r;
	}
	while (r == 0 && !*sub && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (is_dir_at(fd, de->d_name, de->d_type, freed))
			r = (*sub = strdup(de->d_name)) ? 0 : -ENOMEM;
		else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
			r = -errno;
	}
	closedir(d);
	return r;
}

/* Beyond RM_OPEN_LEVELS: one open directory at a time, going down into the
 * first subdirectory and back up through ".." when it is empty. names[]
 * holds the way down. */
static int rm_deep(int fd, int64_t *freed)
{
	char **names = NULL, *sub;
	size_t depth = 0;
	int cur = dup(fd), r = cur < 0 ? -errno : 0;
	while (r == 0 && (r = rm_level(cur, &sub, freed)) == 0) {
		if (sub) {
			char **n = realloc(names, (depth + 1) * sizeof *n);
			int next = n ? openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
			names = n ? n : names;
			if (next < 0) {
				r = n ? -errno : -ENOMEM;
				free(sub);
				break;
			}
			names[depth++] = sub;
			close(cur);
			cur = next;
			continue;
		}
		if (depth == 0)
			break;
		int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		if ((cur = up) < 0 || unlinkat(cur, names[--depth], AT_REMOVEDIR) < 0)
			r = -errno;
		free(names[depth]);
	}
	while (depth > 0)
		free(names[--depth]);
	free(names);
	io_close(&cur);
	return r;
}

static int rm_contents(int fd, int depth, int64_t *freed)
{
	if (depth >= RM_OPEN_LEVELS)
		return rm_deep(fd, freed);
	int d2 = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = d2 < 0 ? NULL : fdopendir(d2);
	if (!d) {
		int r = -errno;
		io_close(&d2);
		return r;
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = rm_entry(fd, de->d_name, de->d_type, depth, freed);
	}
	closedir(d);
	return r;
}

int rmtree_at(int dfd, const char *name, int64_t *freed)
{
	return rm_entry(dfd, name, DT_UNKNOWN, 0, freed);
}
