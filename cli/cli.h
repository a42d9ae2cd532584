/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: qpod's subcommands, docker's way: `qpod COMMAND [OPTIONS] ...`.
 * Each command is one file of cli/ with one entry point, cmd_NAME(argc,
 * argv), argv[0] being the command's name; it returns the process's exit
 * status: its own, or 125 (EXIT_QPOD) with one line on stderr.
 */
#ifndef QPOD_CLI_H
#define QPOD_CLI_H

#include <limits.h>

#include "json.h"
#include "detached/detached.h"

int cmd_run(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
/* pull.c: the registry flags of pull and push (--tls-verify, --creds USER
 * --password-stdin, --authfile, -q, --help; --platform where platform is
 * true) into po (po->creds malloc'd). 0, -1 after --help, 1 on a bad flag
 * (said). optind is the first argument after them. */
int registry_flags(int argc, char **argv, bool platform, struct pack_opts *po, void (*help)(FILE *));
int cmd_ps(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
struct vm_ref;
int cmd_warm(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_events(int argc, char **argv);
int vm_inspect(int argc, char **argv);  /* vminspect.c: inspect's VMs */

/* vm.c: docker's way over several VMs: each NAME in turn (the others go
 * on after a failure); the exit status is the worst: 0, 1, 125. */
int vm_each(int argc, char **argv, int first, int (*fn)(struct vm_ref *v, const char *arg, void *ctx),
	    void *ctx, const char *usage);
/* stop's and restart's -t/--time SECONDS (-1 in: for ever) and -s SIGNAL
 * (0: the VM's stop signal); 0, or the exit status after one line. */
struct stop_args {
	double t;
	int sig;
};
int vm_stop_flags(int argc, char **argv, struct stop_args *a, const char *usage);
/* A signal as docker's kill -s and podman's take it: NAME, SIGNAME, N, with
 * a leading '-' or '=' dropped; -1 after one line on stderr. */
int vm_signal_arg(const char *s);

/* client.c: a VM, found and asked. */
#define CLIENT_REFUSED 1   /* docker's code for what its daemon refuses */
struct vm_ref {
	char dir[PATH_MAX];
	struct vmstate st;
};
/* 0, -ENOENT (no such VM: exit 1) or -EIO; one line on stderr when not found. */
int client_find(const char *ref, struct vm_ref *v);
int client_connect(struct vm_ref *v);                  /* the socket, or -errno (said) */
int client_reply(int fd, struct ctl_rep *r, char *buf, size_t cap, int timeout_ms);
/* One request, one reply: 0; else the exit status (said): CLIENT_REFUSED
 * (not running, or the monitor refused), EXIT_QPOD. A monitor that ended
 * as asked gives ev CEV_EXIT with status -1 (the state says how it ended). */
int client_ask(struct vm_ref *v, const struct ctl_req *req, int timeout_ms, struct ctl_rep *r);

struct launch;
/* run.c: qpod run's ARGV once more, into the ended VM v (qpod restart). */
int run_again(struct vm_ref *v, int argc, char **argv);
/* detach.c: run -d; again: an ended VM booted again into itself, else NULL. */
int detach_run(struct launch *l, const struct vm_ref *again);
/* What a VM's state says it runs (image, command, restart policy). */
void detach_describe(const struct launch *l, struct vmstate *st);
/* named.c: a named foreground run, a VM others can reach while it runs. */
int named_run(struct launch *l, const struct relay_spec *io, struct session_result *res);

/* cache.c: `qpod cache ls|prune`, also run's --cache. */
int cache_run(const char *what);

#endif
