/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detach.c: `qpod run -d`: launch as a foreground run would (every error
 * is reported here, exit 125), claim the name and the VM's directory, write
 * what it was started with (vmconfig.c), and hand the VM to a monitor of
 * its own (runner/detached/monitor.c), a grandchild in a session of its own so that
 * no terminal or shell takes it down. Print the id once the command runs in
 * the guest; or its reason and status (125, 126, 127) if it could not start.
 *
 * `qpod restart` of a VM whose monitor has ended (vmops.c) boots it again
 * the same way, from the flags and directory config.json keeps, through
 * run.c into here with AGAIN: the same id, name and directory (its log goes
 * on; its writable layer was the ended VM's memory and is gone).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "runner.h"
#include "when.h"

void detach_describe(const struct launch *l, struct vmstate *st)
{
	const struct opts *o = &l->o;
	size_t n = 0;
	snprintf(st->image, sizeof st->image, "%s", o->image);
	for (char **a = l->proc.args; a && *a && n < sizeof st->command - 1; a++)
		n += (size_t)snprintf(st->command + n, sizeof st->command - n, "%s%s", n ? " " : "", *a);
	snprintf(st->restart, sizeof st->restart, "%s", o->restart ? o->restart : "no");
	if (!st->created)
		st->created = when_now();
	snprintf(st->status, sizeof st->status, "created");
}

__attribute__((noreturn))
static void become_monitor(struct launch *l, const char *dir, struct vmstate *st, int ready)
{
	static struct session_result res;
	char log[4200];
	setsid();
	if (fork() != 0)
		_exit(0); /* the middle child: its parent reaps it at once */
	snprintf(log, sizeof log, "%s/monitor.log", dir);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (null >= 0)
		dup2(null, 0), dup2(null, 1);
	if (out >= 0)
		dup2(out, 2);
	if (chdir("/") < 0)
		_exit(EXIT_QPOD);
	struct monitor_spec ms = { .dir = dir, .ready_fd = ready };
	monitor_run(l, &ms, st, &res);
	_exit(0);
}

/* "STATUS reason\n" from the monitor, within deadline seconds. */
static int wait_ready(int fd, double deadline, char *why, size_t cap)
{
	char buf[600];
	size_t n = 0;
	while (n < sizeof buf - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)(deadline * 1000));
		if (r <= 0)
			return snprintf(why, cap, "the VM did not start in time"), -ETIMEDOUT;
		ssize_t k = io_read(fd, buf + n, sizeof buf - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	char *end;
	long status = strtol(buf, &end, 10);
	if (!n || end == buf)
		return snprintf(why, cap, "the VM's monitor ended before the command started"), EXIT_QPOD;
	snprintf(why, cap, "%s", *end ? end + 1 : "");
	why[strcspn(why, "\n")] = '\0';
	return (int)status;
}

/* A new VM's name and directory; or, booting one again, its own. */
static int claim(struct launch *l, const struct vm_ref *again, struct vmstate *st, char *dir, size_t cap)
{
	if (!again)
		return state_new(l->o.name, st, dir, cap, &l->err);
	snprintf(dir, cap, "%s", again->dir);
	*st = (struct vmstate){ .created = again->st.created, .restarts = again->st.restarts };
	snprintf(st->id, sizeof st->id, "%s", again->st.id);
	snprintf(st->name, sizeof st->name, "%s", again->st.name);
	return 0;
}

int detach_run(struct launch *l, const struct vm_ref *again)
{
	struct vmstate st = { 0 };
	char dir[4200], why[512];
	int rd[2] = { -1, -1 }, e;
	if ((e = launch_prepare(l)) || (e = claim(l, again, &st, dir, sizeof dir))) {
		fprintf(stderr, "qpod: %s\n", l->err.msg);
		return EXIT_QPOD;
	}
	detach_describe(l, &st);
	/* docker's: the command is PID 1 of its namespace (--init: hyperstart is its init) */
	l->container.pid_namespace = !l->o.init;
	if ((e = state_save(dir, &st, &l->err)) || (e = vmconfig_write(dir, l, l->o.argv, &l->err)) ||
	    pipe2(rd, O_CLOEXEC) < 0) {
		fprintf(stderr, "qpod: %s\n", e ? l->err.msg : strerror(errno));
		return EXIT_QPOD;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "qpod: fork: %s\n", strerror(errno));
		return EXIT_QPOD;
	}
	if (pid == 0) {
		close(rd[0]);
		become_monitor(l, dir, &st, rd[1]);
	}
	close(rd[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	int status = wait_ready(rd[0], l->set.boot_timeout * 4 + 30, why, sizeof why);
	close(rd[0]);
	if (status) {
		fprintf(stderr, "qpod: %s: %s\n", st.name, *why ? why : "the command did not start");
		return status < 0 ? EXIT_QPOD : status;
	}
	if (!again)
		printf("%s\n", st.id);
	return 0;
}
