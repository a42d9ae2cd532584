/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmconfig.c: ROOT/ID/config.json, what a VM was started with, in docker's
 * shape, written once when it is created (run -d, or a named run) and read
 * by inspect, ps, port and restart:
 *
 *   {"Path": argv0, "Args": [...], "Image": "sha256:<cache key>" | "",
 *    "Config": {"Hostname", "User", "Env", "Cmd", "Entrypoint", "Image",
 *               "WorkingDir", "Labels", "StopSignal", "StopTimeout",
 *               "Healthcheck" (as given: the flags over the image's),
 *               "Tty", "OpenStdin", "AttachStdin", "AttachStdout", "AttachStderr"},
 *    "HostConfig": {"Binds", "PortBindings", "RestartPolicy", "AutoRemove",
 *               "NetworkMode", "Memory", "NanoCpus", "ReadonlyRootfs", "Tmpfs",
 *               "Dns", "ExtraHosts", "ShmSize", "GroupAdd", "Ulimits", "LogConfig"},
 *    "Mounts": [{"Type": "bind", "Source", "Destination", "Mode", "RW", "Propagation"}],
 *    "Qpod": {"Argv": [the run's flags and arguments], "Cwd": where they were given}}
 *
 * "Qpod" is how `qpod restart` boots an ended VM again with what it had.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "detached.h"
#include "sig.h"

static void kv_strv_or_empty(struct jw *w, const char *key, char *const *v)
{
	jw_key(w, key);
	jw_arr(w);
	for (; v && *v; v++)
		jw_str(w, *v);
	jw_end(w);
}

/* Config.Healthcheck as docker shows it: the flags over the image's, no defaults. */
static void health_given(struct jw *w, const struct opts *o, const struct runcfg *img)
{
	static char *const none[] = { "NONE", NULL };
	const struct healthcfg *f = &o->health, *i = &img->health;
	struct healthcfg h = {
		.test = o->no_healthcheck ? (char **)none : f->test ? f->test : i->test,
		.interval = f->interval >= 0 ? f->interval : i->interval,
		.timeout = f->timeout >= 0 ? f->timeout : i->timeout,
		.start_period = f->start_period >= 0 ? f->start_period : i->start_period,
		.start_interval = f->start_interval >= 0 ? f->start_interval : i->start_interval,
		.retries = f->retries >= 0 ? f->retries : i->retries,
	};
	if (!h.test)
		return;
	jw_key(w, "Healthcheck");
	runcfg_health_write(w, &h);
}

/* The image's labels, then --label over them (the same key: replaced). */
static void labels(struct jw *w, const struct opts *o, const struct runcfg *img)
{
	size_t ni = 0, n = 0;
	while (img->labels && img->labels[ni])
		ni++;
	char **all = calloc(ni + o->nlabels + 1, sizeof *all);
	if (!all)
		return;
	for (size_t i = 0; i < ni + o->nlabels; i++) {
		char *kv = i < ni ? img->labels[i] : o->labels[i - ni];
		size_t k = strcspn(kv, "="), x;
		for (x = 0; x < n && (strncmp(all[x], kv, k) || (all[x][k] != '=' && all[x][k])); x++)
			;
		all[x] = kv;
		n += x == n;
	}
	jw_key(w, "Labels");
	runcfg_labels_write(w, all);
	free(all);
}

static void config(struct jw *w, const struct launch *l)
{
	const struct opts *o = &l->o;
	const struct runcfg *img = &l->img.config;
	char *ep_flag[2] = { o->entrypoint, NULL };
	char *const *ep = o->entrypoint_set ? (o->entrypoint && *o->entrypoint ? ep_flag : NULL) : img->entrypoint;
	char *const *cmd = o->cmd && o->cmd[0] ? o->cmd : o->entrypoint_set ? NULL : img->cmd;
	char sig[24];
	jw_key(w, "Config");
	jw_obj(w);
	jw_kv_str(w, "Hostname", l->hostname);
	jw_kv_str(w, "User", o->user ? o->user : img->user ? img->user : "");
	jw_kv_bool(w, "AttachStdin", o->interactive && !o->detach && (!o->attach || (o->attach & 1)));
	jw_kv_bool(w, "AttachStdout", !o->detach && (!o->attach || (o->attach & 2)));
	jw_kv_bool(w, "AttachStderr", !o->detach && (!o->attach || (o->attach & 4)));
	jw_kv_bool(w, "Tty", o->tty);
	jw_kv_bool(w, "OpenStdin", o->interactive);
	kv_strv_or_empty(w, "Env", l->proc.env);
	jw_kv_strv(w, "Cmd", cmd);
	jw_kv_strv(w, "Entrypoint", ep);
	jw_kv_str(w, "Image", o->image);
	jw_kv_str(w, "WorkingDir", o->workdir ? o->workdir : img->workdir ? img->workdir : "");
	health_given(w, o, img);
	labels(w, o, img);
	if (o->stop_signal || img->stop_signal) {
		snprintf(sig, sizeof sig, "SIG%s", sig_name(l->stop_signal) ? sig_name(l->stop_signal) : "TERM");
		jw_kv_str(w, "StopSignal", sig);
	}
	if (o->stop_timeout >= 0)
		jw_kv_int(w, "StopTimeout", (int64_t)o->stop_timeout);
	jw_end(w);
}

static void port_bindings(struct jw *w, const struct opts *o)
{
	jw_key(w, "PortBindings");
	jw_obj(w);
	for (size_t i = 0; i < o->nports; i++) {
		const struct publish *p = &o->ports[i];
		char key[16], port[8];
		bool seen = false;
		snprintf(key, sizeof key, "%u/%s", p->guest, p->udp ? "udp" : "tcp");
		for (size_t k = 0; k < i; k++)
			seen |= o->ports[k].guest == p->guest && o->ports[k].udp == p->udp;
		if (seen)
			continue; /* written with the first of its guest port */
		jw_key(w, key);
		jw_arr(w);
		for (size_t k = i; k < o->nports; k++) {
			if (o->ports[k].guest != p->guest || o->ports[k].udp != p->udp)
				continue;
			snprintf(port, sizeof port, "%u", o->ports[k].host);
			jw_obj(w);
			jw_kv_str(w, "HostIp", o->ports[k].ip);
			jw_kv_str(w, "HostPort", port);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
}

static void restart_policy(struct jw *w, const struct opts *o)
{
	struct restart r;
	static const char *const names[] = { "no", "on-failure", "always", "unless-stopped" };
	restart_parse(o->restart, &r);
	jw_key(w, "RestartPolicy");
	jw_obj(w);
	jw_kv_str(w, "Name", names[r.policy]);
	jw_kv_int(w, "MaximumRetryCount", r.max);
	jw_end(w);
}

static void host_config(struct jw *w, const struct launch *l)
{
	const struct opts *o = &l->o;
	jw_key(w, "HostConfig");
	jw_obj(w);
	jw_key(w, "Binds");
	jw_arr(w);
	for (size_t i = 0; i < o->nvols; i++) {
		char b[8300];
		const struct volume *v = &o->vols[i];
		snprintf(b, sizeof b, "%s%s%s:%s%s", v->host, v->file ? "/" : "", v->file ? v->file : "", v->guest,
			 v->read_only ? ":ro" : "");
		jw_str(w, b);
	}
	jw_end(w);
	port_bindings(w, o);
	restart_policy(w, o);
	jw_kv_bool(w, "AutoRemove", o->rm);
	jw_kv_bool(w, "Init", o->init);
	jw_kv_str(w, "NetworkMode", o->network ? "user" : "none");
	jw_kv_int(w, "Memory", (int64_t)o->memory_mb << 20);
	jw_kv_int(w, "NanoCpus", (int64_t)o->cpus * 1000000000);
	jw_kv_bool(w, "ReadonlyRootfs", o->read_only);
	jw_key(w, "Tmpfs");
	jw_obj(w);
	for (size_t i = 0; i < o->ntmpfs; i++)
		jw_kv_str(w, o->tmpfs[i].path, o->tmpfs[i].options ? o->tmpfs[i].options : "");
	jw_end(w);
	kv_strv_or_empty(w, "Dns", o->dns);
	jw_key(w, "ExtraHosts");
	jw_arr(w);
	for (size_t i = 0; i < o->nhosts; i++) {
		char h[300];
		snprintf(h, sizeof h, "%s:%s", o->hosts[i].name, o->hosts[i].ip);
		jw_str(w, h);
	}
	jw_end(w);
	jw_kv_int(w, "ShmSize", o->shm_size ? (int64_t)o->shm_size : 64 << 20);
	kv_strv_or_empty(w, "GroupAdd", o->groups);
	jw_key(w, "LogConfig");
	jw_obj(w);
	jw_kv_str(w, "Type", "qpod");
	jw_key(w, "Config");
	jw_obj(w);
	if (o->log_max) {
		char m[32];
		snprintf(m, sizeof m, "%llu", (unsigned long long)o->log_max);
		jw_kv_str(w, "max-size", m);
	}
	jw_end(w);
	jw_end(w);
	jw_end(w);
}

static void mounts(struct jw *w, const struct opts *o)
{
	jw_key(w, "Mounts");
	jw_arr(w);
	for (size_t i = 0; i < o->nvols; i++) {
		const struct volume *v = &o->vols[i];
		char src[8200];
		snprintf(src, sizeof src, "%s%s%s", v->host, v->file ? "/" : "", v->file ? v->file : "");
		jw_obj(w);
		jw_kv_str(w, "Type", "bind");
		jw_kv_str(w, "Source", src);
		jw_kv_str(w, "Destination", v->guest);
		jw_kv_str(w, "Mode", v->read_only ? "ro" : "");
		jw_kv_bool(w, "RW", !v->read_only);
		jw_kv_str(w, "Propagation", "rprivate");
		jw_end(w);
	}
	jw_end(w);
}

int vmconfig_write(const char *dir, const struct launch *l, char **argv, struct qerr *err)
{
	struct jw w;
	const char *json;
	size_t len;
	char path[4200], cwd[4096], id[80];
	snprintf(id, sizeof id, "%s%s", l->img.id ? "sha256:" : "", l->img.id ? l->img.id : "");
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "Path", l->proc.args[0]);
	kv_strv_or_empty(&w, "Args", l->proc.args + 1);
	jw_kv_str(&w, "Image", id);
	config(&w, l);
	host_config(&w, l);
	mounts(&w, &l->o);
	jw_key(&w, "Qpod");
	jw_obj(&w);
	jw_kv_strv(&w, "Argv", argv);
	jw_kv_str(&w, "Cwd", getcwd(cwd, sizeof cwd) ? cwd : "/");
	jw_end(&w);
	jw_end(&w);
	snprintf(path, sizeof path, "%s/config.json", dir);
	int e = jw_done(&w, &json, &len);
	int fd = e ? -1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || io_write_all(fd, json, len) < 0 || close(fd) < 0)
		e = qerr_sys(err, errno ? errno : ENOMEM, "write %s", path);
	jw_free(&w);
	return e;
}
