/* SPDX-License-Identifier: Apache-2.0 */
/*
 * baked.c: a bundle's launch config: the flags of `qpod run` that
 * `qpod bundle` was given, parsed by run's own parser (runner/opts.c) into
 * its struct opts, stored as what was given. The flags it stores are the
 * rows of runner/flags.c marked BUNDLE_BAKE, each under its row's key
 * (test/flags.bats checks every one lands there):
 *
 *   {"entrypoint":"CMD","env":["K=V","K"],"workdir":"/w","user":"u:g",
 *    "memory":512,"cpus":2,"publish":["8080:80"],"network":"none"}
 *
 * every key only when its flag was given ("K" alone: K erased, as -e K
 * means when the building host had no K; memory in MiB). At run time the
 * run line goes over it as it goes over an image's config: a flag given
 * there wins, -e entries come after the baked ones (the same name replaces
 * in place), -p replaces the baked ports. The reader bounds and checks
 * every value: the file comes from the bundle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "json.h"
#include "runner.h"

/* What the reader takes of -p (a range is a port each): the writer refuses more. */
#define MAX_PORTS 64

int baked_write(const struct opts *o, char **json, size_t *len, struct qerr *err)
{
	struct jw w;
	const char *s;
	if (o->nports > MAX_PORTS)
		return qerr_set(err, E2BIG, "-p: %zu ports; a launch config holds at most %d", o->nports, MAX_PORTS);
	jw_init(&w);
	jw_obj(&w);
	if (o->entrypoint_set)
		jw_kv_str(&w, "entrypoint", o->entrypoint ? o->entrypoint : "");
	if (o->nenv) {
		jw_key(&w, "env");
		jw_arr(&w);
		for (size_t i = 0; i < o->nenv; i++)
			jw_str(&w, o->env[i]);
		jw_end(&w);
	}
	if (o->workdir)
		jw_kv_str(&w, "workdir", o->workdir);
	if (o->user)
		jw_kv_str(&w, "user", o->user);
	if (o->memory_mb)
		jw_kv_int(&w, "memory", o->memory_mb);
	if (o->cpus)
		jw_kv_int(&w, "cpus", o->cpus);
	if (o->nports) {
		jw_key(&w, "publish");
		jw_arr(&w);
		for (size_t i = 0; i < o->nports; i++)
			jw_str(&w, o->ports[i].spec);
		jw_end(&w);
	}
	if (o->network_set)
		jw_kv_str(&w, "network", o->network ? "user" : "none");
	jw_end(&w);
	if (jw_done(&w, &s, len) < 0 || !(*json = malloc(*len + 1))) {
		jw_free(&w);
		return qerr_set(err, ENOMEM, "out of memory");
	}
	memcpy(*json, s, *len + 1);
	jw_free(&w);
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ')
			return false;
	return true;
}

static int str(const struct json *j, const char *key, size_t max, char **out, struct qerr *err)
{
	int v = json_get(j, 0, key);
	*out = NULL;
	if (v < 0)
		return 0;
	if (!(*out = json_strdup(j, v)) || strlen(*out) > max || !printable(*out))
		return qerr_set(err, EINVAL, "the launch config: \"%s\" is not a string of at most %zu printable bytes",
				key, max);
	return 0;
}

static int num(const struct json *j, const char *key, int64_t min, int64_t max, long *out, struct qerr *err)
{
	int64_t v;
	int k = json_get(j, 0, key);
	if (k < 0)
		return 0;
	if (json_int(j, k, &v) < 0 || v < min || v > max)
		return qerr_set(err, EINVAL, "the launch config: \"%s\" is not a number from %jd to %jd", key,
				(intmax_t)min, (intmax_t)max);
	*out = (long)v;
	return 0;
}

/* An array of strings into a NULL-terminated vector of at most max. */
static int strs(const struct json *j, const char *key, uint32_t max, char ***out, size_t *n, struct qerr *err)
{
	int a = json_get(j, 0, key), it;
	uint32_t k;
	*out = NULL;
	*n = 0;
	if (a < 0)
		return 0;
	if (json_type(j, a) != JSON_ARRAY || j->t[a].size > max)
		return qerr_set(err, EINVAL, "the launch config: \"%s\" is not an array of at most %u strings", key, max);
	if (!(*out = calloc(j->t[a].size + 1, sizeof **out)))
		return qerr_set(err, ENOMEM, "out of memory");
	JSON_EACH(j, a, it, k) {
		if (!((*out)[k] = json_strdup(j, it)) || strlen((*out)[k]) > 65536)
			return qerr_set(err, EINVAL, "the launch config: \"%s\"[%u] is not a string", key, k);
		*n = k + 1;
	}
	return 0;
}

int baked_read(const char *text, size_t n, struct opts *o, struct qerr *err)
{
	struct json j;
	char *net = NULL, **pub = NULL;
	size_t npub = 0;
	int e;
	memset(o, 0, sizeof *o);
	o->network = true;
	if (json_parse_alloc(&j, text, n) < 0 || json_type(&j, 0) != JSON_OBJECT)
		return qerr_set(err, EINVAL, "the launch config is not a JSON object");
	if ((e = str(&j, "entrypoint", 4096, &o->entrypoint, err)) || (e = str(&j, "workdir", 4096, &o->workdir, err)) ||
	    (e = str(&j, "user", 256, &o->user, err)) || (e = str(&j, "network", 8, &net, err)) ||
	    (e = num(&j, "memory", OPT_MEMORY_MIN_MB, OPT_MEMORY_MAX_MB, &o->memory_mb, err)) ||
	    (e = num(&j, "cpus", 1, 64, &o->cpus, err)) || (e = strs(&j, "env", QP_MAX_ENV, &o->env, &o->nenv, err)) ||
	    (e = strs(&j, "publish", MAX_PORTS, &pub, &npub, err)))
		goto out;
	o->entrypoint_set = json_get(&j, 0, "entrypoint") >= 0;
	if (o->workdir && o->workdir[0] != '/') {
		e = qerr_set(err, EINVAL, "the launch config: \"workdir\" is not an absolute path");
		goto out;
	}
	if (o->user && (!*o->user || o->user[strspn(o->user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:")])) {
		e = qerr_set(err, EINVAL, "the launch config: \"user\" is not a user[:group]");
		goto out;
	}
	for (size_t i = 0; i < o->nenv; i++) {
		if (!opt_env_ok(o->env[i])) {
			e = qerr_set(err, EINVAL, "the launch config: env[%zu] needs a name without spaces", i);
			goto out;
		}
	}
	if (net) {
		if (strcmp(net, "user") && strcmp(net, "none")) {
			e = qerr_set(err, EINVAL, "the launch config: \"network\" is neither user nor none");
			goto out;
		}
		o->network = !strcmp(net, "user");
		o->network_set = true;
	}
	if (npub && !(o->ports = calloc(npub, sizeof *o->ports))) {
		e = qerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < npub; i++, o->nports++) {
		if ((e = net_parse_publish(pub[i], &o->ports[i], err))) {
			qerr_wrap(err, "the launch config");
			goto out;
		}
		o->ports[i].spec = pub[i];
		pub[i] = NULL;
	}
out:
	/* The specs the ports point to live in o->ports (baked_free). */
	for (size_t i = 0; pub && i < npub; i++)
		free(pub[i]);
	free(pub);
	free(net);
	json_free(&j);
	if (e)
		baked_free(o);
	return e;
}

void baked_free(struct opts *o)
{
	for (size_t i = 0; i < o->nenv; i++)
		free(o->env[i]);
	for (size_t i = 0; i < o->nports; i++)
		free((char *)o->ports[i].spec);
	free(o->env);
	free(o->ports);
	free(o->entrypoint);
	free(o->workdir);
	free(o->user);
	memset(o, 0, sizeof *o);
}

int baked_merge(struct opts *run, struct opts *baked, struct qerr *err)
{
	if (!run->entrypoint_set && baked->entrypoint_set) {
		run->entrypoint = baked->entrypoint;
		run->entrypoint_set = true;
	}
	if (!run->workdir)
		run->workdir = baked->workdir;
	if (!run->user)
		run->user = baked->user;
	if (!run->memory_mb)
		run->memory_mb = baked->memory_mb;
	if (!run->cpus)
		run->cpus = baked->cpus;
	if (!run->network_set && baked->network_set)
		run->network = baked->network;
	if (!run->nports && baked->nports) {
		if (!(run->ports = calloc(baked->nports, sizeof *run->ports)))
			return qerr_set(err, ENOMEM, "out of memory");
		memcpy(run->ports, baked->ports, baked->nports * sizeof *run->ports);
		run->nports = baked->nports;
		/* The bundle's author asked; only the run line opens a port to
		 * the host's other addresses. */
		for (size_t i = 0; i < run->nports; i++)
			snprintf(run->ports[i].ip, sizeof run->ports[i].ip, "127.0.0.1");
	}
	if (baked->nenv) {
		char **env = calloc(baked->nenv + run->nenv + 1, sizeof *env);
		if (!env)
			return qerr_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < baked->nenv; i++)
			if (!(env[i] = strdup(baked->env[i]))) {
				for (size_t k = 0; k < i; k++)
					free(env[k]);
				free(env);
				return qerr_set(err, ENOMEM, "out of memory");
			}
		memcpy(env + baked->nenv, run->env, run->nenv * sizeof *env);
		free(run->env);
		run->env = env;
		run->nenv += baked->nenv;
		run->nfile_env += baked->nenv;
	}
	return 0;
}
