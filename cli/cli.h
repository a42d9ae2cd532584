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
#include "runner.h"

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
int cmd_warm(int argc, char **argv);
int vm_inspect(int argc, char **argv);  /* vm.c: inspect's VMs */

/* client.c: a detached VM, found and asked. */
struct vm_ref {
	char dir[PATH_MAX];
	struct vmstate st;
};
int client_find(const char *ref, struct vm_ref *v);    /* one line on stderr when not found */
int client_connect(struct vm_ref *v);                  /* the socket, or -errno (said) */
int client_send(int fd, struct jw *w, const int *fds, int nfds);
int client_reply(int fd, struct json *j, char *buf, size_t cap, int timeout_ms);
int client_status(struct json *j);

struct launch;
/* detach.c: run -d. */
int detach_run(struct launch *l);

/* cache.c: `qpod cache ls|prune`, also run's --cache. */
int cache_run(const char *what);

#endif
