/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec.c: `qpod exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER] NAME
 * CMD...`, a new process in a running VM with docker exec's meaning: the
 * container's environment, user, groups, limits and workdir (its -w, or
 * the image's) unless given; its own exit status, streams, terminal and
 * window size; signals forwarded. -w names a directory that must exist
 * (127 otherwise, as podman). -d: exit 0 once it runs, its output dropped.
 * Our stdio fds go to the monitor (SCM_RIGHTS), which relays them to the
 * guest directly; here we only forward signals and wait for the exit.
 * Exit: the process's status; 1 when the VM is not there, not running or
 * paused (docker); 125 for bad flags and qpod's own failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "vec.h"

struct xopts {
	bool interactive, tty, detach;
	char **env;
	size_t nenv;
	char *workdir, *user;
};

static int add_env(struct xopts *x, const char *kv)
{
	if (vec_grow(&x->env, x->nenv, sizeof *x->env))
		return -ENOMEM;
	char **v = x->env;
	if (strchr(kv, '=')) {
		v[x->nenv++] = (char *)kv;
	} else if (getenv(kv)) {
		char *s;
		if (asprintf(&s, "%s=%s", kv, getenv(kv)) < 0)
			return -ENOMEM;
		v[x->nenv++] = s;
	}
	v[x->nenv] = NULL;
	return 0;
}

static int parse(int argc, char **argv, struct xopts *x)
{
	static const struct option lo[] = {
		{ "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' }, { "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' }, { "user", required_argument, NULL, 'u' }, { 0 } };
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+dite:w:u:", lo, NULL)) != -1) {
		const char *v = optarg && *optarg == '=' ? optarg + 1 : optarg;
		switch (c) {
		case 'i': x->interactive = true; break;
		case 't': x->tty = true; break;
		case 'd': x->detach = true; break;
		case 'e':
			if (add_env(x, v) < 0)
				return -ENOMEM;
			break;
		case 'w':
			if (v[0] != '/')
				return fprintf(stderr, "qpod: --workdir %s: must be an absolute path\n", v), -EINVAL;
			x->workdir = (char *)v;
			break;
		case 'u': x->user = (char *)v; break;
		default:
			fprintf(stderr, "qpod: %s: unknown flag (see qpod exec --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "qpod: usage: qpod exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER] NAME CMD...\n");
		return -EINVAL;
	}
	if (x->tty && x->interactive && !isatty(0)) {
		fprintf(stderr, "qpod: the input device is not a TTY\n");
		return -EINVAL;
	}
	return 0;
}

static void forward(int fd, enum ctl_op op, int sig)
{
	struct ctl_req r = { .op = op, .signal = sig, .timeout = -1 };
	if (op == CTL_WINSIZE && tty_size(&r.rows, &r.cols) < 0)
		return;
	ctl_req_send(fd, &r, NULL, 0);
}

static int signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
		sigaddset(&set, fwd[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Replies until the exit (or, with -d, until it runs); signals forwarded. */
static int follow(int fd, const struct xopts *x, const char *name)
{
	static char buf[CTL_MSG_MAX + 1];
	int sfd = signals();
	for (;;) {
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return EXIT_QPOD;
		struct signalfd_siginfo si;
		if ((pf[1].revents & POLLIN) && io_read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo != SIGWINCH)
				forward(fd, CTL_SIGNAL, (int)si.ssi_signo);
			else if (x->tty)
				forward(fd, CTL_WINSIZE, 0);
		}
		if (!(pf[0].revents & (POLLIN | POLLHUP)))
			continue;
		struct ctl_rep r;
		int e = client_reply(fd, &r, buf, sizeof buf, 0);
		if (e == -ETIMEDOUT)
			continue;
		if (e) {
			fprintf(stderr, "qpod: %s: the VM's monitor went away\n", name);
			return EXIT_QPOD;
		}
		if (r.ev == CEV_ERROR) {
			fprintf(stderr, "qpod: %s\n", r.message);
			return CLIENT_REFUSED;
		}
		if (r.ev == CEV_RUNNING && x->detach)
			return 0;
		if (r.ev == CEV_EXIT) {
			if (*r.exit.error)
				fprintf(stderr, "qpod: %s\n", r.exit.error);
			return r.exit.status;
		}
	}
}

int cmd_exec(int argc, char **argv)
{
	struct xopts x = { 0 };
	struct vm_ref v;
	if (parse(argc, argv, &x) < 0)
		return EXIT_QPOD;
	int e = client_find(argv[optind], &v);
	if (e)
		return e == -ENOENT ? CLIENT_REFUSED : EXIT_QPOD;
	int fd = client_connect(&v);
	if (fd < 0)
		return fd == -ESRCH ? CLIENT_REFUSED : EXIT_QPOD;
	struct qp_process p = { .id = "exec", .args = argv + optind + 1, .env = x.env, .workdir = x.workdir,
				.user = x.user, .terminal = x.tty && !x.detach, .stdin_open = x.interactive && !x.detach,
				.stdio_seq = 3, .stderr_seq = x.tty ? 0 : 4, .umask = -1 };
	if (p.terminal)
		tty_size(&p.rows, &p.cols);
	/* Always three, in order: without -i the monitor leaves stdin alone;
	 * with -d the output goes nowhere (docker's detached exec). */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[3] = { p.stdin_open ? 0 : null, x.detach ? null : 1, x.detach ? null : 2 };
	struct ctl_req req = { .op = CTL_EXEC, .timeout = -1, .detach = x.detach, .exec = &p };
	e = ctl_req_send(fd, &req, fds, 3);
	io_close(&null);
	if (e < 0) {
		fprintf(stderr, "qpod: %s: %s\n", v.st.name, strerror(-e));
		close(fd);
		return EXIT_QPOD;
	}
	if (p.terminal)
		tty_raw_host();
	int status = follow(fd, &x, v.st.name);
	tty_restore();
	close(fd);
	return status;
}
