/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctlreq.c: the messages of a detached VM's control socket (ctlmsg.c is
 * the wire), written and read in this one place by both ends:
 *
 *   client -> monitor                          monitor -> client
 *   {"op":"exec","detach":B,"process":{...}}   {"event":"started"}, then
 *     + fds: stdin, stdout, stderr               {"event":"running"} once it runs,
 *                                                {"event":"exit","status":N,"signal":S,
 *                                                 "oom":B,"error":E}; or {"event":"error",...}
 *   {"op":"signal","signal":N}                 (to that exec; no reply)
 *   {"op":"winsize","rows":R,"columns":C}      (to that exec; no reply)
 *   {"op":"stop","timeout":T,"signal":N}       {"event":"exit",...} once the VM is gone
 *   {"op":"kill","signal":N}                   {"event":"ok"}
 *   {"op":"wait"}                              {"event":"exit",...} once the command is over for good
 *   {"op":"restart","timeout":T}               {"event":"ok"} once the command runs again
 *   {"op":"pause"}, {"op":"unpause"}           {"event":"ok"}
 *   {"op":"top"}                               {"event":"top","top":{"Titles":[...],"Processes":[[...]]}}
 *   anything the monitor cannot do now         {"event":"error","message":M}
 *
 * Readers check every field; a signal is 1..64, a size 1..65535.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detached.h"

static const char *const ops[] = { "exec", "signal", "winsize", "stop", "kill", "wait", "restart", "pause",
				   "unpause", "top" };
static const char *const events[] = { "ok", "error", "started", "running", "exit", "top" };

/* One finished document as one message (w is freed). */
static int send_doc(int fd, struct jw *w, const int *fds, int nfds)
{
	const char *json;
	size_t len;
	int e = jw_done(w, &json, &len);
	if (!e)
		e = ctl_send(fd, json, len, fds, nfds);
	jw_free(w);
	return e;
}

int ctl_req_send(int fd, const struct ctl_req *r, const int *fds, int nfds)
{
	struct jw w;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "op", ops[r->op]);
	if (r->signal)
		jw_kv_int(&w, "signal", r->signal);
	if (r->timeout >= 0 && (r->op == CTL_STOP || r->op == CTL_RESTART))
		jw_kv_int(&w, "timeout", (int64_t)r->timeout);
	if (r->op == CTL_WINSIZE) {
		jw_kv_int(&w, "rows", r->rows);
		jw_kv_int(&w, "columns", r->cols);
	}
	if (r->op == CTL_EXEC) {
		jw_kv_bool(&w, "detach", r->detach);
		jw_key(&w, "process");
		qp_process_write(&w, r->exec);
	}
	jw_end(&w);
	return send_doc(fd, &w, fds, nfds);
}

static int64_t num(struct json *j, const char *key, int64_t dflt)
{
	int64_t v;
	return json_int(j, json_get(j, 0, key), &v) == 0 ? v : dflt;
}

int ctl_req_read(const char *buf, size_t n, struct ctl_req *r, struct qp_process *p, struct qerr *err)
{
	struct json j;
	*r = (struct ctl_req){ .timeout = -1 };
	if (json_parse_alloc(&j, buf, n) < 0 || j.t[0].type != JSON_OBJECT) {
		if (j.t)
			json_free(&j);
		return qerr_set(err, EINVAL, "the request is not a JSON object");
	}
	int op = json_get(&j, 0, "op"), e = 0;
	size_t i;
	for (i = 0; i < sizeof ops / sizeof *ops && !json_eq(&j, op, ops[i]); i++)
		;
	r->op = (enum ctl_op)i;
	r->signal = (int)num(&j, "signal", 0);
	r->timeout = (double)num(&j, "timeout", -1);
	int64_t rows = num(&j, "rows", 0), cols = num(&j, "columns", 0);
	json_bool(&j, json_get(&j, 0, "detach"), &r->detach);
	json_free(&j);
	if (i == sizeof ops / sizeof *ops)
		return qerr_set(err, EINVAL, "unknown request");
	if (r->signal < 0 || r->signal > 64 || r->timeout > 1e6)
		return qerr_set(err, EINVAL, "a signal is 1..64, a timeout at most 1e6 s");
	if (r->op == CTL_WINSIZE && (rows < 1 || rows > 65535 || cols < 1 || cols > 65535))
		return qerr_set(err, EINVAL, "a window size is 1..65535");
	r->rows = (uint16_t)rows;
	r->cols = (uint16_t)cols;
	if (r->op == CTL_EXEC && (e = qp_exec_read((const uint8_t *)buf, n, p, err)) < 0)
		return e;
	return 0;
}

int ctl_rep_send(int fd, const struct ctl_rep *r)
{
	struct jw w;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "event", events[r->ev]);
	if (*r->message)
		jw_kv_str(&w, "message", r->message);
	if (r->ev == CEV_EXIT) {
		jw_kv_int(&w, "status", r->exit.status);
		jw_kv_int(&w, "signal", r->exit.signal);
		jw_kv_bool(&w, "oom", r->exit.oom);
		jw_kv_str(&w, "error", r->exit.error);
	}
	if (r->ev == CEV_TOP && r->top) {
		jw_key(&w, "top");
		jw_raw(&w, r->top, strlen(r->top));
	}
	jw_end(&w);
	return send_doc(fd, &w, NULL, 0);
}

/* r->top, for a top reply, points into buf (its text as JSON). */
int ctl_rep_read(char *buf, size_t n, struct ctl_rep *r)
{
	struct json j;
	size_t i;
	*r = (struct ctl_rep){ .ev = CEV_ERROR };
	if (json_parse_alloc(&j, buf, n) < 0 || j.t[0].type != JSON_OBJECT) {
		if (j.t)
			json_free(&j);
		return -EPROTO;
	}
	int ev = json_get(&j, 0, "event"), top = json_get(&j, 0, "top");
	for (i = 0; i < sizeof events / sizeof *events && !json_eq(&j, ev, events[i]); i++)
		;
	r->ev = i < sizeof events / sizeof *events ? (enum ctl_event)i : CEV_ERROR;
	if (json_str(&j, json_get(&j, 0, "message"), r->message, sizeof r->message) < 0)
		r->message[0] = '\0';
	int64_t status = num(&j, "status", EXIT_QPOD), sig = num(&j, "signal", 0);
	r->exit.status = status >= 0 && status <= 255 ? (int)status : EXIT_QPOD;
	r->exit.signal = sig >= 0 && sig <= 64 ? (int)sig : 0;
	json_bool(&j, json_get(&j, 0, "oom"), &r->exit.oom);
	if (json_str(&j, json_get(&j, 0, "error"), r->exit.error, sizeof r->exit.error) < 0)
		r->exit.error[0] = '\0';
	if (r->ev == CEV_TOP && json_type(&j, top) == JSON_OBJECT) {
		r->top = buf + j.t[top].start;
		r->top[j.t[top].len] = '\0';
	}
	json_free(&j);
	return r->ev == CEV_TOP && !r->top ? -EPROTO : 0;
}
