/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmview.c: a VM as docker shows a container: inspect's object (Id, Name,
 * Created, State, Config, HostConfig, NetworkSettings, Mounts; times in
 * RFC 3339), ps's row (ID, Names, Image, Command, CreatedAt, RunningFor,
 * Status, State, Ports, Labels, ...) and docker's status text ("Up 5
 * seconds (healthy)", "Exited (3) 2 minutes ago"). Built from state.json
 * (what the monitor says now), config.json (what it was started with) and
 * health.json, each as JSON for the --format templates (format.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "vmview.h"
#include "when.h"

/* A file of the VM's directory; a state file is small (4 MiB at most). */
static char *slurp(const char *dir, const char *name)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return io_slurp(open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), 4u << 20);
}

int vmview_load(struct vmview *v, const char *dir, const struct vmstate *st)
{
	memset(v, 0, sizeof *v);
	snprintf(v->dir, sizeof v->dir, "%s", dir);
	v->st = *st;
	v->config = slurp(dir, "config.json");
	if (v->config && (json_parse_alloc(&v->cj, v->config, strlen(v->config)) < 0 || v->cj.t[0].type != JSON_OBJECT)) {
		if (v->cj.t)
			json_free(&v->cj);
		memset(&v->cj, 0, sizeof v->cj);
	}
	v->health = slurp(dir, "health.json");
	struct json h = { 0 };
	bool good = v->health && json_parse_alloc(&h, v->health, strlen(v->health)) >= 0 && h.t[0].type == JSON_OBJECT;
	if (h.t)
		json_free(&h);
	if (!good) {
		free(v->health);
		v->health = NULL;
	}
	return 0;
}

void vmview_free(struct vmview *v)
{
	if (v->cj.t)
		json_free(&v->cj);
	free(v->config);
	free(v->health);
	memset(v, 0, sizeof *v);
}

/* Value idx of config.json at a path ("HostConfig.PortBindings"), or -1. */
int vmview_get(const struct vmview *v, const char *path)
{
	int idx = v->cj.t ? 0 : -1;
	char key[64];
	for (const char *p = path; idx >= 0 && *p;) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof key, "%.*s", (int)n, p);
		idx = json_get(&v->cj, idx, key);
		p += n + (p[n] == '.');
	}
	return idx;
}

/* Copy a value of config.json as it is; null when it is not there. */
static void copy(struct jw *w, const struct vmview *v, const char *key, const char *path)
{
	int i = vmview_get(v, path);
	jw_key(w, key);
	if (i < 0) {
		jw_null(w);
		return;
	}
	const struct json_tok *t = &v->cj.t[i];
	bool str = t->type == JSON_STRING;
	jw_raw(w, v->cj.src + t->start - str, t->len + 2 * str);
}

bool vmview_running(const struct vmstate *st)
{
	return !strcmp(st->status, "running") || !strcmp(st->status, "stopping");
}

/* docker's State.Status. */
const char *vmview_state(const struct vmstate *st)
{
	if (st->paused)
		return "paused";
	if (vmview_running(st))
		return "running";
	if (!strcmp(st->status, "starting"))
		return "created";
	return st->status; /* created, restarting, exited */
}

/* docker's units.HumanDuration. */
void human_duration(int64_t ns, char *out, size_t cap)
{
	int64_t s = ns / 1000000000, min = s / 60, h = (int64_t)((double)ns / 3.6e12 + 0.5);
	if (s < 1)
		snprintf(out, cap, "Less than a second");
	else if (s == 1)
		snprintf(out, cap, "1 second");
	else if (s < 60)
		snprintf(out, cap, "%lld seconds", (long long)s);
	else if (min == 1)
		snprintf(out, cap, "About a minute");
	else if (min < 60)
		snprintf(out, cap, "%lld minutes", (long long)min);
	else if (h == 1)
		snprintf(out, cap, "About an hour");
	else if (h < 48)
		snprintf(out, cap, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(out, cap, "%lld days", (long long)h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(out, cap, "%lld weeks", (long long)h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(out, cap, "%lld months", (long long)h / 24 / 30);
	else
		snprintf(out, cap, "%lld years", (long long)(s / 3600 / 24 / 365));
}

/* docker's State.String(). */
void vmview_status(const struct vmstate *st, char *out, size_t cap)
{
	char t[40];
	int64_t now = when_now();
	if (vmview_running(st)) {
		human_duration(now - st->started, t, sizeof t);
		if (st->paused)
			snprintf(out, cap, "Up %s (Paused)", t);
		else if (*st->health)
			snprintf(out, cap, "Up %s (%s%s)", t, strcmp(st->health, "starting") ? "" : "health: ", st->health);
		else
			snprintf(out, cap, "Up %s", t);
	} else if (!strcmp(st->status, "restarting")) {
		human_duration(now - st->finished, t, sizeof t);
		snprintf(out, cap, "Restarting (%d) %s ago", st->exit_code, t);
	} else if (!strcmp(st->status, "exited") && st->monitor_lost) {
		snprintf(out, cap, "Exited (monitor lost)");
	} else if (!strcmp(st->status, "exited") && st->started) {
		human_duration(now - (st->finished ? st->finished : st->created), t, sizeof t);
		snprintf(out, cap, "Exited (%d) %s ago", st->exit_code, t);
	} else {
		snprintf(out, cap, "Created");
	}
}

/* ---- ports --------------------------------------------------------------------- */


static int cmp_port(const void *a, const void *b)
{
	const struct port *x = a, *y = b;
	int c = strcmp(x->ip, y->ip);
	if (!c)
		c = strcmp(x->proto, y->proto);
	return c ? c : (int)x->guest - (int)y->guest;
}

/* Every binding of HostConfig.PortBindings; *n of them, cap at most. */
size_t vmview_port_list(const struct vmview *v, struct port *out, size_t cap)
{
	int pb = vmview_get(v, "HostConfig.PortBindings"), it, b;
	uint32_t k, kb;
	size_t n = 0;
	if (json_type(&v->cj, pb) != JSON_OBJECT)
		return 0;
	JSON_EACH(&v->cj, pb, it, k) {
		char key[32], port[16];
		if (json_str(&v->cj, it, key, sizeof key) < 0 || json_type(&v->cj, it + 1) != JSON_ARRAY)
			continue;
		JSON_EACH(&v->cj, it + 1, b, kb) {
			if (n == cap)
				break;
			struct port *p = &out[n];
			char *slash = strchr(key, '/');
			if (json_str(&v->cj, json_get(&v->cj, b, "HostIp"), p->ip, sizeof p->ip) < 0 ||
			    json_str(&v->cj, json_get(&v->cj, b, "HostPort"), port, sizeof port) < 0)
				continue;
			if (!*p->ip)
				snprintf(p->ip, sizeof p->ip, "0.0.0.0");
			p->host = (unsigned)atoi(port);
			p->guest = (unsigned)atoi(key);
			snprintf(p->proto, sizeof p->proto, "%s", slash ? slash + 1 : "tcp");
			n++;
		}
	}
	qsort(out, n, sizeof *out, cmp_port);
	return n;
}

/* ps's Ports: "0.0.0.0:8080->80/tcp", runs of ports as docker joins them
 * ("0.0.0.0:8000-8002->80-82/tcp"); "" unless the VM runs. */
void vmview_ports(const struct vmview *v, char *out, size_t cap)
{
	struct port ps[256];
	size_t n = vmview_running(&v->st) ? vmview_port_list(v, ps, 256) : 0, len = 0;
	*out = '\0';
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && !strcmp(ps[j + 1].ip, ps[i].ip) &&
		       !strcmp(ps[j + 1].proto, ps[i].proto) && ps[j + 1].guest == ps[j].guest + 1 &&
		       ps[j + 1].host == ps[j].host + 1)
			j++;
		if (j == i)
			len += (size_t)snprintf(out + len, cap > len ? cap - len : 0, "%s%s:%u->%u/%s", len ? ", " : "",
						ps[i].ip, ps[i].host, ps[i].guest, ps[i].proto);
		else
			len += (size_t)snprintf(out + len, cap > len ? cap - len : 0, "%s%s:%u-%u->%u-%u/%s",
						len ? ", " : "", ps[i].ip, ps[i].host, ps[j].host, ps[i].guest,
						ps[j].guest, ps[i].proto);
		i = j + 1;
	}
}

/* NetworkSettings.Ports while running: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}. */
static void network_settings(struct jw *w, const struct vmview *v)
{
	struct port ps[256];
	size_t n = vmview_running(&v->st) ? vmview_port_list(v, ps, 256) : 0;
	jw_key(w, "NetworkSettings");
	jw_obj(w);
	jw_key(w, "Ports");
	jw_obj(w);
	for (size_t i = 0; i < n; i++) {
		char key[16], port[8];
		if (i && ps[i].guest == ps[i - 1].guest && !strcmp(ps[i].proto, ps[i - 1].proto))
			continue;
		snprintf(key, sizeof key, "%u/%s", ps[i].guest, ps[i].proto);
		jw_key(w, key);
		jw_arr(w);
		for (size_t k = 0; k < n; k++) {
			if (ps[k].guest != ps[i].guest || strcmp(ps[k].proto, ps[i].proto))
				continue;
			snprintf(port, sizeof port, "%u", ps[k].host);
			jw_obj(w);
			jw_kv_str(w, "HostIp", ps[k].ip);
			jw_kv_str(w, "HostPort", port);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
	jw_kv_str(w, "IPAddress", vmview_running(&v->st) ? "10.0.2.15" : "");
	jw_end(w);
}

/* ---- inspect ------------------------------------------------------------------- */

static void kv_time(struct jw *w, const char *key, int64_t ns)
{
	char t[64];
	when_rfc3339(ns, t, sizeof t);
	jw_kv_str(w, key, t);
}

static void state(struct jw *w, const struct vmview *v)
{
	const struct vmstate *st = &v->st;
	bool run = vmview_running(st);
	jw_key(w, "State");
	jw_obj(w);
	jw_kv_str(w, "Status", vmview_state(st));
	jw_kv_bool(w, "Running", run);
	jw_kv_bool(w, "Paused", st->paused);
	jw_kv_bool(w, "Restarting", !strcmp(st->status, "restarting"));
	jw_kv_bool(w, "OOMKilled", st->oom);
	jw_kv_bool(w, "Dead", false);
	jw_kv_int(w, "Pid", run ? st->qemu_pid : 0);
	jw_kv_int(w, "ExitCode", st->exit_code);
	jw_kv_str(w, "Error", st->error);
	kv_time(w, "StartedAt", st->started);
	kv_time(w, "FinishedAt", run ? 0 : st->finished);
	jw_kv_int(w, "ConmonPid", st->monitor_pid);
	jw_kv_bool(w, "StoppedByUser", st->stopped_by_user);
	if (v->health) {
		jw_key(w, "Health");
		jw_raw(w, v->health, strlen(v->health));
	} else if (*st->health) {
		jw_key(w, "Health");
		jw_obj(w);
		jw_kv_str(w, "Status", st->health);
		jw_kv_int(w, "FailingStreak", st->failing_streak);
		jw_key(w, "Log");
		jw_arr(w);
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
}

void vmview_inspect(struct jw *w, const struct vmview *v)
{
	const struct vmstate *st = &v->st;
	char name[80], log[4200];
	snprintf(name, sizeof name, "/%s", st->name);
	snprintf(log, sizeof log, "%s/log", v->dir);
	jw_obj(w);
	jw_kv_str(w, "Id", st->id);
	kv_time(w, "Created", st->created);
	copy(w, v, "Path", "Path");
	copy(w, v, "Args", "Args");
	state(w, v);
	copy(w, v, "Image", "Image");
	jw_kv_str(w, "LogPath", log);
	jw_kv_str(w, "Name", name);
	jw_kv_int(w, "RestartCount", st->restarts);
	jw_kv_str(w, "Driver", "qpod");
	jw_kv_str(w, "Platform", "linux");
	copy(w, v, "HostConfig", "HostConfig");
	copy(w, v, "Mounts", "Mounts");
	copy(w, v, "Config", "Config");
	network_settings(w, v);
	jw_key(w, "Qpod");
	jw_obj(w);
	jw_kv_int(w, "MonitorPid", st->monitor_pid);
	jw_kv_int(w, "QemuPid", st->qemu_pid);
	jw_kv_str(w, "Boot", st->boot);
	jw_kv_bool(w, "MonitorLost", st->monitor_lost);
	jw_kv_int(w, "Signal", st->signal);
	jw_kv_str(w, "Dir", v->dir);
	jw_end(w);
	jw_end(w);
}

/* ---- ps ------------------------------------------------------------------------ */

/* Config.Labels as "k=v,k2=v2" (ps's Labels). */
static void labels_text(const struct vmview *v, char *out, size_t cap)
{
	int lb = vmview_get(v, "Config.Labels"), it;
	uint32_t k;
	size_t n = 0;
	*out = '\0';
	if (json_type(&v->cj, lb) != JSON_OBJECT)
		return;
	JSON_EACH(&v->cj, lb, it, k) {
		char key[256], val[512];
		if (json_str(&v->cj, it, key, sizeof key) >= 0 && json_str(&v->cj, it + 1, val, sizeof val) >= 0)
			n += (size_t)snprintf(out + n, cap > n ? cap - n : 0, "%s%s=%s", n ? "," : "", key, val);
	}
}

void vmview_psrow(struct jw *w, const struct vmview *v, bool trunc)
{
	const struct vmstate *st = &v->st;
	char status[96], ports[1024], created[64], ago[48], cmd[1100], lbl[4096], id[13];
	time_t cs = (time_t)(st->created / 1000000000);
	struct tm tm;
	localtime_r(&cs, &tm);
	strftime(created, sizeof created, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	human_duration(when_now() - st->created, ago, sizeof ago);
	strcat(ago, " ago");
	vmview_status(st, status, sizeof status);
	vmview_ports(v, ports, sizeof ports);
	labels_text(v, lbl, sizeof lbl);
	snprintf(id, sizeof id, "%.12s", st->id);
	/* docker: the command quoted, cut to 20 with an ellipsis unless --no-trunc */
	if (trunc && strlen(st->command) > 20)
		snprintf(cmd, sizeof cmd, "\"%.19s…\"", st->command);
	else
		snprintf(cmd, sizeof cmd, "\"%s\"", st->command);
	jw_obj(w);
	jw_kv_str(w, "Command", cmd);
	jw_kv_int(w, "Created", st->created / 1000000000);
	jw_kv_str(w, "CreatedAt", created);
	jw_kv_int(w, "ExitCode", st->exit_code);
	jw_kv_str(w, "ID", trunc ? id : st->id);
	jw_kv_str(w, "Image", st->image);
	jw_kv_str(w, "Labels", lbl);
	jw_kv_str(w, "LocalVolumes", "0");
	jw_kv_str(w, "Mounts", "");
	jw_kv_str(w, "Names", st->name);
	jw_kv_str(w, "Networks", "");
	jw_kv_str(w, "Ports", ports);
	jw_kv_str(w, "RunningFor", ago);
	jw_kv_str(w, "Size", "0B");
	jw_kv_str(w, "State", vmview_state(st));
	jw_kv_str(w, "Status", status);
	jw_end(w);
}
