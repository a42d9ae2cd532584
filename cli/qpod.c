/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qpod.c: `qpod COMMAND ...`, the dispatcher. Commands are docker's names
 * with docker's meaning; `./run ARGS` is `qpod run ARGS`. No daemon: every
 * command does its work in this process (a detached VM keeps a monitor of
 * its own).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runner.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "run", cmd_run, "run a command in a new VM from an image" },
	{ "pull", cmd_pull, "fetch an image or a bundle into the cache (a registry's, or any IMAGE run takes)" },
	{ "push", cmd_push, "store a bundle and its signature in an OCI registry, byte for byte" },
	{ "ps", cmd_ps, "list the VMs (-a: those that ended too; -q: ids only; --filter, --format)" },
	{ "exec", cmd_exec, "run another command in a running VM" },
	{ "logs", cmd_logs, "a detached VM's output (-f follows, -t times, --tail N, --since, --until)" },
	{ "stop", cmd_stop, "stop a VM: its stop signal, then SIGKILL after -t seconds" },
	{ "kill", cmd_kill, "send a signal to a VM's command (default KILL)" },
	{ "wait", cmd_wait, "wait for a VM's command to end; print its exit code" },
	{ "rm", cmd_rm, "remove a VM that has ended (-f: kill it first)" },
	{ "restart", cmd_restart, "stop a VM's command and run it again (an ended VM boots again)" },
	{ "pause", cmd_pause, "freeze a VM (its qemu stops)" },
	{ "unpause", cmd_unpause, "thaw a paused VM" },
	{ "port", cmd_port, "a VM's published ports" },
	{ "top", cmd_top, "the processes of a VM's container" },
	{ "events", cmd_events, "what happens to the VMs: start, die, health_status, ... (docker's events)" },
	{ "cache", cmd_cache, "list or prune the image cache" },
	{ "bundle", cmd_bundle, "make one bootable, reproducible file of an image" },
	{ "inspect", cmd_inspect, "a VM as docker inspects a container (-f TEMPLATE), or a bundle's parts, as JSON" },
	{ "verify", cmd_verify, "check every digest (and the signature) of a bundle" },
	{ "warm", cmd_warm, "save the VM template runs restore, ahead of the first run" },
};

static void qpod_usage(FILE *f)
{
	fprintf(f, "usage: qpod COMMAND [OPTIONS] ...\n"
		   "Run Docker/OCI images as commands in fast-booting qemu microVMs.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n`qpod COMMAND --help` tells more; --version prints the versions.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		qpod_usage(stderr);
		return EXIT_QPOD;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		qpod_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("qpod %s (protocol %u)\n", QPOD_VERSION, QP_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "qpod: '%s' is not a qpod command (see qpod --help)\n", argv[1]);
	return EXIT_QPOD;
}
