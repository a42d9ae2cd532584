/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monops.c: what a monitor does to its VM and says of it, for its loop
 * (monitor.c), its control socket (monctl.c) and its health check
 * (monhealth.c) alike: the state file saved, an event appended (docker's
 * `events --format json` shape, one write per line), the start reported to
 * `run -d`, the command stopped (its stop signal, SIGKILL after the
 * timeout), the VM unpaused.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "monitor.h"
#include "when.h"

void mon_save(struct monitor *m)
{
	struct qerr err;
	state_save(m->ms->dir, m->st, &err);
}

void mon_status(struct monitor *m, const char *status)
{
	snprintf(m->st->status, sizeof m->st->status, "%s", status);
	m->st->qemu_pid = m->l->vm.pid > 0 ? m->l->vm.pid : 0;
	snprintf(m->st->boot, sizeof m->st->boot, "%s", m->l->boot.restored ? "restore" : "cold");
	mon_save(m);
}

/* One line of ROOT/ID/events in docker's shape (`docker events --format json`). */
void mon_event(struct monitor *m, const char *action, const char *attr, const char *value)
{
	char path[4200];
	struct jw w;
	const char *json;
	size_t len;
	int64_t ns = when_now();
	snprintf(path, sizeof path, "%s/events", m->ms->dir);
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "status", action);
	jw_kv_str(&w, "id", m->st->id);
	jw_kv_str(&w, "from", m->st->image);
	jw_kv_str(&w, "Type", "container");
	jw_kv_str(&w, "Action", action);
	jw_key(&w, "Actor");
	jw_obj(&w);
	jw_kv_str(&w, "ID", m->st->id);
	jw_key(&w, "Attributes");
	jw_obj(&w);
	if (attr)
		jw_kv_str(&w, attr, value);
	jw_kv_str(&w, "image", m->st->image);
	jw_kv_str(&w, "name", m->st->name);
	jw_end(&w);
	jw_end(&w);
	if (!strncmp(action, "health_status: ", 15))
		jw_kv_str(&w, "HealthStatus", action + 15);
	jw_kv_str(&w, "scope", "local");
	jw_kv_int(&w, "time", ns / 1000000000);
	jw_kv_int(&w, "timeNano", ns);
	jw_end(&w);
	int fd = jw_done(&w, &json, &len) ? -1 : open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		char *line = malloc(len + 1);
		if (line) { /* one write: readers never see half a line */
			memcpy(line, json, len);
			line[len] = '\n';
			io_write_all(fd, line, len + 1);
			free(line);
		}
		close(fd);
	}
	jw_free(&w);
}

void mon_ready(struct monitor *m, int status, const char *why)
{
	if (m->ready_fd < 0)
		return;
	dprintf(m->ready_fd, "%d %s\n", status, why ? why : "");
	io_close(&m->ready_fd);
}

void mon_unpause(struct monitor *m)
{
	if (!m->st->paused)
		return;
	if (m->l->vm.pid > 0)
		kill(m->l->vm.pid, SIGCONT);
	m->st->paused = false;
	mon_save(m);
	mon_event(m, "unpause", NULL, NULL);
	if (m->h.running)
		m->h.deadline = now_s() + (double)m->h.cfg.timeout / 1e9; /* the pause was not its time */
}

void mon_stop(struct monitor *m, int sig, double timeout, bool again)
{
	struct sproc *init = session_proc(&m->s, "init");
	mon_unpause(m); /* docker: a paused container stops too */
	m->restart_at = 0;
	if (again) {
		m->again = true;
	} else {
		m->stopped = true;
		m->st->stopped_by_user = true;
	}
	if (init && init->running && !init->exited) {
		if (!again)
			mon_status(m, "stopping");
		session_stop(&m->s, sig, timeout);
	} else if (again) {
		m->restart_at = now_s(); /* between restarts, or it never ran: now */
	} else {
		session_destroy(&m->s);
	}
}
