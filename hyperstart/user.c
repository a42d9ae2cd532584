/* SPDX-License-Identifier: Apache-2.0 */
/*
 * user.c: resolve docker's --user forms against the container's own
 * /etc/passwd and /etc/group, read inside its root (inroot.c: the files'
 * symlinks resolve as the container sees them):
 *   ""  root;  "name" or "uid";  "name:group", "uid:gid", and mixes.
 * A name must exist in the file; a number need not (then gid 0, as docker).
 * The groups, as runc sets them: the primary gid first; then, when the spec
 * names no group, every group that lists the user's name (a group in the
 * spec is the only group); then each --group-add, a gid or a group name.
 * Files are read whole but bounded; lines are split by hand (musl's getpw*
 * would also try nscd, and we want no surprise in PID 1's children).
 *
 * When the root is mounted before READY, setup resolves the default user
 * (root) once (user_warm): a template holds the answer, and the container's
 * first process takes it instead of reading both files again through the
 * overlay after every restore. The answer is dropped (user_warm_drop) as
 * soon as it might differ from the files: the container has a volume or a
 * tmpfs (either may cover /etc), or a process of the container's ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define DB_MAX (4u << 20)

static char *slurp(int rootfd, const char *file)
{
	return io_slurp(root_open(rootfd, file, O_RDONLY | O_CLOEXEC), DB_MAX);
}

/* Split a line into up to max ':'-separated fields; returns the count. */
static int fields(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *c = line; *c && n < max; c++)
		if (*c == ':') {
			*c = '\0';
			f[n++] = c + 1;
		}
	return n;
}

static int number(const char *s, unsigned long *out)
{
	char *end;
	if (!*s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !*end && !errno && *out <= 0xfffffffeUL;
}

/* Walk the lines of db; fn returns 1 to stop. */
static void each_line(char *db, int nf, int (*fn)(char **f, void *ctx), void *ctx)
{
	for (char *line = db, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[7];
		if (*line != '#' && fields(line, f, nf) == nf && fn(f, ctx))
			return;
	}
}

struct pw_query {
	const char *name;     /* match by name, or by uid */
	unsigned long uid;
	bool found;
	char namebuf[64];
	struct ids *ids;
};

static int pw_match(char **f, void *ctx)
{
	struct pw_query *q = ctx;
	unsigned long uid, gid;
	if (!number(f[2], &uid) || !number(f[3], &gid))
		return 0;
	if (q->name ? strcmp(f[0], q->name) : uid != q->uid)
		return 0;
	q->found = true;
	q->ids->uid = (uid_t)uid;
	q->ids->gid = (gid_t)gid;
	snprintf(q->namebuf, sizeof q->namebuf, "%s", f[0]);
	snprintf(q->ids->home, sizeof q->ids->home, "%s", *f[5] ? f[5] : "/");
	return 1;
}

struct gr_query {
	const char *group;    /* resolve this group name... */
	bool found;
	gid_t gid;
	const char *member;   /* ...or collect groups listing this user */
	struct ids *ids;
};

static void add_group(struct ids *ids, gid_t gid)
{
	for (int i = 0; i < ids->ngroups; i++)
		if (ids->groups[i] == gid)
			return;
	if (ids->ngroups < (int)(sizeof ids->groups / sizeof *ids->groups))
		ids->groups[ids->ngroups++] = gid;
}

static int gr_match(char **f, void *ctx)
{
	struct gr_query *q = ctx;
	unsigned long gid;
	if (!number(f[2], &gid))
		return 0;
	if (q->group) {
		if (strcmp(f[0], q->group))
			return 0;
		q->found = true;
		q->gid = (gid_t)gid;
		return 1;
	}
	for (char *m = strtok(f[3], ","); m; m = strtok(NULL, ","))
		if (!strcmp(m, q->member))
			add_group(q->ids, (gid_t)gid);
	return 0;
}

/* A group name or gid to a gid: 0, or -ENOENT with why filled. */
static int group_gid(int rootfd, const char *group, gid_t *gid, char *why, size_t whylen)
{
	unsigned long num;
	if (number(group, &num)) {
		*gid = (gid_t)num;
		return 0;
	}
	struct gr_query gq = { .group = group };
	char *db = slurp(rootfd, "/etc/group");
	if (db)
		each_line(db, 4, gr_match, &gq);
	free(db);
	if (!gq.found) {
		snprintf(why, whylen, "unable to find group %s: no matching entries in group file", group);
		return -ENOENT;
	}
	*gid = gq.gid;
	return 0;
}

int user_name(int rootfd, uid_t uid, char *out, size_t cap)
{
	struct ids ids;
	struct pw_query q = { .uid = uid, .ids = &ids };
	char *db = slurp(rootfd, "/etc/passwd");
	if (db)
		each_line(db, 7, pw_match, &q);
	free(db);
	if (q.found)
		snprintf(out, cap, "%s", q.namebuf);
	else
		snprintf(out, cap, "%u", (unsigned)uid);
	return q.found ? 0 : -ENOENT;
}

static struct {
	bool set;
	struct ids ids;
} warm;

/* The default user: "" (uid 0, looked up as "0" is) with no group. */
static bool default_user(const char *spec, char *const *add)
{
	return (!spec || !*spec || !strcmp(spec, "0")) && !(add && *add);
}

int user_resolve(int rootfd, const char *spec, char *const *add, struct ids *ids, char *why, size_t whylen)
{
	char user[256], *group;
	unsigned long num;
	if (warm.set && default_user(spec, add)) {
		*ids = warm.ids;
		return 0;
	}
	memset(ids, 0, sizeof *ids);
	snprintf(ids->home, sizeof ids->home, "/");
	snprintf(user, sizeof user, "%s", spec && *spec ? spec : "0");
	if ((group = strchr(user, ':')))
		*group++ = '\0';

	struct pw_query pq = { .ids = ids };
	char *db = slurp(rootfd, "/etc/passwd");
	if (number(user, &num)) {
		pq.uid = num;
		if (db)
			each_line(db, 7, pw_match, &pq);
		if (!pq.found) {
			ids->uid = (uid_t)num;
			ids->gid = 0;
		}
	} else {
		pq.name = user;
		if (db)
			each_line(db, 7, pw_match, &pq);
		if (!pq.found) {
			free(db);
			snprintf(why, whylen, "unable to find user %s: no matching entries in passwd file", user);
			return -ENOENT;
		}
	}
	free(db);

	if (group && *group && group_gid(rootfd, group, &ids->gid, why, whylen) < 0)
		return -ENOENT;
	add_group(ids, ids->gid);
	if (!(group && *group) && pq.found && (db = slurp(rootfd, "/etc/group"))) {
		struct gr_query gq = { .member = pq.namebuf, .ids = ids };
		each_line(db, 4, gr_match, &gq);
		free(db);
	}
	for (char *const *g = add; g && *g; g++) {
		gid_t gid;
		if (group_gid(rootfd, *g, &gid, why, whylen) < 0)
			return -ENOENT;
		add_group(ids, gid);
	}
	return 0;
}

void user_warm(int rootfd)
{
	char why[160];
	warm.set = false;
	warm.set = user_resolve(rootfd, "", NULL, &warm.ids, why, sizeof why) == 0;
}

void user_warm_drop(void)
{
	warm.set = false;
}
