/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmops.c: more of docker's commands on a VM, each printing the NAME given:
 *   qpod restart [-t SECONDS] [-s SIGNAL] NAME...  stop the command (its stop
 *                  signal, SIGKILL after the timeout) and run it again in the
 *                  same VM; a VM that has ended boots again with its flags
 *   qpod pause NAME..., qpod unpause NAME...   freeze and thaw the whole VM
 * Exit codes as vm.c's: 0; 1 for what docker's daemon refuses; 125.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vmview.h"

/* The run line config.json keeps ("Qpod": {"Argv", "Cwd"}), as argv. */
static char **saved_argv(const struct vmview *v, char *cwd, size_t cap)
{
	int a = vmview_get(v, "Qpod.Argv"), c = vmview_get(v, "Qpod.Cwd"), it;
	uint32_t k;
	if (json_type(&v->cj, a) != JSON_ARRAY || json_str(&v->cj, c, cwd, cap) < 0)
		return NULL;
	char **argv = calloc(v->cj.t[a].size + 2, sizeof *argv);
	if (!argv)
		return NULL;
	argv[0] = strdup("run");
	JSON_EACH(&v->cj, a, it, k)
		argv[k + 1] = json_strdup(&v->cj, it);
	return argv;
}

/* A VM whose monitor has ended: booted again from its run line, into itself. */
static int boot_again(struct vm_ref *v)
{
	struct vmview cfg;
	char cwd[4096];
	vmview_load(&cfg, v->dir, &v->st);
	char **argv = saved_argv(&cfg, cwd, sizeof cwd);
	vmview_free(&cfg);
	int argc = 0;
	while (argv && argv[argc])
		argc++;
	if (!argv || argc < 2 || chdir(cwd) < 0) {
		fprintf(stderr, "qpod: %s: how it was started is not known (config.json), or its directory %s is gone\n",
			v->st.name, argv ? cwd : "");
		return EXIT_QPOD;
	}
	return run_again(v, argc, argv);
}

static int restart_one(struct vm_ref *v, const char *arg, void *ctx)
{
	const struct stop_args *a = ctx;
	struct ctl_req req = { .op = CTL_RESTART, .timeout = a->t, .signal = a->sig };
	struct ctl_rep r;
	int k = 0;
	if (state_alive(v->dir)) {
		k = client_ask(v, &req, (int)(((a->t >= 0 ? a->t : 10) + 120) * 1000), &r);
		if (!k && r.ev == CEV_EXIT) {
			fprintf(stderr, "qpod: %s: the command did not run again (%d)%s%s\n", arg, r.exit.status,
				*r.exit.error ? ": " : "", r.exit.error);
			k = CLIENT_REFUSED;
		}
	} else {
		k = boot_again(v);
	}
	if (!k)
		printf("%s\n", arg);
	return k;
}

int cmd_restart(int argc, char **argv)
{
	static const char usage[] = "qpod restart [-t SECONDS] [-s SIGNAL] NAME...";
	struct stop_args a;
	int rc = vm_stop_flags(argc, argv, &a, usage);
	return rc ? rc : vm_each(argc, argv, optind, restart_one, &a, usage);
}

static int pause_one(struct vm_ref *v, const char *arg, void *ctx)
{
	struct ctl_req req = { .op = *(enum ctl_op *)ctx };
	struct ctl_rep r;
	int k = client_ask(v, &req, 30000, &r);
	if (!k)
		printf("%s\n", arg);
	return k;
}

static int pause_cmd(int argc, char **argv, enum ctl_op op)
{
	char usage[64];
	snprintf(usage, sizeof usage, "qpod %s NAME...", argv[0]);
	if (argc > 1 && argv[1][0] == '-') {
		fprintf(stderr, "qpod: usage: %s\n", usage);
		return EXIT_QPOD;
	}
	return vm_each(argc, argv, 1, pause_one, &op, usage);
}

int cmd_pause(int argc, char **argv)
{
	return pause_cmd(argc, argv, CTL_PAUSE);
}

int cmd_unpause(int argc, char **argv)
{
	return pause_cmd(argc, argv, CTL_UNPAUSE);
}
