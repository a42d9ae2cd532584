/* SPDX-License-Identifier: Apache-2.0 */
/*
 * optval.c: the values of run's flags, checked one at a time with docker's
 * meaning: sizes, volumes, environment (and --env-file), ports, hosts,
 * users, limits. Each bad value gets one line on stderr naming the flag
 * and the value (the caller exits 125); nothing here boots anything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"
#include "vec.h"

int opt_bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "qpod: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return -EINVAL;
}

/* A size in bytes: a number with an optional b, k, m or g. */
int opt_parse_bytes(const char *s, double *bytes)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	double mul = 1;
	switch (*end | 0x20) {
	case 'k': mul = 1024.0; end++; break;
	case 'm': mul = 1024.0 * 1024; end++; break;
	case 'g': mul = 1024.0 * 1024 * 1024; end++; break;
	case 'b': end++; break;
	case ' ': break; /* '\0' | 0x20 */
	default: return -EINVAL;
	}
	if ((*end | 0x20) == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*bytes = v * mul;
	return 0;
}

int opt_parse_size_mb(const char *s, long *mb)
{
	double bytes;
	if (opt_parse_bytes(s, &bytes) < 0 || bytes < OPT_MEMORY_MIN_MB * 1048576.0 ||
	    bytes > OPT_MEMORY_MAX_MB * 1048576.0)
		return -ERANGE;
	*mb = (long)(bytes / (1024 * 1024));
	return 0;
}

/* -v HOST:GUEST[:ro|:rw]: an existing host directory, or one file (shared
 * through its directory, bound alone into place in the guest). */
int opt_add_volume(struct opts *o, const char *spec)
{
	char *copy = strdup(spec), *host = copy, *guest, *mode, *real = NULL;
	struct stat st;
	int e = -EINVAL;
	if (!copy || !(guest = strchr(copy, ':'))) {
		opt_bad("--volume %s: expected HOST:GUEST[:ro]", spec);
		goto out;
	}
	*guest++ = '\0';
	if ((mode = strchr(guest, ':')))
		*mode++ = '\0';
	if (mode && strcmp(mode, "ro") && strcmp(mode, "rw")) {
		opt_bad("--volume %s: mode must be ro or rw", spec);
		goto out;
	}
	if (guest[0] != '/' || !strcmp(guest, "/") || strstr(guest, "/../") ||
	    (strlen(guest) >= 3 && !strcmp(guest + strlen(guest) - 3, "/.."))) {
		opt_bad("--volume %s: the guest path must be absolute, not /, without ..", spec);
		goto out;
	}
	if (!(real = realpath(host, NULL)) || stat(real, &st) < 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		opt_bad("--volume %s: the host path must be an existing directory or file", spec);
		goto out;
	}
	if (o->nvols >= QP_MAX_MOUNTS) {
		opt_bad("--volume %s: too many volumes", spec);
		goto out;
	}
	char *file = NULL, *path = strdup(real);
	if (S_ISREG(st.st_mode)) {
		char *slash = strrchr(real, '/');
		file = strdup(slash + 1);
		*(slash == real ? slash + 1 : slash) = '\0';
	}
	if (!path || vec_grow(&o->vols, o->nvols, sizeof *o->vols) < 0) {
		free(file);
		free(path);
		e = -ENOMEM;
		goto out;
	}
	o->vols[o->nvols++] = (struct volume){ .host = real, .guest = strdup(guest), .file = file, .path = path,
					       .read_only = mode && !strcmp(mode, "ro") };
	real = NULL;
	e = 0;
out:
	free(real);
	free(copy);
	return e;
}

bool opt_env_ok(const char *kv)
{
	size_t n = strcspn(kv, "= \t");
	return n && kv[n] != ' ' && kv[n] != '\t';
}

/* -e K=V, or -e K: the host's value, or (when the host has none) K
 * without '=', which erases K from the image's and qpod's defaults as
 * docker does (HOSTNAME included). */
int opt_add_env(struct opts *o, const char *kv)
{
	char *entry = NULL;
	if (!opt_env_ok(kv))
		return opt_bad("--env %s: needs a name without spaces", kv);
	const char *v = strchr(kv, '=') ? NULL : getenv(kv);
	if (v ? asprintf(&entry, "%s=%s", kv, v) < 0 : !(entry = strdup(kv)))
		return -ENOMEM;
	if (vec_grow(&o->env, o->nenv, sizeof *o->env) < 0) {
		free(entry);
		return -ENOMEM;
	}
	o->env[o->nenv++] = entry;
	return 0;
}

/* --env-file FILE, docker's format: one K=V or K per line; blank lines and
 * lines starting with '#' are skipped, leading blanks dropped, the value
 * taken as written (no quotes, no expansion). */
int opt_env_file(struct opts *o, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "qpod: --env-file %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int e = 0, no = 0;
	size_t first = o->nenv; /* the file's entries go before every -e */
	while (!e && (n = getline(&line, &cap, f)) >= 0) {
		no++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *kv = line + strspn(line, " \t");
		if (!*kv || *kv == '#')
			continue;
		if (!opt_env_ok(kv)) {
			fprintf(stderr, "qpod: --env-file %s:%d: \"%.60s\" is not NAME=VALUE\n", path, no, kv);
			e = -EINVAL;
		} else {
			e = opt_add_env(o, kv);
		}
	}
	free(line);
	fclose(f);
	/* Move this file's entries (first..nenv) to the end of the earlier files'. */
	size_t nf = o->nenv - first;
	if (!e && nf && first > o->nfile_env) {
		char **tmp = malloc(nf * sizeof *tmp);
		if (!tmp)
			return -ENOMEM;
		memcpy(tmp, o->env + first, nf * sizeof *tmp);
		memmove(o->env + o->nfile_env + nf, o->env + o->nfile_env, (first - o->nfile_env) * sizeof *tmp);
		memcpy(o->env + o->nfile_env, tmp, nf * sizeof *tmp);
		free(tmp);
	}
	o->nfile_env += nf;
	return e;
}

static int opt_say(int e, const struct qerr *err)
{
	if (e)
		fprintf(stderr, "qpod: %s (see --help)\n", err->msg);
	return e;
}

/* -p, one forward per port of a range (each with a spec of its own, so a
 * bundle's launch config keeps them one by one). */
int opt_add_publish(struct opts *o, const char *spec)
{
	struct qerr err;
	struct publish p;
	if (opt_say(net_parse_publish(spec, &p, &err), &err))
		return -EINVAL;
	for (uint16_t k = 0; k < p.count; k++) {
		if (o->nports >= 65536 || vec_grow(&o->ports, o->nports, sizeof *o->ports) < 0)
			return -ENOMEM;
		struct publish *q = &o->ports[o->nports++];
		*q = p;
		q->host = (uint16_t)(p.host + k);
		q->guest = (uint16_t)(p.guest + k);
		q->count = 1;
		if (p.count > 1) {
			char *s;
			if (asprintf(&s, "%s%s%u:%u/%s", p.ip, *p.ip ? ":" : "", q->host, q->guest, p.udp ? "udp" : "tcp") < 0)
				return -ENOMEM;
			q->spec = s;
			q->spec_owned = true;
		}
	}
	return 0;
}

int opt_add_host(struct opts *o, const char *spec)
{
	struct qerr err;
	if (o->nhosts >= QP_MAX_HOSTS - 2)
		return opt_bad("--add-host %s: too many hosts", spec);
	if (vec_grow(&o->hosts, o->nhosts, sizeof *o->hosts) < 0)
		return -ENOMEM;
	struct qp_host *h = &o->hosts[o->nhosts++];
	int e = opt_say(net_parse_add_host(spec, h, &err), &err);
	if (!e && !strcmp(h->ip, NET_HOST)) /* docker's host-gateway: the host's loopback, asked for */
		o->host_loopback = true;
	return e;
}

int opt_add_dns(struct opts *o, const char *ip)
{
	struct qerr err;
	if (o->ndns >= QP_MAX_DNS)
		return opt_bad("--dns %s: too many nameservers", ip);
	if (opt_say(net_parse_dns(ip, &err), &err) || vec_grow(&o->dns, o->ndns, sizeof *o->dns) < 0)
		return -EINVAL;
	o->dns[o->ndns++] = (char *)ip;
	return 0;
}

/* A hostname as sethostname and /etc/hosts take it (RFC 1123 labels). */
int opt_set_hostname(struct opts *o, const char *name)
{
	size_t n = strlen(name);
	if (!n || n > 63 || name[0] == '-' || name[0] == '.' || name[n - 1] == '-' || name[n - 1] == '.' ||
	    name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")])
		return opt_bad("--hostname %s: letters, digits, '-' and '.', at most 63", name);
	o->hostname = (char *)name;
	return 0;
}

int opt_number(const char *flag, const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "qpod: %s %s: expected a number from %g to %g (see --help)\n", flag, s, min, max);
		return -EINVAL;
	}
	return 0;
}

int opt_one_of(const char *flag, const char *v, const char *a, const char *b, const char *c)
{
	if (!strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c)))
		return 0;
	fprintf(stderr, "qpod: %s %s: expected %s, %s%s%s (see --help)\n", flag, v, a, b, c ? " or " : "",
		c ? c : "");
	return -EINVAL;
}

/* --tmpfs PATH[:OPTIONS], options as mount(8) takes them for tmpfs. */
int opt_add_tmpfs(struct opts *o, const char *spec)
{
	char *copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	char *opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	if (copy[0] != '/' || !strcmp(copy, "/") || strstr(copy, "/..") ||
	    (opts && opts[strspn(opts, "abcdefghijklmnopqrstuvwxyz0123456789=,_-.")])) {
		free(copy);
		return opt_bad("--tmpfs %s: expected an absolute PATH[:OPTIONS]", spec);
	}
	if (o->ntmpfs >= QP_MAX_TMPFS || vec_grow(&o->tmpfs, o->ntmpfs, sizeof *o->tmpfs) < 0) {
		free(copy);
		return opt_bad("--tmpfs %s: too many", spec);
	}
	o->tmpfs[o->ntmpfs++] = (struct qp_tmpfs){ .path = copy, .options = opts };
	return 0;
}

static int limit(const char *s, uint64_t *out)
{
	char *end;
	if (!strcmp(s, "-1") || !strcmp(s, "unlimited")) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

/* --ulimit NAME=SOFT[:HARD], docker's names; HARD defaults to SOFT. */
int opt_add_ulimit(struct opts *o, const char *spec)
{
	char name[32];
	size_t n = strcspn(spec, "=");
	struct qp_rlimit r;
	if (!spec[n] || n >= sizeof name)
		return opt_bad("--ulimit %s: expected NAME=SOFT[:HARD]", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	char soft[32], *hard;
	snprintf(soft, sizeof soft, "%s", spec + n + 1);
	if ((hard = strchr(soft, ':')))
		*hard++ = '\0';
	if ((r.resource = qp_rlimit_resource(name)) < 0)
		return opt_bad("--ulimit %s: unknown limit name", spec);
	if (limit(soft, &r.soft) < 0 || limit(hard ? hard : soft, &r.hard) < 0 || r.soft > r.hard)
		return opt_bad("--ulimit %s: expected numbers, SOFT not above HARD", spec);
	for (size_t i = 0; i < o->nrlimits; i++)
		if (o->rlimits[i].resource == r.resource) {
			o->rlimits[i] = r; /* the last one wins */
			return 0;
		}
	if (o->nrlimits >= QP_MAX_RLIMITS || vec_grow(&o->rlimits, o->nrlimits, sizeof *o->rlimits) < 0)
		return -ENOMEM;
	o->rlimits[o->nrlimits++] = r;
	return 0;
}

/* A number in user or group position must be a valid id (0..2^31-1). */
static bool id_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	if (s[0] != '-' && (s[0] < '0' || s[0] > '9'))
		return true; /* a name: the guest looks it up */
	unsigned long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || (v = v * 10 + (unsigned)(s[i] - '0')) > 2147483647ull)
			return false;
	}
	return true;
}

/* -u USER[:GROUP]: ids out of range are refused before boot, as docker does. */
int opt_set_user(struct opts *o, const char *spec)
{
	size_t n = strcspn(spec, ":");
	if (!id_ok(spec, n) || (spec[n] && !id_ok(spec + n + 1, strlen(spec + n + 1))))
		return opt_bad("--user %s: uids and gids must be from 0 to 2147483647", spec);
	o->user = (char *)spec;
	return 0;
}

/* --group-add GROUP: a name or a gid, resolved in the guest. */
int opt_add_group(struct opts *o, const char *g)
{
	if (!id_ok(g, strlen(g)) || g[strspn(g, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")])
		return opt_bad("--group-add %s: expected a group name or a gid from 0 to 2147483647", g);
	if (o->ngroups >= QP_MAX_GROUPS || vec_grow(&o->groups, o->ngroups, sizeof *o->groups) < 0)
		return opt_bad("--group-add %s: too many groups", g);
	o->groups[o->ngroups++] = (char *)g;
	return 0;
}

/* true/false, as docker's boolean flags take them (--rm=false). */
int opt_bool(const char *flag, const char *v, bool *out)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	fprintf(stderr, "qpod: --%s=%s: expected true or false (see --help)\n", flag, v);
	return -EINVAL;
}

/* --name: docker's rule, [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63. */
int opt_set_name(struct opts *o, const char *name)
{
	size_t n = strlen(name);
	if (!n || n > 63 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]) ||
	    name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")])
		return opt_bad("--name %s: letters, digits, '_', '.' and '-', starting with a letter or digit", name);
	o->name = (char *)name;
	return 0;
}

/* --restart no|on-failure[:N]|always|unless-stopped (restart.c reads it). */
int opt_set_restart(struct opts *o, const char *p)
{
	struct restart r;
	if (restart_parse(p, &r) < 0)
		return opt_bad("--restart %s: expected no, on-failure[:N], always or unless-stopped", p);
	o->restart = (char *)p;
	return 0;
}

void opts_free(struct opts *o)
{
	for (size_t i = 0; i < o->nenv; i++)
		free(o->env[i]);
	for (size_t i = 0; i < o->nvols; i++) {
		free(o->vols[i].host);
		free(o->vols[i].guest);
		free(o->vols[i].file);
		free(o->vols[i].path);
	}
	for (size_t i = 0; i < o->nhosts; i++) {
		free(o->hosts[i].name);
		free(o->hosts[i].ip);
	}
	for (size_t i = 0; i < o->ntmpfs; i++)
		free(o->tmpfs[i].path); /* options point into it */
	free(o->env);
	free(o->vols);
	for (size_t i = 0; i < o->nports; i++)
		if (o->ports[i].spec_owned)
			free((char *)o->ports[i].spec);
	free(o->ports);
	free(o->dns);
	free(o->hosts);
	free(o->tmpfs);
	free(o->rlimits);
	free(o->groups);
	free(o->labels);
	free(o->health.test);
	memset(o, 0, sizeof *o);
}

int opt_creds(const char *v, char **creds)
{
	if (strchr(v, ':'))
		return opt_bad("%s", "--creds USER:PASSWORD: a password in the command line is readable by every "
			       "local user (/proc/PID/cmdline); give --creds USER --password-stdin, or an auth.json "
			       "(--authfile)");
	*creds = (char *)v;
	return 0;
}

int opt_password(char **creds, bool from_stdin, bool interactive)
{
	static char pair[4400];  /* USER:PASSWORD: *creds points here after */
	struct qerr err;
	if (!*creds && !from_stdin)
		return 0;
	if (!*creds || !from_stdin)
		return opt_bad("%s", *creds ? "--creds USER needs --password-stdin (the password on stdin's first line)"
					    : "--password-stdin needs --creds USER");
	if (interactive)
		return opt_bad("%s", "--password-stdin and -i both want stdin");
	if (pack_creds(*creds, 0, pair, sizeof pair, &err) < 0)
		return opt_bad("%s", err.msg);
	*creds = pair;
	return 0;
}
