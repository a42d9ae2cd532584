/* SPDX-License-Identifier: Apache-2.0 */
/* runner_cgroup.c: a VM's cgroup leaf (runner/vm/cgroup.c) against a directory
 * shaped as cgroupfs: made only under a parent that offers memory and pids,
 * with the VM's limits, qemu's pid moved in, removed after. (This machine
 * has cgroup v1, so the real v2 path cannot run here: see docs/security.md.) */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/vm.h"
#include "tap.h"

static void put(const char *dir, const char *name, const char *text)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *get(const char *dir, const char *name)
{
	static char buf[256];
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

int main(void)
{
	char parent[] = "/tmp/qpod-cgroup-test.XXXXXX";
	struct vmcg c;
	plan(12);
	if (!mkdtemp(parent))
		return 1;

	put(parent, "cgroup.subtree_control", "cpu io\n");
	ok(cgroup_make(&c, parent, 128) < 0, "a parent without memory and pids for its children: no leaf");
	ok(strstr(c.why, "none: ") == c.why && strstr(c.why, "memory and pids"), "and why, for --result");
	ok(c.path[0] == '\0', "no path");

	put(parent, "cgroup.subtree_control", "cpu memoryx pids\n");
	ok(cgroup_make(&c, parent, 128) < 0, "memoryx is not memory");

	put(parent, "cgroup.subtree_control", "cpu memory pids\n");
	ok(cgroup_make(&c, parent, 128) == 0, "a delegated parent: a leaf");
	ok(strncmp(c.path, parent, strlen(parent)) == 0 && strstr(c.path, "/qpod-"), "under the parent");
	is_str(c.why, c.path, "--result names it");
	is_str(get(c.path, "memory.max"), "671088640\n", "memory.max: 128 MiB of guest and 512 of qemu");
	is_str(get(c.path, "pids.max"), "512\n", "pids.max");
	ok(cgroup_enter(&c, 4242) == 0, "qemu moved in");
	is_str(get(c.path, "cgroup.procs"), "4242\n", "by its pid");

	/* a leaf holds files here, as cgroupfs never does: emptied, rmdir works */
	char p[4200];
	const char *files[] = { "memory.max", "pids.max", "cgroup.procs" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(p, sizeof p, "%s/%s", c.path, files[i]);
		unlink(p);
	}
	char leaf[sizeof c.path];
	snprintf(leaf, sizeof leaf, "%s", c.path);
	cgroup_remove(&c);
	struct stat st;
	ok(stat(leaf, &st) < 0 && c.path[0] == '\0', "removed once qemu is gone");

	snprintf(p, sizeof p, "%s/cgroup.subtree_control", parent);
	unlink(p);
	rmdir(parent);
	return done();
}
