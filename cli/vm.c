/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.c: a VM's lifecycle, docker's commands and meaning; each prints the
 * NAME it was given (as typed) once done:
 *   qpod stop [-t SECONDS] [-s SIGNAL] NAME...  the stop signal, SIGKILL after the
 *                                    timeout, the VM powers off (stopped already: fine)
 *   qpod kill [-s SIGNAL] NAME...    a signal to the command (default KILL)
 *   qpod wait NAME...                waits for the end; prints each exit code
 *   qpod rm [-f] NAME...             removes a VM that has ended (-f: kills it
 *                                    first; a missing NAME is no error); nothing is left
 * Exit 0; 1 for what docker's daemon refuses (no such VM, not running,
 * running without -f); 125 for qpod's own failures and bad flags.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "sig.h"

int vm_each(int argc, char **argv, int first, int (*fn)(struct vm_ref *v, const char *arg, void *ctx),
	    void *ctx, const char *usage)
{
	if (first >= argc) {
		fprintf(stderr, "qpod: usage: %s\n", usage);
		return EXIT_QPOD;
	}
	int rc = 0;
	for (int i = first; i < argc; i++) {
		struct vm_ref v;
		int e = client_find(argv[i], &v);
		int k = e == -ENOENT ? CLIENT_REFUSED : e ? EXIT_QPOD : fn(&v, argv[i], ctx);
		if (k > rc)
			rc = k;
	}
	return rc;
}

int vm_signal_arg(const char *s)
{
	const char *v = *s == '=' || (*s == '-' && s[1]) ? s + 1 : s;
	char *end;
	long n = strtol(v, &end, 10);
	if (*v >= '0' && *v <= '9' && !*end && (n < 1 || n > 64)) {
		fprintf(stderr, "qpod: %s\n", n ? "valid signals are 1 through 64" : "invalid signal: 0");
		return -1;
	}
	int sig = sig_parse(v);
	if (sig < 0)
		fprintf(stderr, "qpod: invalid signal: %s\n", v);
	return sig;
}

/* stop's and restart's flags: -t/--time/--timeout SECONDS (docker's -1:
 * for ever), -s/--signal SIGNAL. 0, or 125 after one line. */
int vm_stop_flags(int argc, char **argv, struct stop_args *a, const char *usage)
{
	static const struct option lo[] = { { "time", required_argument, NULL, 't' },
					    { "timeout", required_argument, NULL, 't' },
					    { "signal", required_argument, NULL, 's' }, { 0 } };
	int c;
	*a = (struct stop_args){ .t = -1 };
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:s:", lo, NULL)) != -1) {
		const char *v = *optarg == '=' ? optarg + 1 : optarg;
		char *end;
		if (c == 't' && (a->t = strtod(v, &end), end != v && !*end && a->t >= -1 && a->t <= 1e6)) {
			a->t = a->t < 0 ? 1e6 : a->t;
		} else if (c == 't') {
			fprintf(stderr, "qpod: --time %s: expected seconds (see --help)\n", v);
			return EXIT_QPOD;
		} else if (c != 's') {
			fprintf(stderr, "qpod: usage: %s\n", usage);
			return EXIT_QPOD;
		} else if ((a->sig = vm_signal_arg(v)) < 0) {
			return EXIT_QPOD;
		}
	}
	return 0;
}

static int stop_one(struct vm_ref *v, const char *arg, void *ctx)
{
	const struct stop_args *a = ctx;
	struct ctl_req req = { .op = CTL_STOP, .timeout = a->t, .signal = a->sig };
	struct ctl_rep r;
	if (state_alive(v->dir)) {
		/* The stop timeout, then the VM's power-off, then some slack. */
		int k = client_ask(v, &req, (int)(((a->t >= 0 ? a->t : 10) + 60) * 1000), &r);
		if (k && state_alive(v->dir))
			return k;
	}
	printf("%s\n", arg); /* docker: stopping a stopped container succeeds */
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	static const char usage[] = "qpod stop [-t SECONDS] [-s SIGNAL] NAME...";
	struct stop_args a;
	int rc = vm_stop_flags(argc, argv, &a, usage);
	return rc ? rc : vm_each(argc, argv, optind, stop_one, &a, usage);
}

static int kill_one(struct vm_ref *v, const char *arg, void *ctx)
{
	struct ctl_req req = { .op = CTL_KILL, .signal = *(int *)ctx };
	struct ctl_rep r;
	int k = client_ask(v, &req, 30000, &r);
	if (!k)
		printf("%s\n", arg);
	return k;
}

int cmd_kill(int argc, char **argv)
{
	static const struct option lo[] = { { "signal", required_argument, NULL, 's' }, { 0 } };
	int sig = SIGKILL, c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:", lo, NULL)) != -1) {
		if (c != 's') {
			fprintf(stderr, "qpod: usage: qpod kill [-s SIGNAL] NAME...\n");
			return EXIT_QPOD;
		}
		if ((sig = vm_signal_arg(optarg)) < 0)
			return EXIT_QPOD;
	}
	return vm_each(argc, argv, optind, kill_one, &sig, "qpod kill [-s SIGNAL] NAME...");
}

static int wait_one(struct vm_ref *v, const char *arg, void *ctx)
{
	int status = -1;
	if (state_alive(v->dir)) {
		struct ctl_req req = { .op = CTL_WAIT };
		struct ctl_rep r;
		/* No deadline of its own: it ends with the command, or when the
		 * monitor goes (the socket closes). */
		int k = client_ask(v, &req, -1, &r);
		if (k && state_alive(v->dir))
			return k;
		status = k ? -1 : r.exit.status;
	}
	if (status == -1) {
		struct qerr err;
		if (state_load(v->dir, &v->st, &err) < 0) {
			fprintf(stderr, "qpod: %s\n", err.msg);
			return EXIT_QPOD;
		}
		status = v->st.monitor_lost ? EXIT_QPOD : v->st.exit_code;
	}
	printf("%d\n", status);
	return 0;
}

int cmd_wait(int argc, char **argv)
{
	return vm_each(argc, argv, 1, wait_one, NULL, "qpod wait NAME...");
}

static int rm_one(struct vm_ref *v, const char *arg, void *ctx)
{
	struct qerr err;
	if (state_alive(v->dir)) {
		if (!*(bool *)ctx) {
			fprintf(stderr, "qpod: cannot remove a %s container: %s. %s the container before attempting "
				"removal or force remove\n", v->st.paused ? "paused" : "running", arg,
				v->st.paused ? "Unpause and then stop" : "Stop");
			return CLIENT_REFUSED;
		}
		struct ctl_req req = { .op = CTL_KILL, .signal = SIGKILL };
		struct ctl_rep r;
		client_ask(v, &req, 30000, &r);
		/* The monitor ends once qemu is gone; its lock says when. */
		for (int i = 0; i < 600 && state_alive(v->dir); i++)
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		if (state_alive(v->dir)) {
			fprintf(stderr, "qpod: %s: the monitor did not end in time\n", v->st.name);
			return EXIT_QPOD;
		}
	}
	if (state_remove(v->dir, &v->st, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return EXIT_QPOD;
	}
	printf("%s\n", arg);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option lo[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	bool force = false;
	int c, rc = 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f", lo, NULL)) != -1) {
		if (c != 'f') {
			fprintf(stderr, "qpod: usage: qpod rm [-f] NAME...\n");
			return EXIT_QPOD;
		}
		force = true;
	}
	if (!force)
		return vm_each(argc, argv, optind, rm_one, &force, "qpod rm [-f] NAME...");
	if (optind >= argc) {
		fprintf(stderr, "qpod: usage: qpod rm [-f] NAME...\n");
		return EXIT_QPOD;
	}
	for (int i = optind; i < argc; i++) { /* -f: a NAME that is not there is no error (docker) */
		struct vm_ref v;
		struct qerr err;
		int k = state_find(argv[i], v.dir, sizeof v.dir, &v.st, &err) == 0 ? rm_one(&v, argv[i], &force)
		      : err.code == ENOENT ? 0 : (fprintf(stderr, "qpod: %s\n", err.msg), EXIT_QPOD);
		if (k > rc)
			rc = k;
	}
	return rc;
}
