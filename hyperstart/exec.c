/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec.c: starting a container process, in two parts.
 *
 *   exec_plan()   in hyperstart, before the child exists: everything that
 *                 reads files or allocates (the user's ids from the image's
 *                 passwd and group, the environment)
 *   exec_child()  in the child, which shares hyperstart's memory until its
 *                 execve (proc.c clones it as vfork does: no copy of PID 1's
 *                 memory to make and throw away): system calls and stack
 *                 buffers only. It enters the container root, takes the
 *                 ids and runs the command like a shell would:
 *     127  the command was not found
 *     126  it was found but could not be run (permission, format, bad user)
 *   and says why on errfd (a CLOEXEC pipe the parent reads after reaping).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PROC_IN_ROOT "/run/qpod/root/proc"

__attribute__((noreturn, format(printf, 3, 4)))
static void fail(int errfd, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n > 0)
		io_write_all(errfd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
	_exit(code);
}

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);
	for (char **e = env; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* The process env plus docker's defaults for what it does not set: PATH,
 * HOME from passwd when unset or empty, TERM on a terminal. (HOSTNAME comes
 * from the host, which alone knows whether -e erased it.) */
static char **build_env(const struct qp_process *spec, const struct ids *ids, char *home_kv, size_t cap)
{
	size_t n = 0;
	while (spec->env && spec->env[n])
		n++;
	char **env = calloc(n + 4, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	const char *home = env_get(spec->env, "HOME");
	for (size_t i = 0; i < n; i++)
		if (!home || *home || strncmp(spec->env[i], "HOME=", 5))
			env[k++] = spec->env[i];
	if (!env_get(env, "PATH"))
		env[k++] = "PATH=" DEFAULT_PATH;
	if (!home || !*home) {
		snprintf(home_kv, cap, "HOME=%s", ids->home);
		env[k++] = home_kv;
	}
	if (spec->terminal && !env_get(env, "TERM"))
		env[k++] = "TERM=xterm";
	return env;
}

/* docker's defaults (RLIMIT_NOFILE and RLIMIT_NPROC 1048576: a small
 * guest's kernel would give nproc a few hundred), then each --ulimit. */
static int set_limits(const struct qp_process *spec)
{
	struct rlimit many = { 1048576, 1048576 };
	if (setrlimit(RLIMIT_NOFILE, &many) < 0 || setrlimit(RLIMIT_NPROC, &many) < 0)
		return -errno;
	for (size_t i = 0; i < spec->nrlimits; i++) {
		const struct qp_rlimit *r = &spec->rlimits[i];
		struct rlimit rl = { r->soft == UINT64_MAX ? RLIM_INFINITY : r->soft,
				     r->hard == UINT64_MAX ? RLIM_INFINITY : r->hard };
		if (setrlimit(r->resource, &rl) < 0)
			return -errno;
	}
	umask(spec->umask >= 0 ? (mode_t)spec->umask : 022);
	return 0;
}

/* execvpe() with the container's PATH, keeping the most telling errno.
 * Each candidate is looked up before execve: a failed execve sets up a
 * new mm and copies argv and env before it opens the file, and the
 * default PATH makes /bin/true fail five times. */
static int run(char *const argv[], char **env)
{
	const char *cmd = argv[0];
	if (strchr(cmd, '/')) {
		execve(cmd, argv, env);
		return errno;
	}
	const char *path = env_get(env, "PATH");
	int seen_eacces = 0;
	for (const char *p = path ? path : DEFAULT_PATH, *end; ; p = end + 1) {
		char full[4096];
		end = strchr(p, ':');
		size_t dl = end ? (size_t)(end - p) : strlen(p);
		if (snprintf(full, sizeof full, "%.*s%s%s", (int)dl, p, dl ? "/" : "", cmd) < (int)sizeof full) {
			if (access(full, F_OK) == 0 || (errno != ENOENT && errno != ENOTDIR))
				execve(full, argv, env);
			if (errno == EACCES)
				seen_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return errno;
		}
		if (!end)
			break;
	}
	return seen_eacces ? EACCES : -1; /* -1: not found anywhere on PATH */
}

void exec_plan(struct exec_plan *pl, const struct qp_process *spec)
{
	*pl = (struct exec_plan){ .spec = spec };
	int rootfd = open(container_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		snprintf(pl->why, sizeof pl->why, "enter the container root: %s", strerror(errno));
		return;
	}
	int e = user_resolve(rootfd, spec->user, spec->groups, &pl->ids, pl->why, sizeof pl->why);
	close(rootfd);
	if (e < 0)
		return;
	if (!(pl->env = build_env(spec, &pl->ids, pl->home_kv, sizeof pl->home_kv)))
		snprintf(pl->why, sizeof pl->why, "out of memory");
}

void exec_plan_free(struct exec_plan *pl)
{
	free(pl->env);
	pl->env = NULL;
}

void exec_child(const struct exec_plan *pl, int errfd)
{
	const struct qp_process *spec = pl->spec;
	sigset_t none;
	sigemptyset(&none);
	/* Dispositions need no reset: hyperstart sets no handler and ignores no
	 * signal (they come through its signalfd), so each is the default the
	 * kernel gave PID 1. Only the mask is PID 1's own. */
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* PID 1 of a new namespace: the container's /proc shows that one. */
	if (pl->new_proc && (umount2(PROC_IN_ROOT, MNT_DETACH) < 0 ||
			     mount("proc", PROC_IN_ROOT, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0))
		fail(errfd, 126, "mount the container's /proc: %s", strerror(errno));
	if (chroot(container_root) < 0 || chdir("/") < 0)
		fail(errfd, 126, "enter the container root: %s", strerror(errno));
	if (!pl->env)
		fail(errfd, 126, "%s", pl->why);
	int e = set_limits(spec);
	if (e < 0)
		fail(errfd, 126, "set resource limits: %s", strerror(-e));
	const char *wd = spec->workdir && *spec->workdir ? spec->workdir : "/";
	if (chdir(wd) < 0) /* an exec's -w that is not there: 127, as podman */
		fail(errfd, errno == ENOENT ? 127 : 126, "chdir to `%s`: %s", wd, strerror(errno));
	const struct ids *ids = &pl->ids;
	if (setgroups((size_t)ids->ngroups, ids->groups) < 0 || setgid(ids->gid) < 0 || setuid(ids->uid) < 0)
		fail(errfd, 126, "set user %u:%u: %s", ids->uid, ids->gid, strerror(errno));

	e = run(spec->args, pl->env);
	if (e == -1)
		fail(errfd, 127, "exec \"%s\": executable file not found in $PATH", spec->args[0]);
	if (e == ENOENT)
		fail(errfd, 127, "exec \"%s\": no such file or directory", spec->args[0]);
	fail(errfd, 126, "exec \"%s\": %s", spec->args[0], strerror(e));
}
