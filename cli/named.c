/* SPDX-License-Identifier: Apache-2.0 */
/*
 * named.c: `qpod run --name NAME` without -d, docker's named foreground
 * container: the VM runs attached to this terminal as any foreground run,
 * and for as long as it runs it is a VM like a detached one: `qpod ps`
 * lists it, inspect, exec, logs (none: its output is here), stop, kill,
 * pause and top reach it by NAME (this process is its monitor,
 * runner/detached/monitor.c). The name is freed when it ends: qpod removes every
 * foreground run, --rm or not (docs/docker.md).
 */
#include <stdio.h>

#include "cli.h"
#include "runner.h"

int named_run(struct launch *l, const struct relay_spec *io, struct session_result *res)
{
	struct vmstate st = { 0 };
	struct qerr err;
	char dir[4200];
	int e = state_new(l->o.name, &st, dir, sizeof dir, &l->err);
	if (e)
		return e;
	detach_describe(l, &st);
	if (!(e = state_save(dir, &st, &l->err)) && !(e = vmconfig_write(dir, l, l->o.argv, &l->err))) {
		struct monitor_spec ms = { .dir = dir, .ready_fd = -1, .foreground = true, .io = io };
		e = monitor_run(l, &ms, &st, res);
	}
	if (state_remove(dir, &st, &err) < 0)
		fprintf(stderr, "qpod: %s\n", err.msg);
	return e;
}
