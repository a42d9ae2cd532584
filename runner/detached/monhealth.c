/* SPDX-License-Identifier: Apache-2.0 */
/*
 * monhealth.c: a VM's health check, docker's HEALTHCHECK and --health-*
 * (moby's daemon/health.go): the check runs in the guest as one more
 * process of the container (EXECCMD, like an exec: its environment, user
 * and workdir), started by the monitor on its timer, so no host process is
 * made per check; its output goes to a memfd.
 *
 *   starting    until a check passes; failures inside --health-start-period
 *               do not count, and checks come every --health-start-interval
 *   healthy     a check exited 0 (the failing streak is 0 again)
 *   unhealthy   --health-retries failures in a row
 * A check that outlives --health-timeout is killed and fails with exit code
 * -1 ("Health check exceeded timeout (30s)"). The last 5 results (start,
 * end, exit code, the first 4096 bytes of output) go to ROOT/ID/health.json
 * as inspect's State.Health; a change of status is an event
 * ("health_status: healthy") and, under systemd, STATUS= (and READY=1 with
 * --sdnotify healthy). No check runs while the VM is paused or the command
 * is not running; the status stays what it was when the command ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "monitor.h"
#include "when.h"

#define OUT_MAX 4096

void health_init(struct monitor *m)
{
	m->h.on = health_config(&m->l->o, &m->l->img.config, &m->h.cfg) == 1;
	m->h.out_fd = -1;
}

static double interval(struct monitor *m)
{
	struct healthcfg *c = &m->h.cfg;
	bool early = !strcmp(m->st->health, "starting") && when_now() - m->st->started < c->start_period;
	return (double)(early ? c->start_interval : c->interval) / 1e9;
}

void health_reset(struct monitor *m)
{
	if (!m->h.on)
		return;
	snprintf(m->st->health, sizeof m->st->health, "starting");
	m->st->failing_streak = 0;
	m->h.next_at = now_s() + interval(m);
	mon_save(m);
}

static void write_file(struct monitor *m)
{
	char path[4200], t[64];
	struct jw w;
	const char *json;
	size_t len;
	snprintf(path, sizeof path, "%s/health.json", m->ms->dir);
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "Status", m->st->health);
	jw_kv_int(&w, "FailingStreak", m->st->failing_streak);
	jw_key(&w, "Log");
	jw_arr(&w);
	for (int i = 0; i < m->h.nlog; i++) {
		const struct health_log *r = &m->h.log[i];
		jw_obj(&w);
		when_rfc3339(r->start, t, sizeof t);
		jw_kv_str(&w, "Start", t);
		when_rfc3339(r->end, t, sizeof t);
		jw_kv_str(&w, "End", t);
		jw_kv_int(&w, "ExitCode", r->code);
		jw_kv_str(&w, "Output", r->out);
		jw_end(&w);
	}
	jw_end(&w);
	jw_end(&w);
	char tmp[4220];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = jw_done(&w, &json, &len) ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && (io_write_all(fd, json, len) < 0 || close(fd) < 0 || rename(tmp, path) < 0))
		unlink(tmp);
	jw_free(&w);
}

/* docker's handleProbeResult: the new status, the streak, the log. */
static void record(struct monitor *m, int code, const char *out)
{
	struct health *h = &m->h;
	char before[sizeof m->st->health], ev[64];
	snprintf(before, sizeof before, "%s", m->st->health);
	if (h->nlog == 5)
		memmove(h->log, h->log + 1, 4 * sizeof *h->log);
	else
		h->nlog++;
	struct health_log *r = &h->log[h->nlog - 1];
	*r = (struct health_log){ .start = h->started_ns, .end = when_now(), .code = code };
	snprintf(r->out, sizeof r->out, "%s", out);
	if (code == 0) {
		m->st->failing_streak = 0;
		snprintf(m->st->health, sizeof m->st->health, "healthy");
	} else if (strcmp(before, "starting") || h->started_ns - m->st->started >= h->cfg.start_period) {
		if (++m->st->failing_streak >= h->cfg.retries)
			snprintf(m->st->health, sizeof m->st->health, "unhealthy");
	}
	write_file(m);
	mon_save(m);
	if (strcmp(before, m->st->health)) {
		snprintf(ev, sizeof ev, "health_status: %s", m->st->health);
		mon_event(m, ev, NULL, NULL);
		snprintf(ev, sizeof ev, "STATUS=%s", m->st->health);
		sd_notify_send(ev);
		if (!strcmp(m->st->health, "healthy") && !m->ready_sent && m->l->o.sdnotify &&
		    !strcmp(m->l->o.sdnotify, "healthy")) {
			m->ready_sent = sd_notify_send("READY=1") >= 0;
		}
	}
	h->running = false;
	io_close(&h->out_fd);
	h->next_at = now_s() + interval(m);
}

static void start_check(struct monitor *m)
{
	struct health *h = &m->h;
	const struct qp_process *base = &m->l->proc;
	char id[QP_ID_MAX], *shell[4] = { "/bin/sh", "-c", NULL, NULL };
	struct qerr err;
	bool is_shell = !strcmp(h->cfg.test[0], "CMD-SHELL");
	shell[2] = h->cfg.test[1];
	snprintf(id, sizeof id, "health-%u", ++h->n);
	struct qp_process p = { .id = id, .args = is_shell ? shell : h->cfg.test + 1, .env = base->env,
				.workdir = base->workdir, .user = base->user, .groups = base->groups,
				.rlimits = base->rlimits, .nrlimits = base->nrlimits, .umask = base->umask,
				.stdio_seq = m->next_seq, .stderr_seq = m->next_seq + 1 };
	m->next_seq += 2;
	h->started_ns = when_now();
	h->running = true;
	h->timed_out = false;
	h->deadline = now_s() + (double)h->cfg.timeout / 1e9;
	h->out_fd = memfd_create("qpod-health", MFD_CLOEXEC);
	struct relay_spec rs = { .in = -1, .out = h->out_fd, .err = h->out_fd, .seq = p.stdio_seq,
				 .seq_err = p.stderr_seq };
	if (h->out_fd < 0)
		record(m, -1, "the monitor could not keep the check's output");
	else if (session_exec(&m->s, &p, &rs, NULL, &err) < 0)
		record(m, -1, err.msg);
}

double health_turn(struct monitor *m)
{
	struct health *h = &m->h;
	struct sproc *init = session_proc(&m->s, "init");
	if (!h->on || m->st->paused || !init || !init->running || init->exited || m->s.destroying)
		return 0;
	double t = now_s();
	if (h->running) {
		if (!h->timed_out && t >= h->deadline) {
			char id[QP_ID_MAX];
			snprintf(id, sizeof id, "health-%u", h->n);
			h->timed_out = true;
			session_signal(&m->s, id, SIGKILL);
		}
		return h->timed_out ? 0 : h->deadline;
	}
	if (t >= h->next_at)
		start_check(m);
	return h->running ? h->deadline : h->next_at;
}

static bool is_check(const struct sproc *p)
{
	return !strncmp(p->id, "health-", 7);
}

bool health_refused(struct monitor *m, struct sproc *p, const char *why)
{
	if (!is_check(p))
		return false;
	record(m, -1, why);
	return true;
}

bool health_ended(struct monitor *m, struct sproc *p)
{
	if (!is_check(p))
		return false;
	struct health *h = &m->h;
	struct sproc *init = session_proc(&m->s, "init");
	char out[OUT_MAX + 1] = "", limit[32];
	if (!init || init->exited) { /* the command ended, and the check with it: no result */
		h->running = false;
		io_close(&h->out_fd);
		return true;
	}
	ssize_t n = h->out_fd >= 0 ? pread(h->out_fd, out, OUT_MAX, 0) : -1;
	out[n > 0 ? n : 0] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (!out[i])
			out[i] = ' '; /* text only: JSON keeps no NUL */
	if (!*out && *p->exit.error)
		snprintf(out, sizeof out, "%s", p->exit.error);
	if (h->timed_out) {
		char msg[OUT_MAX + 64];
		when_go_duration(h->cfg.timeout, limit, sizeof limit);
		snprintf(msg, sizeof msg, "Health check exceeded timeout (%s)%s%s", limit, *out ? ": " : "", out);
		record(m, -1, msg);
	} else {
		record(m, p->exited ? p->exit.status : -1, p->exited ? out : "the VM stopped during the check");
	}
	return true;
}
