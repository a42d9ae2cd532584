/*
 * exec.c: the child's side of starting the container process, between
 * fork() and execve(). It enters the container root, takes the user's ids,
 * builds the environment and runs the command like a shell would:
 *   127  the command was not found
 *   126  it was found but could not be run (permission, format, bad user)
 * and says why on errfd (a CLOEXEC pipe the parent reads after reaping).
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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

/* The process env plus docker's defaults for what it does not set. */
static char **build_env(const struct qp_process *spec, const struct ids *ids, const char *hostname)
{
	size_t n = 0;
	while (spec->env && spec->env[n])
		n++;
	char **env = calloc(n + 5, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		env[k++] = spec->env[i];
	char *extra[4] = { 0 };
	if (!env_get(env, "PATH"))
		extra[0] = "PATH=" DEFAULT_PATH;
	if (!env_get(env, "HOSTNAME") && asprintf(&extra[1], "HOSTNAME=%s", hostname) < 0)
		extra[1] = NULL;
	if (!env_get(env, "HOME") && asprintf(&extra[2], "HOME=%s", ids->home) < 0)
		extra[2] = NULL;
	if (spec->terminal && !env_get(env, "TERM"))
		extra[3] = "TERM=xterm";
	for (int i = 0; i < 4; i++)
		if (extra[i])
			env[k++] = extra[i];
	return env;
}

/* execvpe() with the container's PATH, keeping the most telling errno. */
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

void exec_child(const struct qp_process *spec, int errfd, const char *hostname)
{
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < 65; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (chroot(container_root) < 0 || chdir("/") < 0)
		fail(errfd, 126, "enter the container root: %s", strerror(errno));
	struct ids ids;
	char why[200];
	if (user_resolve("", spec->user, &ids, why, sizeof why) < 0)
		fail(errfd, 126, "%s", why);
	const char *wd = spec->workdir && *spec->workdir ? spec->workdir : "/";
	if (chdir(wd) < 0)
		fail(errfd, 126, "chdir to workdir %s: %s", wd, strerror(errno));
	if (setgroups((size_t)ids.ngroups, ids.groups) < 0 || setgid(ids.gid) < 0 || setuid(ids.uid) < 0)
		fail(errfd, 126, "set user %u:%u: %s", ids.uid, ids.gid, strerror(errno));
	char **env = build_env(spec, &ids, hostname);
	if (!env)
		fail(errfd, 126, "out of memory");

	int e = run(spec->args, env);
	if (e == -1)
		fail(errfd, 127, "exec \"%s\": executable file not found in $PATH", spec->args[0]);
	if (e == ENOENT)
		fail(errfd, 127, "exec \"%s\": no such file or directory", spec->args[0]);
	fail(errfd, 126, "exec \"%s\": %s", spec->args[0], strerror(e));
}
