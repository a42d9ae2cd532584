/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c: what a run tells besides its exit status: --timings (a phase
 * table on stderr) and --result FILE (one JSON object for CI pipelines).
 * Guest marks come from the guest's own clock (READY carries its
 * CLOCK_BOOTTIME), so "kernel entered" is measured, not guessed: it is the
 * host time of READY minus the guest's uptime at READY.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "session.h"

static double ms(double a, double b)
{
	return a && b ? (b - a) * 1000 : -1;
}

void report_timings(const struct session_result *r, FILE *out)
{
	const struct timings *t = &r->t;
	const struct bootinfo *b = &r->boot;
	double kernel = t->ready && t->guest_boot ? t->ready - t->guest_boot : 0;
	struct { const char *what; double at; } rows[] = {
		{ "qemu started", t->qemu_start },
		/* a restore replaces the firmware and kernel phases */
		{ b->restored ? "state restored" : "kernel entered", b->restored ? b->restored_at : kernel },
		{ b->restored ? "guest resumed" : "hyperstart ready", t->ready },
		{ "command started", t->started },
		{ "first output", t->first_output },
		{ "command exited", t->exited },
		{ "VM gone", t->vm_gone },
	};
	fprintf(out, "qpod boot: %s (%s), root: %s\n", b->restored ? "restore" : "cold",
		b->snapshot[0] ? b->snapshot : "-", b->root[0] ? b->root : "-");
	fprintf(out, "qpod cgroup: %s\n", b->cgroup[0] ? b->cgroup : "-");
	fprintf(out, "qpod timings (ms since qemu start, and since the previous phase):\n");
	double prev = t->qemu_start;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		if (!rows[i].at) {
			fprintf(out, "  %-17s %8s\n", rows[i].what, "-");
			continue;
		}
		fprintf(out, "  %-17s %8.1f  %+8.1f\n", rows[i].what, ms(t->qemu_start, rows[i].at),
			ms(prev, rows[i].at));
		if (rows[i].at != t->first_output)
			prev = rows[i].at;
	}
}

static void key_us(struct jw *w, const char *key, double start, double at)
{
	jw_key(w, key);
	if (at && start)
		jw_int(w, (int64_t)((at - start) * 1e6)); /* microseconds */
	else
		jw_null(w);
}

int report_result(const char *path, const struct session_result *r, const char *error, struct qerr *err)
{
	const struct timings *t = &r->t;
	struct jw w;
	const char *json;
	size_t len;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_int(&w, "status", r->status);
	jw_key(&w, "signal");
	if (r->have_exit && r->exit.signal)
		jw_int(&w, r->exit.signal);
	else
		jw_null(&w);
	jw_kv_bool(&w, "oom", r->have_exit && r->exit.oom);
	jw_kv_bool(&w, "timedOut", r->timed_out);
	jw_key(&w, "error");
	if (error && *error)
		jw_str(&w, error);
	else if (r->have_exit && *r->exit.error)
		jw_str(&w, r->exit.error);
	else
		jw_null(&w);
	jw_kv_str(&w, "boot", r->boot.restored ? "restore" : "cold");
	jw_kv_str(&w, "snapshot", r->boot.snapshot);
	jw_kv_str(&w, "root", r->boot.root);
	jw_kv_str(&w, "cgroup", r->boot.cgroup);
	jw_key(&w, "qemuMaxRssKb");
	if (r->qemu_maxrss_kb)
		jw_int(&w, r->qemu_maxrss_kb);
	else
		jw_null(&w);
	jw_key(&w, "timingsUs");
	jw_obj(&w);
	double kernel = t->ready && t->guest_boot ? t->ready - t->guest_boot : 0;
	key_us(&w, "kernelEntered", t->qemu_start, kernel);
	key_us(&w, "restored", t->qemu_start, r->boot.restored_at);
	key_us(&w, "ready", t->qemu_start, t->ready);
	key_us(&w, "started", t->qemu_start, t->started);
	key_us(&w, "firstOutput", t->qemu_start, t->first_output);
	key_us(&w, "exited", t->qemu_start, t->exited);
	key_us(&w, "vmGone", t->qemu_start, t->vm_gone);
	jw_end(&w);
	jw_end(&w);
	int e = jw_done(&w, &json, &len);
	if (e == 0) {
		/* never through a link, never what is not a file of ours */
		int fd = io_create_own(path, O_WRONLY, 0644);
		if (fd == -EPERM || fd == -ELOOP)
			e = qerr_set(err, EPERM, "--result %s: %s", path, NOT_OURS);
		else if (fd < 0)
			e = qerr_sys(err, -fd, "--result %s", path);
		else if ((e = io_write_all(fd, json, len)) < 0 || (e = io_write_all(fd, "\n", 1)) < 0)
			e = qerr_sys(err, -e, "--result %s", path);
		io_close(&fd);
	} else {
		e = qerr_set(err, ENOMEM, "--result: out of memory");
	}
	jw_free(&w);
	return e;
}

int report_check(const char *path, struct qerr *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : qerr_sys(err, errno, "--result %s", path);
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return qerr_set(err, EPERM, "--result %s: %s", path, NOT_OURS);
	return 0;
}
