/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packer_layer.c: fuzz layer application (packer/layer/: blob.c, layer.c,
 * write.c, whiteout.c, rootpath.c; common/rmtree.c) and check that nothing
 * escapes the rootfs.
 *
 * Input: two layers, split after the first 2 bytes' length; each may be a
 * tar, or gzip/zstd/xz/bzip2 of one (decided by its bytes). They are applied
 * in order to a fresh rootfs at /dev/shm/qpod-fuzz-PID/a/b/c/d/e/root
 * (tmpfs: fast), with the user-space resolver on odd inputs and the
 * decompression thread on every other pair. Afterwards the
 * sandbox around the root must hold exactly what it held before (the next
 * level and a canary file at each level): entries that climb out or links
 * followed out of the root would show up there.
 */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer/layer.h"
#include "layer/pipe.h"

static char top[100], root[200];

static int count(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void cleanup(void)
{
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", top);
	if (system(cmd) != 0)
		fprintf(stderr, "packer_layer: could not remove %s\n", top);
}

static void setup(void)
{
	static const char *const levels[] = { "", "/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/b/c/d/e" };
	char p[300];
	snprintf(top, sizeof top, "/dev/shm/qpod-fuzz-%d", (int)getpid());
	for (int i = 0; i < 6; i++) {
		snprintf(p, sizeof p, "%s%s", top, levels[i]);
		mkdir(p, 0755);
		snprintf(p, sizeof p, "%s%s/canary", top, levels[i]);
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		write(fd, "canary", 6);
		close(fd);
	}
	snprintf(root, sizeof root, "%s/a/b/c/d/e/root", top);
	atexit(cleanup);
}

static void check_sandbox(void)
{
	static const char *const levels[] = { "", "/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/b/c/d/e" };
	char p[300], buf[16];
	for (int i = 0; i < 6; i++) {
		snprintf(p, sizeof p, "%s%s", top, levels[i]);
		assert(count(p) == 4);   /* . .. canary and the next level (or root) */
		snprintf(p, sizeof p, "%s%s/canary", top, levels[i]);
		int fd = open(p, O_RDONLY | O_NOFOLLOW);
		assert(fd >= 0);
		ssize_t n = read(fd, buf, sizeof buf);
		close(fd);
		assert(n == 6 && !memcmp(buf, "canary", 6));
		struct stat st;
		assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 2)
		return 0;
	size_t first = ((size_t)data[0] << 8 | data[1]) % (size - 1);
	const unsigned char *l1 = data + 2, *l2 = data + 2 + first;
	size_t n1 = first, n2 = size - 2 - first;
	mkdir(root, 0755);
	int rootfd = open(root, O_RDONLY | O_DIRECTORY);
	assert(rootfd >= 0);
	struct qerr err = { 0 };
	struct applier ap;
	struct progress prog = { 0 };
	const struct blob_check want = { .name = "layer.tar", .member = "layer.tar", .raw = "", .diff_id = "",
					 .size = UINT64_MAX, .limit = 8 << 20 };
	const char *what = "fuzz.tar: layer layer.tar";
	rootpath_no_openat2 = size & 1;
	blob_thread_min = size & 2 ? 0 : PIPE_SLOT;   /* the threaded path too */
	applier_init(&ap, rootfd);
	ap.max_file = 4 << 20;
	ap.max_entries = 5000;
	ap.err = &err;
	struct blob_src s1 = { .kind = SRC_MEM, .mem = l1, .len = n1, .fd = -1 };
	struct blob_src s2 = { .kind = SRC_MEM, .mem = l2, .len = n2, .fd = -1 };
	if (blob_apply(&ap, what, &s1, &want, &prog) == 0)
		blob_apply(&ap, what, &s2, &want, &prog);
	assert(!strchr(err.msg, '\n'));
	applier_free(&ap);
	close(rootfd);
	check_sandbox();
	int dfd = open(top, O_RDONLY | O_DIRECTORY);
	char rel[] = "a/b/c/d/e/root";
	rmtree_at(dfd, rel, NULL);
	close(dfd);
	return 0;
}
