/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jail.c: start qemu jailed (jail.h has what the jail is). The steps, in
 * the child of a clone() into new mount, PID, IPC and UTS namespaces (and,
 * without root, a new user and network namespace too):
 *
 *   wait     for the parent: it writes the user namespace's maps (without
 *            root) and lets the child go
 *   trees    every source opened as a detached copy (open_tree), checked to
 *            be the file the caller saw, made read-only, nosuid, nodev,
 *            noexec as asked, and, as root, id-mapped (mount_setattr)
 *   root     a tmpfs at /tmp of the private mount namespace: the trees moved
 *            into it, /etc/resolv.conf written, then pivot_root into it,
 *            the old root detached, /proc mounted, the tmpfs read-only
 *   identity as root: into the VM's user namespace (made by make_userns with
 *            the qpod account's ids), then its network namespace; uid and
 *            gid 0 there, no supplementary groups
 *   drop     the capability bounding set and ambient set emptied, root's
 *            exemptions locked off (securebits), every capability cleared,
 *            rlimits, no_new_privs, the parent-death signal
 *   exec     the program (at its own path) with an empty environment and only
 *            the fds it is given
 *
 * A failure before exec is written to a pipe as "ERRNO message"; the parent
 * reads it (end of file means the exec happened) and reports it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/securebits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "jail.h"

#define ROOT_DIR   "/tmp"         /* where the jail's tmpfs is built (private mount namespace) */
#define NOFILE_MAX 4096
#define SUB_COUNT  65535u         /* ids 1-65535 of the namespace */

/* The fixed part of every jail: qemu's program, libraries and devices. */
static const struct { const char *src, *dst; unsigned flags; } base[] = {
	{ "/usr", "/usr", JAIL_EXEC },
	{ "/etc/ld.so.cache", "/etc/ld.so.cache", JAIL_FILE },
	{ "/dev/null", "/dev/null", JAIL_DEV | JAIL_RW | JAIL_FILE },
	{ "/dev/zero", "/dev/zero", JAIL_DEV | JAIL_FILE },
	{ "/dev/urandom", "/dev/urandom", JAIL_DEV | JAIL_FILE },
	{ "/dev/random", "/dev/random", JAIL_DEV | JAIL_FILE },
};
/* Top-level links of a merged /usr, made again in the jail when the host has them. */
static const char *const links[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };

bool jail_as_root(void)
{
	return geteuid() == 0;
}

void jail_init(struct jail *j)
{
	memset(j, 0, sizeof *j);
	for (size_t i = 0; i < sizeof base / sizeof *base; i++)
		if (access(base[i].src, F_OK) == 0 || i == 0) /* /usr is needed; the rest where the host has it */
			jail_add(j, base[i].src, base[i].flags, "%s", base[i].dst);
}

void jail_add(struct jail *j, const char *src, unsigned flags, const char *dst, ...)
{
	struct jail_mount *m = &j->m[j->n];
	struct stat st;
	va_list ap;
	if (j->err)
		return;
	if (j->n >= JAIL_MAX_MOUNTS) {
		j->err = -E2BIG;
		snprintf(j->why, sizeof j->why, "more than %d paths for the jail", JAIL_MAX_MOUNTS);
		return;
	}
	va_start(ap, dst);
	int n = vsnprintf(m->dst, sizeof m->dst, dst, ap);
	va_end(ap);
	if (n <= 0 || (size_t)n >= sizeof m->dst || m->dst[0] != '/') {
		j->err = -ENAMETOOLONG;
		snprintf(j->why, sizeof j->why, "jail path for %.120s", src);
		return;
	}
	if (stat(src, &st) < 0 || (!(flags & JAIL_FILE) != !!S_ISDIR(st.st_mode)) ||
	    ((flags & JAIL_FILE) && !(flags & JAIL_DEV) && !S_ISREG(st.st_mode))) {
		j->err = errno ? -errno : -EINVAL;
		snprintf(j->why, sizeof j->why, "%.150s: not the %s the VM needs", src,
			 flags & JAIL_FILE ? "file" : "directory");
		return;
	}
	m->src = src;
	m->flags = flags;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	j->n++;
}

/* ---- the qpod account's ids (root only) -------------------------------- */

struct ids {
	uid_t uid, sub_uid;
	gid_t gid, sub_gid;
	gid_t kvm;         /* the host's kvm group, or 0: mapped to KVM_GID */
};

/* Where the namespace sees the host's kvm group (past the 65536 ids of the
 * account), so that qemu, a member, may open /dev/kvm (root:kvm 0660). */
#define KVM_GID 65536

/* NAME's (or UID's) range in /etc/subuid or /etc/subgid with room for SUB_COUNT ids. */
static int sub_range(const char *file, const char *name, unsigned long id, unsigned long *start)
{
	FILE *f = fopen(file, "re");
	char line[256], idtext[24];
	int found = -ENOENT;
	snprintf(idtext, sizeof idtext, "%lu", id);
	while (f && found && fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;
		if (!c2)
			continue;
		*c1 = '\0';
		unsigned long s = strtoul(c1 + 1, &end, 10), n = strtoul(c2 + 1, NULL, 10);
		if ((strcmp(line, name) && strcmp(line, idtext)) || end != c2 || n < SUB_COUNT || s == 0)
			continue;
		*start = s;
		found = 0;
	}
	if (f)
		fclose(f);
	return found;
}

static int account_ids(struct ids *id, struct qerr *err)
{
	struct passwd *pw = getpwnam(QPOD_ACCOUNT);
	unsigned long su, sg;
	if (!pw || pw->pw_uid == 0 || pw->pw_gid == 0)
		return qerr_set(err, ENOENT, "as root, qemu runs as the account \"%s\", which this host lacks "
				"(make deps creates it)", QPOD_ACCOUNT);
	if (sub_range("/etc/subuid", QPOD_ACCOUNT, pw->pw_uid, &su) ||
	    sub_range("/etc/subgid", QPOD_ACCOUNT, pw->pw_uid, &sg))
		return qerr_set(err, ENOENT, "the account \"%s\" has no range of %u ids in /etc/subuid and "
				"/etc/subgid (make deps adds them)", QPOD_ACCOUNT, SUB_COUNT);
	struct group *kvm = getgrnam("kvm");
	*id = (struct ids){ .uid = pw->pw_uid, .gid = pw->pw_gid, .sub_uid = (uid_t)su, .sub_gid = (gid_t)sg,
			    .kvm = kvm && kvm->gr_gid > 0 ? kvm->gr_gid : 0 };
	return 0;
}

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC), e = fd < 0 ? -errno : io_write_all(fd, text, strlen(text));
	io_close(&fd);
	return e;
}

/* The VM's user namespace as root: uid 0 is the account, 1-65535 its
 * subordinate range; made by a short-lived child, kept as an fd. */
static int make_userns(const struct ids *id, struct qerr *err)
{
	int sync[2] = { -1, -1 }, hold[2] = { -1, -1 }, fd = -1, e = 0;
	char map[96], b;
	pid_t c = -1;
	if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0 || (c = fork()) < 0) {
		e = qerr_sys(err, errno, "jail: a user namespace");
		goto out;
	}
	if (c == 0) {
		/* Made by the account, so it is the namespace's owner: pasta,
		 * running as the account, may then join it (pasta.c). */
		close(hold[1]);
		if (setgroups(0, NULL) == 0 && setresgid(id->gid, id->gid, id->gid) == 0 &&
		    setresuid(id->uid, id->uid, id->uid) == 0 && unshare(CLONE_NEWUSER) == 0 && write(sync[1], "u", 1) == 1)
			(void)!read(hold[0], &b, 1);
		_exit(0);
	}
	io_close(&sync[1]);
	if (io_read_full(sync[0], &b, 1) != 1) {
		e = qerr_set(err, EPERM, "jail: cannot make a user namespace");
		goto out;
	}
	snprintf(map, sizeof map, "0 %u 1\n1 %u %u\n", (unsigned)id->uid, (unsigned)id->sub_uid, SUB_COUNT);
	if ((e = write_file(c, "uid_map", map))) {
		e = qerr_sys(err, -e, "jail: the user namespace's uid_map");
		goto out;
	}
	int k = snprintf(map, sizeof map, "0 %u 1\n1 %u %u\n", (unsigned)id->gid, (unsigned)id->sub_gid, SUB_COUNT);
	if (id->kvm)
		snprintf(map + k, sizeof map - (size_t)k, "%u %u 1\n", KVM_GID, (unsigned)id->kvm);
	if ((e = write_file(c, "gid_map", map))) {
		e = qerr_sys(err, -e, "jail: the user namespace's gid_map");
		goto out;
	}
	snprintf(map, sizeof map, "/proc/%d/ns/user", (int)c);
	if ((fd = open(map, O_RDONLY | O_CLOEXEC)) < 0)
		e = qerr_sys(err, errno, "jail: %s", map);
out:
	io_close(&hold[1]); /* the child ends */
	if (c > 0)
		while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
			;
	io_close(&sync[0]);
	io_close(&sync[1]);
	io_close(&hold[0]);
	return e ? e : fd;
}

/* ---- the child ----------------------------------------------------------- */

struct plan {
	bool root;
	int userns;        /* root: the VM's user namespace */
	bool kvm_group;    /* root: the host's kvm group is mapped (KVM_GID) */
	int errp;          /* failures go here */
	int go;            /* the parent's go-ahead */
	int parent;        /* a pidfd of the parent, or -1 */
	char links[sizeof links / sizeof *links][32];  /* the host's top-level links ("" where none) */
};

__attribute__((noreturn, format(printf, 3, 4)))
static void fail(const struct plan *p, int e, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	int n = snprintf(msg, sizeof msg, "%d ", e);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	(void)!write(p->errp, msg, strlen(msg));
	_exit(127);
}

/* mkdir -p of dst's parent, then dst itself: an empty file or a directory. */
static int make_point(const char *dst, bool file)
{
	char path[JAIL_DST_MAX];
	snprintf(path, sizeof path, "%s", dst + 1); /* relative to the new root */
	for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (file) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* src as a detached tree with its attributes; -errno. */
static int tree(const struct plan *p, const struct jail_mount *m)
{
	bool dir = !(m->flags & JAIL_FILE);
	/* A link is followed as jail_add's stat followed it (an images dir may
	 * link its firmware); the identity check below is the guard: what is
	 * bound is the very file or directory that was planned. */
	int fd = open_tree(AT_FDCWD, m->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (dir ? AT_RECURSIVE : 0));
	struct stat st;
	if (fd < 0)
		fail(p, errno, "open %s", m->src);
	if (fstat(fd, &st) < 0 || st.st_dev != m->dev || st.st_ino != m->ino)
		fail(p, EXDEV, "%s changed while the VM was set up", m->src);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID };
	if (!(m->flags & JAIL_DEV))
		a.attr_set |= MOUNT_ATTR_NODEV;
	if (!(m->flags & JAIL_RW))
		a.attr_set |= MOUNT_ATTR_RDONLY;
	if (!(m->flags & JAIL_EXEC))
		a.attr_set |= MOUNT_ATTR_NOEXEC;
	unsigned at = AT_EMPTY_PATH | (dir ? AT_RECURSIVE : 0);
	if (p->root && (m->flags & JAIL_MAP)) {
		struct mount_attr mapped = a;
		mapped.attr_set |= MOUNT_ATTR_IDMAP;
		mapped.userns_fd = (uint64_t)p->userns;
		if (mount_setattr(fd, "", at, &mapped, sizeof mapped) == 0)
			return fd;
		/* A filesystem without id-mapped mounts still serves what
		 * everyone may read; anything else would land as the account. */
		if ((m->flags & JAIL_RW) || !(st.st_mode & S_IROTH))
			fail(p, errno, "%s: its filesystem cannot show it to qemu's account (id-mapped mounts)",
			     m->src);
	}
	if (mount_setattr(fd, "", at, &a, sizeof a) < 0)
		fail(p, errno, "jail: attributes of %s", m->src);
	return fd;
}

static void build_root(const struct plan *p, const struct jail *j)
{
	int fds[JAIL_MAX_MOUNTS];
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(p, errno, "jail: a private mount namespace");
	for (size_t i = 0; i < j->n; i++)
		fds[i] = tree(p, &j->m[i]);
	if (mount("qpod-jail", ROOT_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m") < 0 ||
	    chdir(ROOT_DIR) < 0)
		fail(p, errno, "jail: its root");
	for (size_t i = 0; i < sizeof links / sizeof *links; i++)
		if (p->links[i][0] && symlink(p->links[i], links[i] + 1) < 0)
			fail(p, errno, "jail: link %s", links[i]);
	int e = make_point("/proc", false);
	for (size_t i = 0; !e && i < j->n; i++) {
		if ((e = make_point(j->m[i].dst, j->m[i].flags & JAIL_FILE)))
			fail(p, -e, "jail: %s", j->m[i].dst);
		if (move_mount(fds[i], "", AT_FDCWD, j->m[i].dst + 1, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			fail(p, errno, "jail: mount %s", j->m[i].src);
		close(fds[i]);
	}
	if (j->resolv[0]) {
		int fd = open("etc/resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || io_write_all(fd, j->resolv, strlen(j->resolv)) < 0)
			fail(p, errno, "jail: /etc/resolv.conf");
		close(fd);
	}
	/* While the host's /proc is still in the namespace: without one fully
	 * visible, a user namespace may not mount its own. */
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
		fail(p, errno, "jail: /proc");
	if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail(p, errno, "jail: pivot_root");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail(p, errno, "jail: a read-only root");
}

static void drop_privileges(const struct plan *p, const struct jail *j)
{
	if (p->root) {
		if (setns(p->userns, CLONE_NEWUSER) < 0)
			fail(p, errno, "jail: enter the VM's user namespace");
		if (j->netns && unshare(CLONE_NEWNET) < 0)
			fail(p, errno, "jail: a network namespace");
		gid_t kvm = KVM_GID; /* with KVM, the host's kvm group (make_userns maps it) */
		if (setgroups(j->kvm && p->kvm_group ? 1 : 0, &kvm) < 0)
			fail(p, errno, "jail: setgroups");
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		fail(p, errno, "jail: the VM's uid");
	for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			fail(p, errno, "jail: drop capability %d", c);
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = { { 0 } };
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
			  SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
			  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0) < 0 ||
	    syscall(SYS_capset, &h, none) < 0)
		fail(p, errno, "jail: drop capabilities");
	struct rlimit nofile, zero = { 0, 0 };
	getrlimit(RLIMIT_NOFILE, &nofile);
	nofile.rlim_cur = nofile.rlim_max = nofile.rlim_max < NOFILE_MAX ? nofile.rlim_max : NOFILE_MAX;
	if (setrlimit(RLIMIT_CORE, &zero) < 0 || setrlimit(RLIMIT_NOFILE, &nofile) < 0 ||
	    setrlimit(RLIMIT_MSGQUEUE, &zero) < 0 || setrlimit(RLIMIT_RTPRIO, &zero) < 0)
		fail(p, errno, "jail: rlimits");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(p, errno, "jail: no_new_privs");
}

__attribute__((noreturn))
static void child(const struct plan *p, const struct jail *j, const struct jail_exec *x)
{
	char b;
	if (io_read_full(p->go, &b, 1) != 1)
		_exit(127); /* the parent is gone, or gave up */
	build_root(p, j);
	drop_privileges(p, j);
	/* Set after the last change of credentials (which clears it), then
	 * checked: a parent that died before this would leave qemu behind. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd pf = { .fd = p->parent, .events = POLLIN };
	if (p->parent >= 0 && poll(&pf, 1, 0) != 0)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* the runner ignores some (SIGPIPE, SIGTTOU, ...) */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(x->out_fd, 1) < 0 || dup2(x->out_fd, 2) < 0)
		fail(p, errno, "jail: stdio");
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		fail(p, errno, "jail: close_range");
	for (size_t i = 0; i < x->nkeep; i++)
		if (x->keep[i] >= 0 && fcntl(x->keep[i], F_SETFD, 0) < 0)
			fail(p, errno, "jail: fd %d", x->keep[i]);
	setpgid(0, 0); /* qemu must not take over the runner's terminal job control */
	char *env[] = { NULL };
	execve(x->exe, x->argv, env);
	fail(p, errno, "cannot run %s", x->exe);
}

/* ---- the parent ---------------------------------------------------------- */

static void host_links(struct plan *p)
{
	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		ssize_t n = readlink(links[i], p->links[i], sizeof p->links[i] - 1);
		p->links[i][n > 0 ? n : 0] = '\0';
	}
}

/* Without root: the child's user namespace maps only us, as 0. */
static int map_self(pid_t pid, struct qerr *err)
{
	char map[64];
	int e = write_file(pid, "setgroups", "deny");
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)geteuid());
	if (!e)
		e = write_file(pid, "uid_map", map);
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getegid());
	if (!e)
		e = write_file(pid, "gid_map", map);
	return e ? qerr_sys(err, -e, "jail: the user namespace's maps") : 0;
}

/* The child's report: "" once it ran, else its failure. */
static int child_result(int fd, struct qerr *err)
{
	char msg[320];
	ssize_t n = io_read_full(fd, msg, sizeof msg - 1);
	if (n <= 0)
		return 0;
	msg[n] = '\0';
	char *text = strchr(msg, ' ');
	int e = atoi(msg);
	return qerr_set(err, e > 0 ? e : EIO, "%s", text ? text + 1 : msg);
}

int jail_start(const struct jail *j0, const struct jail_exec *x, pid_t *pid, struct qerr *err)
{
	static struct jail j; /* large: not on the stack */
	struct plan p = { .root = jail_as_root(), .userns = -1, .errp = -1, .go = -1, .parent = -1 };
	int errp[2] = { -1, -1 }, go[2] = { -1, -1 }, e = 0;
	struct ids id = { 0 };
	*pid = -1;
	j = *j0;
	/* At its own path: qemu finds its data (/usr/share/qemu) relative to it. */
	if (strncmp(x->exe, "/usr/", 5))
		jail_add(&j, x->exe, JAIL_FILE | JAIL_EXEC, "%s", x->exe);
	if (j.err)
		return qerr_set(err, -j.err, "jail: %s", j.why);
	host_links(&p);
	if (p.root && ((e = account_ids(&id, err)) || (e = p.userns = make_userns(&id, err)) < 0))
		return e;
	p.kvm_group = id.kvm != 0;
	e = 0;
	p.parent = (int)syscall(SYS_pidfd_open, getpid(), 0); /* -1 on old kernels: no check */
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		e = qerr_sys(err, errno, "jail: pipes");
		goto out;
	}
	p.errp = errp[1];
	p.go = go[0];
	unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	if (!p.root)
		flags |= CLONE_NEWUSER | (j.netns ? CLONE_NEWNET : 0);
	pid_t c = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (c < 0) {
		e = qerr_sys(err, errno, "jail: new namespaces for qemu");
		goto out;
	}
	if (c == 0) {
		close(errp[0]);
		close(go[1]);
		child(&p, &j, x);
	}
	io_close(&errp[1]);
	io_close(&go[0]);
	if (!p.root)
		e = map_self(c, err);
	if (!e && x->placed && (e = x->placed(x->ctx, c)) < 0)
		e = qerr_sys(err, -e, "jail: place qemu in its cgroup");
	if (!e && io_write_all(go[1], "g", 1) < 0)
		e = qerr_sys(err, EPIPE, "jail: start");
	if (e)
		kill(c, SIGKILL);
	io_close(&go[1]);
	if (!e && (e = child_result(errp[0], err)))
		kill(c, SIGKILL);
	if (e)
		while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
			;
	else
		*pid = c;
out:
	io_close(&errp[0]);
	io_close(&errp[1]);
	io_close(&go[0]);
	io_close(&go[1]);
	io_close(&p.userns);
	io_close(&p.parent);
	return e;
}

int jail_ns_fds(pid_t pid, int *user, int *net, struct qerr *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	*user = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	*net = *user < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (*net >= 0)
		return 0;
	/* No such file: the process is gone (qemu refused its arguments, or
	 * died), which is what to say; its own words follow in the log. */
	int e = errno == ENOENT ? qerr_set(err, ESRCH, "qemu (pid %d) exited as it started", (int)pid)
				: qerr_sys(err, errno, "%s", path);
	io_close(user);
	return e;
}
