/*
 * msg.c: JSON payloads of the control messages (see proto.h). Writers and
 * readers live together so both sides agree on every key. Readers bound
 * every count and check every field; unknown keys are ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define SEQ_MAX ((1ull << 53) - 1) /* JSON numbers stay exact below 2^53 */

struct doc {
	struct json j;
	struct qerr *err;
};

static int doc_open(struct doc *d, const uint8_t *buf, size_t n, struct qerr *err)
{
	d->err = err;
	int r = json_parse_alloc(&d->j, (const char *)buf, n);
	if (r < 0)
		return qerr_set(err, EINVAL, "payload is not valid JSON");
	if (d->j.t[0].type != JSON_OBJECT) {
		json_free(&d->j);
		return qerr_set(err, EINVAL, "payload is not a JSON object");
	}
	return 0;
}

/* Optional string field: *out stays NULL when absent. */
static int get_str(struct doc *d, int obj, const char *key, char **out)
{
	int v = json_get(&d->j, obj, key);
	*out = NULL;
	if (v < 0 || d->j.t[v].type == JSON_NULL)
		return 0;
	if (!(*out = json_strdup(&d->j, v)))
		return qerr_set(d->err, EINVAL, "\"%s\" is not a string without NUL", key);
	return 0;
}

static int get_u64(struct doc *d, int obj, const char *key, uint64_t max, uint64_t *out)
{
	int64_t v = 0;
	int idx = json_get(&d->j, obj, key);
	*out = 0;
	if (idx < 0)
		return 0;
	if (json_int(&d->j, idx, &v) < 0 || v < 0 || (uint64_t)v > max)
		return qerr_set(d->err, EINVAL, "\"%s\" is not an integer in 0..%llu", key,
				(unsigned long long)max);
	*out = (uint64_t)v;
	return 0;
}

static int get_bool(struct doc *d, int obj, const char *key, bool *out)
{
	int idx = json_get(&d->j, obj, key);
	*out = false;
	if (idx >= 0 && json_bool(&d->j, idx, out) < 0)
		return qerr_set(d->err, EINVAL, "\"%s\" is not a boolean", key);
	return 0;
}

static void free_vec(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static int abs_path_ok(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *c = p; (c = strstr(c, "/..")); c += 3)
		if (c[3] == '/' || c[3] == '\0')
			return 0;
	return 1;
}

/* "args": ["a", ...], 1..QP_MAX_ARGS strings. */
static int read_args(struct doc *d, int obj, char ***out)
{
	int arr = json_get(&d->j, obj, "args");
	if (json_type(&d->j, arr) != JSON_ARRAY || d->j.t[arr].size == 0 ||
	    d->j.t[arr].size > QP_MAX_ARGS)
		return qerr_set(d->err, EINVAL, "\"args\" must be an array of 1..%u strings", QP_MAX_ARGS);
	char **v = calloc(d->j.t[arr].size + 1, sizeof *v);
	if (!v)
		return qerr_set(d->err, ENOMEM, "out of memory");
	uint32_t k;
	int it;
	JSON_EACH(&d->j, arr, it, k)
		if (!(v[k] = json_strdup(&d->j, it))) {
			free_vec(v);
			return qerr_set(d->err, EINVAL, "args[%u] is not a string without NUL", k);
		}
	*out = v;
	return 0;
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
	if ((e = get_str(d, obj, "id", &p->id)) || (e = read_args(d, obj, &p->args)) ||
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
	if (p->workdir && !abs_path_ok(p->workdir))
		return qerr_set(d->err, EINVAL, "workdir \"%s\" is not an absolute path without ..", p->workdir);
	if (p->stdio_seq == QP_SEQ_CREDIT || (!p->terminal && (p->stderr_seq == QP_SEQ_CREDIT ||
							      p->stderr_seq == p->stdio_seq)))
		return qerr_set(d->err, EINVAL, "stream numbers must be distinct and not 0");
	return 0;
}

static int read_mounts(struct doc *d, int obj, struct qp_container *c)
{
	int arr = json_get(&d->j, obj, "fsmap");
	if (arr < 0)
		return 0;
	if (json_type(&d->j, arr) != JSON_ARRAY || d->j.t[arr].size > QP_MAX_MOUNTS)
		return qerr_set(d->err, EINVAL, "\"fsmap\" must be an array of at most %u volumes", QP_MAX_MOUNTS);
	if (!(c->mounts = calloc(d->j.t[arr].size + 1, sizeof *c->mounts)))
		return qerr_set(d->err, ENOMEM, "out of memory");
	uint32_t k;
	int it, e;
	JSON_EACH(&d->j, arr, it, k) {
		struct qp_mount *m = &c->mounts[k];
		c->nmounts = k + 1;
		if ((e = get_str(d, it, "source", &m->source)) || (e = get_str(d, it, "path", &m->path)) ||
		    (e = get_bool(d, it, "readOnly", &m->read_only)))
			return e;
		if (!m->source || !*m->source || strlen(m->source) > 31 || !m->path || !abs_path_ok(m->path))
			return qerr_set(d->err, EINVAL, "fsmap[%u] needs a tag (1..31 chars) and an absolute path", k);
	}
	return 0;
}

int qp_pod_read(const uint8_t *buf, size_t n, struct qp_pod *p, struct qerr *err)
{
	struct doc d;
	memset(p, 0, sizeof *p);
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = get_str(&d, 0, "hostname", &p->hostname)))
		e = get_str(&d, 0, "shareDir", &p->share);
	if (!e && (!p->share || !*p->share || strlen(p->share) > 31))
		e = qerr_set(err, EINVAL, "\"shareDir\" must name the root share's 9p tag");
	json_free(&d.j);
	if (e)
		qp_pod_free(p);
	return e;
}

void qp_pod_free(struct qp_pod *p)
{
	free(p->hostname);
	free(p->share);
	memset(p, 0, sizeof *p);
}

int qp_container_read(const uint8_t *buf, size_t n, struct qp_container *c, struct qerr *err)
{
	struct doc d;
	memset(c, 0, sizeof *c);
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = get_str(&d, 0, "id", &c->id)) && !(e = read_mounts(&d, 0, c)))
		e = read_process(&d, json_get(&d.j, 0, "process"), &c->proc);
	json_free(&d.j);
	if (e)
		qp_container_free(c);
	return e;
}

void qp_container_free(struct qp_container *c)
{
	struct qp_process *p = &c->proc;
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].source);
		free(c->mounts[i].path);
	}
	free(c->mounts);
	free(c->id);
	free(p->id);
	free_vec(p->args);
	free_vec(p->env);
	free(p->workdir);
	free(p->user);
	memset(c, 0, sizeof *c);
}

int qp_pod_write(struct jw *w, const struct qp_pod *p)
{
	jw_obj(w);
	jw_kv_str(w, "hostname", p->hostname ? p->hostname : "");
	jw_kv_str(w, "shareDir", p->share ? p->share : "");
	jw_end(w);
	return w->err;
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

static void write_process(struct jw *w, const struct qp_process *p)
{
	jw_obj(w);
	jw_kv_str(w, "id", p->id ? p->id : "init");
	jw_kv_strv(w, "args", p->args);
	write_env(w, p->env);
	jw_kv_str(w, "workdir", p->workdir && *p->workdir ? p->workdir : "/");
	jw_kv_str(w, "user", p->user ? p->user : "");
	jw_kv_bool(w, "terminal", p->terminal);
	jw_kv_bool(w, "stdinOpen", p->stdin_open);
	jw_kv_int(w, "stdio", (int64_t)p->stdio_seq);
	jw_kv_int(w, "stderr", (int64_t)p->stderr_seq);
	jw_kv_int(w, "rows", p->rows);
	jw_kv_int(w, "columns", p->cols);
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
		jw_end(w);
	}
	jw_end(w);
	jw_key(w, "process");
	write_process(w, &c->proc);
	jw_end(w);
	return w->err;
}

int qp_exit_write(struct jw *w, const char *container, const char *process, const struct qp_exit *e)
{
	jw_obj(w);
	jw_kv_str(w, "container", container);
	jw_kv_str(w, "process", process);
	jw_kv_str(w, "event", "finished");
	jw_kv_int(w, "status", e->status);
	jw_kv_int(w, "signal", e->signal);
	jw_kv_bool(w, "oom", e->oom);
	jw_kv_str(w, "error", e->error);
	jw_kv_int(w, "startedNs", (int64_t)e->started_ns);
	jw_kv_int(w, "exitedNs", (int64_t)e->exited_ns);
	jw_end(w);
	return w->err;
}

int qp_exit_read(const uint8_t *buf, size_t n, struct qp_exit *e, struct qerr *err)
{
	struct doc d;
	uint64_t status = 0, sig = 0;
	char *msg = NULL;
	memset(e, 0, sizeof *e);
	int r = doc_open(&d, buf, n, err);
	if (r)
		return r;
	if (!(r = get_u64(&d, 0, "status", 255, &status)) && !(r = get_u64(&d, 0, "signal", 64, &sig)) &&
	    !(r = get_bool(&d, 0, "oom", &e->oom)) && !(r = get_str(&d, 0, "error", &msg)) &&
	    !(r = get_u64(&d, 0, "startedNs", INT64_MAX, &e->started_ns)))
		r = get_u64(&d, 0, "exitedNs", INT64_MAX, &e->exited_ns);
	if (!r && json_get(&d.j, 0, "status") < 0)
		r = qerr_set(err, EINVAL, "exit event without \"status\"");
	e->status = (int)status;
	e->signal = (int)sig;
	if (msg) {
		/* Keep one printable line, whatever the guest sent. */
		size_t i = 0;
		for (; msg[i] && i < sizeof e->error - 1; i++)
			e->error[i] = (msg[i] < 0x20 || msg[i] == 0x7f) ? ' ' : msg[i];
		e->error[i] = '\0';
	}
	free(msg);
	json_free(&d.j);
	return r;
}

/* Messages about the one process: WINSIZE, SIGNALPROCESS. */
static void about_init(struct jw *w)
{
	jw_obj(w);
	jw_kv_str(w, "container", "qpod");
	jw_kv_str(w, "process", "init");
}

int qp_winsize_write(struct jw *w, uint16_t rows, uint16_t cols)
{
	about_init(w);
	jw_kv_int(w, "row", rows);
	jw_kv_int(w, "column", cols);
	jw_end(w);
	return w->err;
}

int qp_signal_write(struct jw *w, int sig)
{
	about_init(w);
	jw_kv_int(w, "signal", sig);
	jw_end(w);
	return w->err;
}

int qp_error_write(struct jw *w, const char *message)
{
	jw_obj(w);
	jw_kv_str(w, "message", message);
	jw_end(w);
	return w->err;
}

int qp_winsize_read(const uint8_t *buf, size_t n, uint16_t *rows, uint16_t *cols, struct qerr *err)
{
	struct doc d;
	uint64_t r = 0, c = 0;
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = get_u64(&d, 0, "row", UINT16_MAX, &r)))
		e = get_u64(&d, 0, "column", UINT16_MAX, &c);
	*rows = (uint16_t)r;
	*cols = (uint16_t)c;
	json_free(&d.j);
	return e;
}

int qp_signal_read(const uint8_t *buf, size_t n, int *sig, struct qerr *err)
{
	struct doc d;
	uint64_t s = 0;
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = get_u64(&d, 0, "signal", 64, &s)) && s == 0)
		e = qerr_set(err, EINVAL, "\"signal\" must be 1..64");
	*sig = (int)s;
	json_free(&d.j);
	return e;
}

int qp_closeoutput_write(struct jw *w, uint64_t seq)
{
	jw_obj(w);
	jw_kv_int(w, "seq", (int64_t)seq);
	jw_end(w);
	return w->err;
}

int qp_closeoutput_read(const uint8_t *buf, size_t n, uint64_t *seq, struct qerr *err)
{
	struct doc d;
	int e = doc_open(&d, buf, n, err);
	*seq = 0;
	if (e)
		return e;
	if (!(e = get_u64(&d, 0, "seq", SEQ_MAX, seq)) && *seq == QP_SEQ_CREDIT)
		e = qerr_set(err, EINVAL, "\"seq\" must name an output stream, not 0");
	json_free(&d.j);
	return e;
}

int qp_ready_read(const uint8_t *buf, size_t n, uint64_t *boottime_ns)
{
	struct doc d;
	*boottime_ns = 0;
	if (n == 0 || doc_open(&d, buf, n, NULL))
		return 0; /* hyperstart's READY is empty: nothing to learn */
	int e = get_u64(&d, 0, "boottimeNs", INT64_MAX, boottime_ns);
	json_free(&d.j);
	return e;
}

void qp_error_read(const uint8_t *buf, size_t n, char *out, size_t cap)
{
	struct doc d;
	out[0] = '\0';
	if (n == 0 || doc_open(&d, buf, n, NULL))
		return;
	char *msg = json_strdup(&d.j, json_get(&d.j, 0, "message"));
	if (msg)
		snprintf(out, cap, "%s", msg);
	free(msg);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	json_free(&d.j);
}
