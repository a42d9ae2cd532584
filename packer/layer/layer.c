/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layer.c: apply one layer (a tar stream, already decompressed) to the rootfs.
 *
 * For each entry, in archive order:
 *   1. clean its name (path.c): strip "/" and "./"; a ".." above the root,
 *      a name longer than PATH_MAX or a component longer than NAME_MAX is
 *      refused, naming the entry;
 *   2. whiteouts: ".wh..wh..opq" empties its directory of what lower layers
 *      made, ".wh.NAME" removes NAME (remove_lower keeps what this layer
 *      wrote); other ".wh..wh." names are aufs bookkeeping and skipped; a
 *      ".wh." name as a directory, or one naming "." or "..", is refused;
 *   3. resolve the parent inside the root (rootpath.c; missing parents are
 *      created 0755, as docker does) and write the entry (write.c);
 *   4. remember the path (and its ancestors) for the whiteout rule.
 * Device nodes are never created (a node in the cache would be a door into
 * the host): as root they and sockets are counted and reported once (the
 * guest's /dev is devtmpfs); without root a device is an empty file whose
 * mapped-xattr mode and rdev the guest sees (write.c). Directory times are
 * set at the end of the layer.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "layer/write.h"

void applier_init(struct applier *ap, int rootfd)
{
	*ap = (struct applier){ .max_file = PK_MAX_BYTES_DEFAULT, .max_entries = PK_MAX_ENTRIES_DEFAULT };
	rootpath_init(&ap->rp, rootfd);
	rootpath_reset(&ap->rp);
	pathset_init(&ap->written);
	pathset_init(&ap->above);
	ap->root = geteuid() == 0;
}

void applier_free(struct applier *ap)
{
	rootpath_free(&ap->rp);
	pathset_free(&ap->written);
	pathset_free(&ap->above);
	for (size_t i = 0; i < ap->ndirs; i++)
		free(ap->dirs[i].path);
	for (size_t i = 0; i < ap->nlinks; i++)
		free(ap->links[i].path);
	free(ap->links);
	ap->links = NULL;
	ap->nlinks = ap->caplinks = 0;
	free(ap->dirs);
	ap->dirs = NULL;
	ap->ndirs = ap->capdirs = 0;
}

static int remember(struct applier *ap, const char *path)
{
	size_t n = strlen(path);
	if (pathset_add(&ap->written, path, n) < 0)
		return qerr_set(ap->err, ENOMEM, "out of memory");
	while (n > 0) {
		while (n > 0 && path[n - 1] != '/')
			n--;
		if (n == 0)
			break;
		n--;
		int r = pathset_add(&ap->above, path, n);
		if (r < 0)
			return qerr_set(ap->err, ENOMEM, "out of memory");
		if (r == 0)
			break;
	}
	return 0;
}

/* A ".wh." component anywhere but last would make a whiteout a directory. */
static bool whiteout_as_dir(const char *parent)
{
	for (const char *c = parent; *c; c = strchrnul(c, '/'), c += *c == '/') {
		if (!strncmp(c, ".wh.", 4))
			return true;
	}
	return false;
}

static int skip_node(struct applier *ap, unsigned type)
{
	if (type == AE_IFCHR || type == AE_IFBLK)
		ap->devices++;
	else
		ap->sockets++;
	return 0;
}

static int write_entry(struct applier *ap, struct archive *tar, struct archive_entry *e,
		       const char *parent, const char *base, const char *path)
{
	unsigned type = archive_entry_filetype(e);
	bool hardlink = archive_entry_hardlink(e) != NULL;
	bool device = type == AE_IFCHR || type == AE_IFBLK;
	if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO &&
	    !(device && !ap->root))
		return skip_node(ap, type);
	if (!path[0]) {
		if (type != AE_IFDIR || hardlink)
			return qerr_set(ap->err, EINVAL, "%s: entry \"%s\" would replace the root with a non-directory", ap->what, pq(archive_entry_pathname(e)));
		return write_dir(ap, e, -1, "", "");
	}
	int pfd = rootpath_dir(&ap->rp, parent, true);
	if (pfd == -EEXIST)
		return qerr_set(ap->err, EEXIST, "%s: entry \"%s\": a dangling symlink is in the way of its directory", ap->what, pq(path));
	if (pfd < 0)
		return qerr_sys(ap->err, -pfd, "%s: entry \"%s\": parent directory", ap->what, pq(path));
	if (hardlink)
		return write_hardlink(ap, e, pfd, base, path);
	switch (type) {
	case AE_IFREG: return write_file(ap, tar, e, pfd, base, path);
	case AE_IFDIR: return write_dir(ap, e, pfd, base, path);
	case AE_IFLNK: return write_symlink(ap, e, pfd, base, path);
	case AE_IFCHR:
	case AE_IFBLK: return write_device(ap, e, pfd, base, path);
	default: return write_fifo(ap, e, pfd, base, path);
	}
}

static int layer_entry(struct applier *ap, struct archive *tar, struct archive_entry *e)
{
	char path[PATH_MAX], parent[PATH_MAX];
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		return qerr_set(ap->err, EINVAL, "%s: an entry has no readable name", ap->what);
	int r = path_clean(raw, path, sizeof path);
	if (r == -EXDEV)
		return qerr_set(ap->err, EXDEV, "%s: entry \"%s\" climbs out of the root", ap->what, pq(raw));
	if (r < 0)
		return qerr_set(ap->err, -r, "%s: entry \"%s\": name too long", ap->what, pq(raw));
	const char *base = path_split(path, parent, sizeof parent);
	if (whiteout_as_dir(parent))
		return qerr_set(ap->err, EINVAL, "%s: entry \"%s\": a whiteout name used as a directory", ap->what, pq(raw));
	if (!strncmp(base, ".wh.", 4))
		return whiteout_apply(ap, parent, base, path);
	r = write_entry(ap, tar, e, parent, base, path);
	return r < 0 ? r : remember(ap, path);
}

int layer_apply(struct applier *ap, struct archive *tar)
{
	pathset_clear(&ap->written);
	pathset_clear(&ap->above);
	ap->entries = 0;
	for (;;) {
		struct archive_entry *e;
		int s = archive_read_next_header(tar, &e);
		if (s == ARCHIVE_EOF)
			break;
		if (s < ARCHIVE_WARN)
			return qerr_set(ap->err, EIO, "%s: %s", ap->what, archive_error_string(tar));
		if (++ap->entries > ap->max_entries)
			return qerr_set(ap->err, E2BIG, "%s: more than %llu entries", ap->what, (unsigned long long)ap->max_entries);
		int r = layer_entry(ap, tar, e);
		if (r < 0)
			return r;
	}
	return write_dirtimes(ap);
}
