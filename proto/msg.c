/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg.c: the small control payloads: the exit event, WINSIZE, SIGNALPROCESS,
 * ERROR and READY (pod.c and container.c have the two large ones). Writers
 * and readers live together so both sides agree on every key. Readers bound
 * every count and check every field; unknown keys are ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

/* "process": the id, "init" when absent. */
static int read_about(struct doc *d, char *process)
{
	char *id = NULL;
	int e = get_str(d, 0, "process", &id);
	if (!e && id && !qp_id_ok(id))
		e = qerr_set(d->err, EINVAL, "\"process\" is not a process id");
	if (!e)
		snprintf(process, QP_ID_MAX, "%s", id ? id : "init");
	free(id);
	return e;
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

int qp_started_write(struct jw *w, const char *container, const char *process)
{
	jw_obj(w);
	jw_kv_str(w, "container", container);
	jw_kv_str(w, "process", process);
	jw_kv_str(w, "event", "started");
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
	if (json_eq(&d.j, json_get(&d.j, 0, "event"), "started")) {
		r = read_about(&d, e->process);
		doc_close(&d);
		return r < 0 ? r : 1;
	}
	if (!(r = get_u64(&d, 0, "status", 255, &status)) && !(r = get_u64(&d, 0, "signal", 64, &sig)) &&
	    !(r = get_bool(&d, 0, "oom", &e->oom)) && !(r = get_str(&d, 0, "error", &msg)) &&
	    !(r = get_u64(&d, 0, "startedNs", INT64_MAX, &e->started_ns)))
		r = get_u64(&d, 0, "exitedNs", INT64_MAX, &e->exited_ns);
	if (!r && json_get(&d.j, 0, "status") < 0)
		r = qerr_set(err, EINVAL, "exit event without \"status\"");
	if (!r)
		r = read_about(&d, e->process);
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
	doc_close(&d);
	return r;
}

/* Messages about the one process: WINSIZE, SIGNALPROCESS. */
static void about(struct jw *w, const char *process)
{
	jw_obj(w);
	jw_kv_str(w, "container", "qpod");
	jw_kv_str(w, "process", process && *process ? process : "init");
}

int qp_winsize_write(struct jw *w, const char *process, uint16_t rows, uint16_t cols)
{
	about(w, process);
	jw_kv_int(w, "row", rows);
	jw_kv_int(w, "column", cols);
	jw_end(w);
	return w->err;
}

int qp_signal_write(struct jw *w, const char *process, int sig)
{
	about(w, process);
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

int qp_winsize_read(const uint8_t *buf, size_t n, char *process, uint16_t *rows, uint16_t *cols, struct qerr *err)
{
	struct doc d;
	uint64_t r = 0, c = 0;
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = read_about(&d, process)) && !(e = get_u64(&d, 0, "row", UINT16_MAX, &r)))
		e = get_u64(&d, 0, "column", UINT16_MAX, &c);
	*rows = (uint16_t)r;
	*cols = (uint16_t)c;
	doc_close(&d);
	return e;
}

int qp_signal_read(const uint8_t *buf, size_t n, char *process, int *sig, struct qerr *err)
{
	struct doc d;
	uint64_t s = 0;
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = read_about(&d, process)) && !(e = get_u64(&d, 0, "signal", 64, &s)) && s == 0)
		e = qerr_set(err, EINVAL, "\"signal\" must be 1..64");
	*sig = (int)s;
	doc_close(&d);
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
	doc_close(&d);
	return e;
}

int qp_ready_write(struct jw *w, uint64_t boottime_ns)
{
	jw_obj(w);
	jw_kv_int(w, "boottimeNs", (int64_t)boottime_ns);
	jw_end(w);
	return w->err;
}

int qp_ready_read(const uint8_t *buf, size_t n, uint64_t *boottime_ns)
{
	struct doc d;
	*boottime_ns = 0;
	if (n == 0 || doc_open(&d, buf, n, NULL))
		return 0; /* an empty READY: nothing to learn */
	int e = get_u64(&d, 0, "boottimeNs", INT64_MAX, boottime_ns);
	doc_close(&d);
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
	doc_close(&d);
}
