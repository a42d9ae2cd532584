/* SPDX-License-Identifier: Apache-2.0 */
/*
 * container.c: NEWCONTAINER's payload: the container (volumes) and its
 * process (see proto.h and docs/protocol.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include "doc.h"

static const struct { const char *name; int resource; } rlimits[] = {
	{ "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU }, { "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS }, { "memlock", RLIMIT_MEMLOCK }, { "msgqueue", RLIMIT_MSGQUEUE },
	{ "nice", RLIMIT_NICE }, { "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME }, { "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK }, { "as", RLIMIT_AS },
};

int qp_rlimit_resource(const char *name)
{
	for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++)
		if (!strcmp(rlimits[i].name, name))
			return rlimits[i].resource;
	return -1;
}

const char *qp_rlimit_name(int resource)
{
	for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++)
		if (rlimits[i].resource == resource)
			return rlimits[i].name;
	return NULL;
}

/* "rlimits": [{"type":"nofile","soft":N,"hard":N}]; -1 for unlimited. */
static int read_rlimits(struct doc *d, int obj, struct qp_process *p)
{
	int arr, e0 = get_array(d, obj, "rlimits", QP_MAX_RLIMITS, sizeof *p->rlimits, (void **)&p->rlimits, &arr);
	if (e0 || !p->rlimits)
		return e0;
	uint32_t k;
	int it;
	JSON_EACH(&d->j, arr, it, k) {
		struct qp_rlimit *r = &p->rlimits[k];
		int64_t soft, hard;
		char name[16];
		p->nrlimits = k + 1;
		if (json_str(&d->j, json_get(&d->j, it, "type"), name, sizeof name) < 0 ||
		    (r->resource = qp_rlimit_resource(name)) < 0 ||
		    json_int(&d->j, json_get(&d->j, it, "soft"), &soft) < 0 ||
		    json_int(&d->j, json_get(&d->j, it, "hard"), &hard) < 0 || soft < -1 || hard < -1)
			return qerr_set(d->err, EINVAL, "rlimits[%u] needs a known type and soft and hard limits", k);
		r->soft = soft < 0 ? UINT64_MAX : (uint64_t)soft;
		r->hard = hard < 0 ? UINT64_MAX : (uint64_t)hard;
		if (r->soft > r->hard)
			return qerr_set(d->err, EINVAL, "rlimits[%u]: the soft limit is above the hard one", k);
	}
	return 0;
}

/* "args": ["a", ...], 1..QP_MAX_ARGS strings. */
static int read_args(struct doc *d, int obj, char ***out)
{
	int e = get_strv(d, obj, "args", QP_MAX_ARGS, out);
	if (!e && (!*out || !**out)) {
		free_vec(*out);
		*out = NULL;
		e = qerr_set(d->err, EINVAL, "\"args\" must be an array of 1..%u strings", QP_MAX_ARGS);
	}
	return e;
}

/* "envs": [{"env":"K","value":"V"}, ...] into "K=V" strings. */
static int read_env(struct doc *d, int obj, char ***out)
{
	int arr = json_get(&d->j, obj, "envs");
	*out = NULL;
	if (arr < 0)
		return 0;
	if (json_type(&d->j, arr) != JSON_ARRAY || d->j.t[arr].size > QP_MAX_ENV)
		return qerr_set(d->err, EINVAL, "\"envs\" must be an array of at most %u entries", QP_MAX_ENV);
	char **v = calloc(d->j.t[arr].size + 1, sizeof *v);
	if (!v)
		return qerr_set(d->err, ENOMEM, "out of memory");
	uint32_t k;
	int it;
	JSON_EACH(&d->j, arr, it, k) {
		char *name = json_strdup(&d->j, json_get(&d->j, it, "env"));
		char *val = json_strdup(&d->j, json_get(&d->j, it, "value"));
		if (name && val && *name && !strchr(name, '=') &&
		    (v[k] = malloc(strlen(name) + strlen(val) + 2)))
			strcat(strcat(strcpy(v[k], name), "="), val);
		free(name);
		free(val);
		if (!v[k]) {
			free_vec(v);
			return qerr_set(d->err, EINVAL, "envs[%u] needs a name without '=' and a value", k);
		}
	}
	*out = v;
	return 0;
}

static int read_process(struct doc *d, int obj, struct qp_process *p)
{
	uint64_t v;
	int e;
	memset(p, 0, sizeof *p);
	if (json_type(&d->j, obj) != JSON_OBJECT)
		return qerr_set(d->err, EINVAL, "\"process\" must be an object");
	if ((e = get_str(d, obj, "id", &p->id)) || (p->id && !qp_id_ok(p->id) &&
						      (e = qerr_set(d->err, EINVAL, "\"id\" is not a process id"))) ||
	    (e = read_args(d, obj, &p->args)) ||
	    (e = read_env(d, obj, &p->env)) || (e = get_str(d, obj, "workdir", &p->workdir)) ||
	    (e = get_str(d, obj, "user", &p->user)) || (e = get_bool(d, obj, "terminal", &p->terminal)) ||
	    (e = get_bool(d, obj, "stdinOpen", &p->stdin_open)) ||
	    (e = get_u64(d, obj, "stdio", SEQ_MAX, &p->stdio_seq)) ||
	    (e = get_u64(d, obj, "stderr", SEQ_MAX, &p->stderr_seq)))
		return e;
	if ((e = get_u64(d, obj, "rows", UINT16_MAX, &v)))
		return e;
	p->rows = (uint16_t)v;
	if ((e = get_u64(d, obj, "columns", UINT16_MAX, &v)))
		return e;
	p->cols = (uint16_t)v;
	p->umask = -1;
	if (json_get(&d->j, obj, "umask") >= 0) {
		if ((e = get_u64(d, obj, "umask", 0777, &v)))
			return e;
		p->umask = (int)v;
	}
	if ((e = get_strv(d, obj, "additionalGroups", QP_MAX_GROUPS, &p->groups)) || (e = read_rlimits(d, obj, p)))
		return e;
	for (char **g = p->groups; g && *g; g++)
		if (!word_ok(*g, NAME_CHARS))
			return qerr_set(d->err, EINVAL, "additionalGroups: \"%s\" is not a group name or id", *g);
	if (p->workdir && !abs_path_ok(p->workdir))
		return qerr_set(d->err, EINVAL, "workdir \"%s\" is not an absolute path without ..", p->workdir);
	if (p->stdio_seq == QP_SEQ_CREDIT || (!p->terminal && (p->stderr_seq == QP_SEQ_CREDIT ||
							      p->stderr_seq == p->stdio_seq)))
		return qerr_set(d->err, EINVAL, "stream numbers must be distinct and not 0");
	return 0;
}

static int read_mounts(struct doc *d, int obj, struct qp_container *c)
{
	int arr, e0 = get_array(d, obj, "fsmap", QP_MAX_MOUNTS, sizeof *c->mounts, (void **)&c->mounts, &arr);
	if (e0 || !c->mounts)
		return e0;
	uint32_t k;
	int it, e;
	JSON_EACH(&d->j, arr, it, k) {
		struct qp_mount *m = &c->mounts[k];
		c->nmounts = k + 1;
		if ((e = get_str(d, it, "source", &m->source)) || (e = get_str(d, it, "path", &m->path)) ||
		    (e = get_bool(d, it, "readOnly", &m->read_only)) || (e = get_str(d, it, "file", &m->file)))
			return e;
		if (!m->source || !*m->source || strlen(m->source) > 31 || !m->path || !abs_path_ok(m->path))
			return qerr_set(d->err, EINVAL, "fsmap[%u] needs a tag (1..31 chars) and an absolute path", k);
		if (m->file && (!*m->file || strchr(m->file, '/') || !strcmp(m->file, ".") || !strcmp(m->file, "..")))
			return qerr_set(d->err, EINVAL, "fsmap[%u]: \"file\" must be one name in the share", k);
	}
	return 0;
}

/* "tmpfs": [{"path":"/tmp","options":"size=64m,noexec"}]. */
static int read_tmpfs(struct doc *d, int obj, struct qp_container *c)
{
	int arr, e0 = get_array(d, obj, "tmpfs", QP_MAX_TMPFS, sizeof *c->tmpfs, (void **)&c->tmpfs, &arr);
	if (e0 || !c->tmpfs)
		return e0;
	uint32_t k;
	int it, e;
	JSON_EACH(&d->j, arr, it, k) {
		struct qp_tmpfs *t = &c->tmpfs[k];
		c->ntmpfs = k + 1;
		if ((e = get_str(d, it, "path", &t->path)) || (e = get_str(d, it, "options", &t->options)))
			return e;
		if (!t->path || !abs_path_ok(t->path) || !strcmp(t->path, "/"))
			return qerr_set(d->err, EINVAL, "tmpfs[%u] needs an absolute path other than /", k);
		if (t->options && !word_ok(t->options, "=,-._"))
			return qerr_set(d->err, EINVAL, "tmpfs[%u]: bad options", k);
	}
	return 0;
}

int qp_container_read(const uint8_t *buf, size_t n, struct qp_container *c, struct qerr *err)
{
	struct doc d;
	memset(c, 0, sizeof *c);
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = get_str(&d, 0, "id", &c->id)) && !(e = read_mounts(&d, 0, c)) && !(e = read_tmpfs(&d, 0, c)) &&
	    !(e = get_u64(&d, 0, "shmSize", UINT64_MAX >> 1, &c->shm_size)) &&
	    !(e = get_bool(&d, 0, "readOnly", &c->read_only)) &&
	    !(e = get_bool(&d, 0, "pidNamespace", &c->pid_namespace)))
		e = read_process(&d, json_get(&d.j, 0, "process"), &c->proc);
	doc_close(&d);
	if (e)
		qp_container_free(c);
	return e;
}

void qp_process_free(struct qp_process *p)
{
	free(p->id);
	free_vec(p->args);
	free_vec(p->env);
	free(p->workdir);
	free(p->user);
	free_vec(p->groups);
	free(p->rlimits);
	memset(p, 0, sizeof *p);
}

void qp_container_free(struct qp_container *c)
{
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].source);
		free(c->mounts[i].path);
		free(c->mounts[i].file);
	}
	free(c->mounts);
	for (size_t i = 0; i < c->ntmpfs; i++) {
		free(c->tmpfs[i].path);
		free(c->tmpfs[i].options);
	}
	free(c->tmpfs);
	free(c->id);
	qp_process_free(&c->proc);
	memset(c, 0, sizeof *c);
}

static void write_env(struct jw *w, char **env)
{
	jw_key(w, "envs");
	jw_arr(w);
	for (char **e = env; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		jw_obj(w);
		jw_key(w, "env");
		jw_strn(w, *e, (size_t)(eq - *e));
		jw_kv_str(w, "value", eq + 1);
		jw_end(w);
	}
	jw_end(w);
}

void qp_process_write(struct jw *w, const struct qp_process *p)
{
	jw_obj(w);
	jw_kv_str(w, "id", p->id ? p->id : "init");
	jw_kv_strv(w, "args", p->args);
	write_env(w, p->env);
	if (p->workdir && *p->workdir) /* none: the guest's "/" (an exec: the container's, host-side) */
		jw_kv_str(w, "workdir", p->workdir);
	jw_kv_str(w, "user", p->user ? p->user : "");
	jw_kv_bool(w, "terminal", p->terminal);
	jw_kv_bool(w, "stdinOpen", p->stdin_open);
	jw_kv_int(w, "stdio", (int64_t)p->stdio_seq);
	jw_kv_int(w, "stderr", (int64_t)p->stderr_seq);
	jw_kv_int(w, "rows", p->rows);
	jw_kv_int(w, "columns", p->cols);
	if (p->umask >= 0)
		jw_kv_int(w, "umask", p->umask);
	if (p->groups)
		jw_kv_strv(w, "additionalGroups", p->groups);
	jw_key(w, "rlimits");
	jw_arr(w);
	for (size_t i = 0; i < p->nrlimits; i++) {
		const struct qp_rlimit *r = &p->rlimits[i];
		jw_obj(w);
		jw_kv_str(w, "type", qp_rlimit_name(r->resource));
		jw_kv_int(w, "soft", r->soft == UINT64_MAX ? -1 : (int64_t)r->soft);
		jw_kv_int(w, "hard", r->hard == UINT64_MAX ? -1 : (int64_t)r->hard);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

int qp_container_write(struct jw *w, const struct qp_container *c)
{
	jw_obj(w);
	jw_kv_str(w, "id", c->id ? c->id : "");
	jw_key(w, "fsmap");
	jw_arr(w);
	for (size_t i = 0; i < c->nmounts; i++) {
		jw_obj(w);
		jw_kv_str(w, "source", c->mounts[i].source);
		jw_kv_str(w, "path", c->mounts[i].path);
		jw_kv_bool(w, "readOnly", c->mounts[i].read_only);
		if (c->mounts[i].file)
			jw_kv_str(w, "file", c->mounts[i].file);
		jw_end(w);
	}
	jw_end(w);
	jw_key(w, "tmpfs");
	jw_arr(w);
	for (size_t i = 0; i < c->ntmpfs; i++) {
		jw_obj(w);
		jw_kv_str(w, "path", c->tmpfs[i].path);
		if (c->tmpfs[i].options)
			jw_kv_str(w, "options", c->tmpfs[i].options);
		jw_end(w);
	}
	jw_end(w);
	if (c->shm_size)
		jw_kv_int(w, "shmSize", (int64_t)c->shm_size);
	jw_kv_bool(w, "readOnly", c->read_only);
	if (c->pid_namespace)
		jw_kv_bool(w, "pidNamespace", true);
	jw_key(w, "process");
	qp_process_write(w, &c->proc);
	jw_end(w);
	return w->err;
}

int qp_exec_write(struct jw *w, const struct qp_process *p)
{
	jw_obj(w);
	jw_kv_str(w, "container", "qpod");
	jw_key(w, "process");
	qp_process_write(w, p);
	jw_end(w);
	return w->err;
}

int qp_exec_read(const uint8_t *buf, size_t n, struct qp_process *p, struct qerr *err)
{
	struct doc d;
	memset(p, 0, sizeof *p);
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	e = read_process(&d, json_get(&d.j, 0, "process"), p);
	if (!e && !p->id)
		e = qerr_set(err, EINVAL, "EXECCMD: the process needs an \"id\"");
	doc_close(&d);
	if (e)
		qp_process_free(p);
	return e;
}
