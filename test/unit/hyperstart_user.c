/* SPDX-License-Identifier: Apache-2.0 */
/* hyperstart_user.c: --user resolution against an image's passwd and group files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hyperstart.h"
#include "tap.h"

static char root[64];
static int rootfd = -1;

static void put(const char *name, const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/etc/%s", root, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static int resolve(const char *spec, struct ids *ids, char *why)
{
	return user_resolve(rootfd, spec, NULL, ids, why, 200);
}

static char *groups(const struct ids *ids)
{
	static char buf[256];
	buf[0] = '\0';
	for (int i = 0; i < ids->ngroups; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%u", i ? "," : "", ids->groups[i]);
	return buf;
}

int main(void)
{
	struct ids ids;
	char why[200];
	plan(21);
	strcpy(root, "/tmp/hs-user-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	char etc[96];
	snprintf(etc, sizeof etc, "%s/etc", root);
	mkdir(etc, 0755);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	ok(resolve("", &ids, why) == 0 && ids.uid == 0 && ids.gid == 0 && !strcmp(ids.home, "/"),
	   "no passwd file: root with HOME=/");
	put("passwd", "# comment\nroot:x:0:0:root:/root:/bin/sh\nbroken line\nqpod:x:1000:1001::/home/qpod:/bin/sh\n"
		      "weird:x:notanumber:1::/:/bin/sh\nlong:x:7:7::/very/long/home:/bin/sh\n");
	put("group", "root:x:0:\nqpod:x:1001:\nstaff:x:50:qpod,other\nwheel:x:10:other,qpod\nempty:x:99:\n");
	ok(resolve("", &ids, why) == 0 && ids.uid == 0 && !strcmp(ids.home, "/root"), "default user is root, home from passwd");
	ok(resolve("qpod", &ids, why) == 0 && ids.uid == 1000 && ids.gid == 1001 && !strcmp(ids.home, "/home/qpod"),
	   "name: uid, gid and home");
	is_str(groups(&ids), "1001,50,10", "groups: the primary gid, then those that list the name");
	ok(resolve("1000", &ids, why) == 0 && ids.uid == 1000 && ids.gid == 1001, "uid found in passwd");
	ok(resolve("4242", &ids, why) == 0 && ids.uid == 4242 && ids.gid == 0, "uid not in passwd: gid 0, as docker");
	is_str(groups(&ids), "0", "uid not in passwd: its gid is its only group");
	ok(resolve("qpod:staff", &ids, why) == 0 && ids.gid == 50, "name:group");
	is_str(groups(&ids), "50", "name:group: that group is the only group");
	ok(resolve("1000:wheel", &ids, why) == 0 && ids.uid == 1000 && ids.gid == 10, "uid:groupname");
	is_str(groups(&ids), "10", "uid:groupname: the only group");
	char *add[] = { "empty", "4000", NULL }, *bad[] = { "nosuch", NULL };
	ok(user_resolve(rootfd, "qpod:staff", add, &ids, why, 200) == 0, "--group-add by name and gid");
	is_str(groups(&ids), "50,99,4000", "--group-add follows the user's groups");
	ok(user_resolve(rootfd, "qpod", bad, &ids, why, 200) < 0 && strstr(why, "unable to find group nosuch"),
	   "--group-add of an unknown name is refused");
	ok(resolve("4242:77", &ids, why) == 0 && ids.uid == 4242 && ids.gid == 77, "uid:gid");
	ok(resolve("nosuch", &ids, why) < 0 && strstr(why, "unable to find user nosuch"), "unknown name refused");
	ok(resolve("qpod:nosuch", &ids, why) < 0 && strstr(why, "unable to find group nosuch"), "unknown group refused");
	ok(resolve("weird", &ids, why) < 0, "an entry with a bad uid never matches");
	ok(resolve("99999999999", &ids, why) < 0, "a uid beyond 32 bits is a name, and not found");

	/* The image's symlinks resolve inside its root: an absolute one and one
	 * that climbs out both land on the root's own files. */
	char p[128];
	snprintf(p, sizeof p, "%s/etc/passwd", root);
	unlink(p);
	if (symlink("/usr/passwd", p) < 0)
		return 1;
	snprintf(p, sizeof p, "%s/usr", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/usr/passwd", root);
	FILE *f = fopen(p, "w");
	fputs("qpod:x:2000:2000::/inside:/bin/sh\n", f);
	fclose(f);
	ok(resolve("qpod", &ids, why) == 0 && ids.uid == 2000 && !strcmp(ids.home, "/inside"),
	   "an absolute /etc/passwd symlink resolves inside the root");
	snprintf(p, sizeof p, "%s/etc/passwd", root);
	unlink(p);
	if (symlink("../../../../../../usr/passwd", p) < 0)
		return 1;
	ok(resolve("qpod", &ids, why) == 0 && ids.uid == 2000, "a symlink climbing out with .. stays inside the root");

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	if (system(cmd))
		return 1;
	return done();
}
