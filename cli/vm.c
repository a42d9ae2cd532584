/*
 * vm.c: a detached VM's lifecycle, docker's commands and meaning:
 *   qpod stop [-t SECONDS] NAME...   the stop signal, SIGKILL after the
 *                                    timeout, the VM powers off; prints NAME
 *   qpod kill [-s SIGNAL] NAME...    a signal to the command (default KILL)
 *   qpod wait NAME...                waits for the end; prints each exit code
 *   qpod rm [-f] NAME...             removes a VM that has ended (-f: kills
 *                                    it first); nothing of it is left
 *   qpod inspect NAME...             the state as JSON (a list)
 * Exit 0, or 125 (one line per VM that failed); the others go on.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "sig.h"

static char reply_buf[CTL_MSG_MAX + 1];

/* One request; wait for the reply "want" (or any) within timeout_ms. */
static int ask(struct vm_ref *v, struct jw *w, int timeout_ms, int *status)
{
	int fd = client_connect(v);
	if (fd < 0) {
		jw_free(w);
		return fd;
	}
	struct json j;
	int e = client_send(fd, w, NULL, 0);
	if (!e)
		e = client_reply(fd, &j, reply_buf, sizeof reply_buf, timeout_ms);
	close(fd);
	if (e == -ETIMEDOUT)
		fprintf(stderr, "qpod: %s: no answer in time\n", v->st.name);
	else if (e == -EPIPE && status)
		e = 0, *status = -1; /* the monitor ended as asked */
	else if (e)
		fprintf(stderr, "qpod: %s: %s\n", v->st.name, strerror(-e));
	if (e || (status && *status == -1))
		return e;
	if (json_eq(&j, json_get(&j, 0, "event"), "error")) {
		char msg[512] = "";
		json_str(&j, json_get(&j, 0, "message"), msg, sizeof msg);
		fprintf(stderr, "qpod: %s: %s\n", v->st.name, msg);
		e = -EINVAL;
	} else if (status) {
		*status = client_status(&j);
	}
	json_free(&j);
	return e;
}

static int each(int argc, char **argv, int (*fn)(struct vm_ref *v, void *ctx), void *ctx, const char *usage)
{
	if (optind >= argc) {
		fprintf(stderr, "qpod: usage: %s\n", usage);
		return EXIT_QPOD;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct vm_ref v;
		if (client_find(argv[i], &v) < 0 || fn(&v, ctx) < 0)
			rc = EXIT_QPOD;
	}
	return rc;
}

static int stop_one(struct vm_ref *v, void *ctx)
{
	double t = *(double *)ctx;
	if (!state_alive(v->dir)) {
		printf("%s\n", v->st.name); /* docker: stopping a stopped container succeeds */
		return 0;
	}
	struct jw w;
	int status = 0;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "op", "stop");
	if (t >= 0)
		jw_kv_int(&w, "timeout", (int64_t)t);
	jw_end(&w);
	/* The stop timeout, then the VM's power-off, then some slack. */
	int e = ask(v, &w, (int)(((t >= 0 ? t : 10) + 60) * 1000), &status);
	if (!e)
		printf("%s\n", v->st.name);
	return e;
}

static double opt_seconds(const char *flag, const char *v)
{
	char *end;
	double d = strtod(v, &end);
	if (*end || end == v || d < 0 || d > 1e6) {
		fprintf(stderr, "qpod: %s %s: expected seconds (see --help)\n", flag, v);
		exit(EXIT_QPOD);
	}
	return d;
}

int cmd_stop(int argc, char **argv)
{
	static const struct option lo[] = { { "time", required_argument, NULL, 't' }, { "timeout", required_argument, NULL, 't' }, { 0 } };
	double t = -1;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+t:", lo, NULL)) != -1) {
		if (c != 't') {
			fprintf(stderr, "qpod: usage: qpod stop [-t SECONDS] NAME...\n");
			return EXIT_QPOD;
		}
		t = opt_seconds("--time", optarg);
	}
	return each(argc, argv, stop_one, &t, "qpod stop [-t SECONDS] NAME...");
}

static int send_kill(struct vm_ref *v, int sig)
{
	struct jw w;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "op", "kill");
	jw_kv_int(&w, "signal", sig);
	jw_end(&w);
	return ask(v, &w, 30000, NULL);
}

static int kill_one(struct vm_ref *v, void *ctx)
{
	int e = send_kill(v, *(int *)ctx);
	if (!e)
		printf("%s\n", v->st.name);
	return e;
}

int cmd_kill(int argc, char **argv)
{
	static const struct option lo[] = { { "signal", required_argument, NULL, 's' }, { 0 } };
	int sig = SIGKILL, c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+s:", lo, NULL)) != -1) {
		if (c != 's' || (sig = sig_parse(optarg)) < 0) {
			fprintf(stderr, "qpod: usage: qpod kill [-s SIGNAL] NAME...\n");
			return EXIT_QPOD;
		}
	}
	return each(argc, argv, kill_one, &sig, "qpod kill [-s SIGNAL] NAME...");
}

static int wait_one(struct vm_ref *v, void *ctx)
{
	int status = 0;
	if (state_alive(v->dir)) {
		struct jw w;
		jw_init(&w);
		jw_obj(&w);
		jw_kv_str(&w, "op", "wait");
		jw_end(&w);
		/* No deadline of its own: it ends with the command, or when the
		 * monitor goes (the socket closes). */
		int e = ask(v, &w, -1, &status);
		if (e)
			return e;
	}
	if (status == -1 || !state_alive(v->dir)) {
		struct qerr err;
		if (state_load(v->dir, &v->st, &err) < 0) {
			fprintf(stderr, "qpod: %s\n", err.msg);
			return -EIO;
		}
		status = v->st.monitor_lost ? EXIT_QPOD : v->st.exit_code;
	}
	printf("%d\n", status);
	return 0;
}

int cmd_wait(int argc, char **argv)
{
	optind = 1;
	return each(argc, argv, wait_one, NULL, "qpod wait NAME...");
}

static int rm_one(struct vm_ref *v, void *ctx)
{
	struct qerr err;
	if (state_alive(v->dir)) {
		if (!*(bool *)ctx) {
			fprintf(stderr, "qpod: %s is running: stop it first, or rm -f\n", v->st.name);
			return -EBUSY;
		}
		send_kill(v, SIGKILL);
		/* The monitor ends once qemu is gone; its lock says when. */
		for (int i = 0; i < 600 && state_alive(v->dir); i++)
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		if (state_alive(v->dir)) {
			fprintf(stderr, "qpod: %s: the monitor did not end in time\n", v->st.name);
			return -ETIMEDOUT;
		}
	}
	if (state_remove(v->dir, &v->st, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return -EIO;
	}
	printf("%s\n", v->st.name);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option lo[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	bool force = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+f", lo, NULL)) != -1) {
		if (c != 'f') {
			fprintf(stderr, "qpod: usage: qpod rm [-f] NAME...\n");
			return EXIT_QPOD;
		}
		force = true;
	}
	return each(argc, argv, rm_one, &force, "qpod rm [-f] NAME...");
}

static int inspect_one(struct vm_ref *v, void *ctx)
{
	struct jw *w = ctx;
	return state_json(w, &v->st);
}

int vm_inspect(int argc, char **argv)
{
	struct jw w;
	const char *json;
	size_t len;
	optind = 1;
	jw_init(&w);
	jw_arr(&w);
	int rc = each(argc, argv, inspect_one, &w, "qpod inspect NAME...");
	jw_end(&w);
	if (jw_done(&w, &json, &len) == 0)
		printf("%.*s\n", (int)len, json);
	jw_free(&w);
	return rc;
}
