/* SPDX-License-Identifier: Apache-2.0 */
/* proto_frame.c: framing, bounds, credit frames and message round trips. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "frames.h"
#include "tap.h"

/* Frames collected by feed_all: payloads copied (64 bytes at most), errors
 * kept as a negative len with no data. */
struct got {
	struct qp_frame *out;
	uint8_t *copies;
	int n, max;
};

static int collect(void *ctx, int k, const struct qp_frame *f)
{
	struct got *g = ctx;
	if (g->n >= g->max)
		return 1;
	if (k > 0 && f->len)
		memcpy(g->copies + g->n * 64, f->data, f->len < 64 ? f->len : 64);
	g->out[g->n] = *f;
	g->out[g->n].data = k > 0 ? g->copies + g->n * 64 : NULL;
	g->out[g->n++].len = k > 0 ? f->len : (uint32_t)k;
	return 0;
}

/* Feed everything in q into r, step bytes at a time, collecting frames. */
static int feed_all(struct qp_reader *r, const struct qp_queue *q, size_t step, struct qp_frame *out,
		    int max, uint8_t *copies)
{
	struct got g = { .out = out, .copies = copies, .max = max };
	if (feed_chunks(r, q->buf + q->head, q->len, step, collect, &g) < 0)
		return -1;
	return g.n;
}

static void ctl_frames(void)
{
	struct qp_queue q = { 0 };
	struct qp_reader r;
	struct qp_frame f[8];
	uint8_t copies[8 * 64];
	qp_put_ctl(&q, QP_PING, NULL, 0);
	qp_put_ctl(&q, QP_ERROR, "{\"message\":\"x\"}", 15);
	qp_reader_init(&r, QP_CTL_HDR, QP_CTL_MAX);
	int n = feed_all(&r, &q, 1, f, 8, copies);
	is_int(n, 2, "two control frames, byte by byte");
	ok(n == 2 && f[0].id == QP_PING && f[0].len == 0, "empty PING");
	ok(n == 2 && f[1].id == QP_ERROR && f[1].len == 15 && !memcmp(f[1].data, "{\"message\":\"x\"}", 15),
	   "ERROR payload intact");
	qp_reader_free(&r);
	qp_queue_free(&q);
	is_int(qp_put_ctl(&q, QP_ACK, "", QP_CTL_MAX), -EMSGSIZE, "oversized control frame refused on send");
	qp_queue_free(&q);
}

static void oversized_is_skipped(void)
{
	struct qp_reader r;
	struct qp_frame f[8];
	uint8_t copies[8 * 64];
	struct qp_queue q = { 0 };
	uint8_t h[8];
	qp_put_be32(h, QP_STARTPOD);
	qp_put_be32(h + 4, QP_CTL_MAX + 100);
	qp_queue_put(&q, h, 8);
	uint8_t *junk = calloc(1, QP_CTL_MAX + 92);
	qp_queue_put(&q, junk, QP_CTL_MAX + 92);
	free(junk);
	qp_put_ctl(&q, QP_PING, NULL, 0);
	qp_reader_init(&r, QP_CTL_HDR, QP_CTL_MAX);
	int n = feed_all(&r, &q, 4096, f, 8, copies);
	is_int(n, 2, "oversized frame reported once, then the next frame");
	ok(n == 2 && (int)f[0].len == -EMSGSIZE && f[0].id == QP_STARTPOD, "oversized frame is -EMSGSIZE");
	ok(n == 2 && f[1].id == QP_PING, "the channel stays in step after it");
	ok(r.cap <= 2 * (QP_STREAM_HDR + QP_STREAM_PAYLOAD), "the oversized payload was never buffered");
	qp_reader_free(&r);
	qp_queue_free(&q);

	uint8_t bad[8];
	qp_put_be32(bad, QP_PING);
	qp_put_be32(bad + 4, 3);
	struct qp_frame one;
	qp_reader_init(&r, QP_CTL_HDR, QP_CTL_MAX);
	qp_reader_feed(&r, bad, 8);
	is_int(qp_reader_next(&r, &one), -EPROTO, "length below the header is -EPROTO");
	is_int(qp_reader_next(&r, &one), 0, "and the bad bytes are gone");
	qp_reader_free(&r);
}

static void credit(void *ctx, uint64_t seq, uint32_t bytes)
{
	uint64_t *sum = ctx;
	*sum += seq * 1000000 + bytes;
}

static void stream_frames(void)
{
	struct qp_queue q = { 0 };
	struct qp_reader r;
	struct qp_frame f[8];
	uint8_t copies[8 * 64];
	qp_put_stream(&q, 1, "hello", 5);
	qp_put_stream(&q, 2, NULL, 0);
	qp_put_credit(&q, 1, 4096);
	qp_reader_init(&r, QP_STREAM_HDR, QP_STREAM_HDR + QP_STREAM_PAYLOAD);
	int n = feed_all(&r, &q, 7, f, 8, copies);
	is_int(n, 3, "three stream frames");
	ok(n == 3 && f[0].id == 1 && f[0].len == 5 && !memcmp(f[0].data, "hello", 5), "data frame");
	ok(n == 3 && f[1].id == 2 && f[1].len == 0, "EOF frame");
	uint64_t sum = 0;
	ok(n == 3 && f[2].id == QP_SEQ_CREDIT && qp_credit_each(&f[2], credit, &sum) == 0 && sum == 1004096,
	   "credit frame");
	struct qp_frame odd = { .id = 0, .len = 13, .data = copies };
	is_int(qp_credit_each(&odd, credit, &sum), -EPROTO, "credit frame of a partial entry refused");
	qp_reader_free(&r);
	qp_queue_free(&q);
	uint8_t big[QP_STREAM_PAYLOAD + 1];
	is_int(qp_put_stream(&q, 1, big, sizeof big), -EMSGSIZE, "oversized stream payload refused on send");
	qp_queue_free(&q);
}

static void messages(void)
{
	char *args[] = { "sh", "-c", "echo \"hi\"\n", NULL }, *env[] = { "A=1", "B=x=y", NULL };
	struct qp_mount m = { .source = "vol0", .path = "/data", .read_only = true };
	struct qp_container c = { .id = "qpod", .mounts = &m, .nmounts = 1,
		.proc = { .id = "init", .args = args, .env = env, .workdir = "/w", .user = "qpod:qpod",
			  .terminal = false, .stdin_open = true, .stdio_seq = 1, .stderr_seq = 2 } };
	struct jw w;
	const char *json;
	size_t len;
	jw_init(&w);
	qp_container_write(&w, &c);
	ok(jw_done(&w, &json, &len) == 0, "container encodes");
	struct qp_container back;
	struct qerr err;
	int e = qp_container_read((const uint8_t *)json, len, &back, &err);
	is_int(e, 0, "container decodes");
	ok(!e && !strcmp(back.proc.args[2], "echo \"hi\"\n") && !back.proc.args[3], "args round trip");
	ok(!e && !strcmp(back.proc.env[1], "B=x=y") && !back.proc.env[2], "env round trip");
	ok(!e && back.nmounts == 1 && back.mounts[0].read_only && !strcmp(back.mounts[0].path, "/data"),
	   "volume round trip");
	ok(!e && back.proc.stdin_open && back.proc.stdio_seq == 1 && back.proc.stderr_seq == 2 &&
	   !strcmp(back.proc.user, "qpod:qpod") && !strcmp(back.proc.workdir, "/w"), "process fields round trip");
	qp_container_free(&back);
	jw_free(&w);

	static const char *bad[] = {
		"{\"process\":{\"args\":[]}}",
		"{\"process\":{\"args\":[\"a\"],\"stdio\":1,\"stderr\":1}}",
		"{\"process\":{\"args\":[\"a\"],\"stdio\":1,\"stderr\":2,\"workdir\":\"/a/../..\"}}",
		"{\"process\":{\"args\":[\"a\"],\"stdio\":1,\"stderr\":2,\"envs\":[{\"env\":\"A=B\",\"value\":\"\"}]}}",
		"{\"fsmap\":[{\"source\":\"\",\"path\":\"/x\"}],\"process\":{\"args\":[\"a\"],\"stdio\":1,\"stderr\":2}}",
		"{\"process\":{\"args\":[\"a\\u0000b\"],\"stdio\":1,\"stderr\":2}}",
		"{\"process\":{\"args\":[\"a\"],\"stdio\":-1,\"stderr\":2}}",
		"[1]",
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (qp_container_read((const uint8_t *)bad[i], strlen(bad[i]), &back, &err) < 0)
			refused++;
		else
			printf("# accepted %s\n", bad[i]);
	}
	is_int(refused, (int)(sizeof bad / sizeof *bad), "bad containers are refused");

	struct qp_exit x = { .status = 143, .signal = 15, .oom = false, .started_ns = 5, .exited_ns = 9 };
	strcpy(x.error, "bad\nline");
	jw_init(&w);
	qp_exit_write(&w, "qpod", "init", &x);
	jw_done(&w, &json, &len);
	struct qp_exit y;
	ok(qp_exit_read((const uint8_t *)json, len, &y, &err) == 0 && y.status == 143 && y.signal == 15 &&
	   y.exited_ns == 9, "exit event round trip");
	is_str(y.error, "bad line", "exit error is kept on one line");
	is_str(y.process, "init", "the exit names its process");
	jw_free(&w);
	ok(qp_exit_read((const uint8_t *)"{\"status\":300}", 14, &y, &err) < 0, "status above 255 refused");

	int sig = 0;
	char id[QP_ID_MAX];
	ok(qp_signal_read((const uint8_t *)"{\"signal\":0}", 12, id, &sig, &err) < 0, "signal 0 refused");
	const char *s9 = "{\"process\":\"exec-7\",\"signal\":9}";
	ok(qp_signal_read((const uint8_t *)s9, strlen(s9), id, &sig, &err) == 0 && sig == 9, "a signal for exec-7");
	is_str(id, "exec-7", "the signal names its process");
	const char *bad_id = "{\"process\":\"a/b\",\"signal\":9}";
	ok(qp_signal_read((const uint8_t *)bad_id, strlen(bad_id), id, &sig, &err) < 0, "a process id with / refused");
	uint16_t rows, cols;
	ok(qp_winsize_read((const uint8_t *)"{\"row\":70000}", 13, id, &rows, &cols, &err) < 0, "rows above 65535 refused");
	struct qp_process ep = { .id = "exec-1", .args = (char *[]){ "ls", NULL }, .stdio_seq = 3, .stderr_seq = 4 },
			  eback;
	jw_init(&w);
	qp_exec_write(&w, &ep);
	jw_done(&w, &json, &len);
	ok(qp_exec_read((const uint8_t *)json, len, &eback, &err) == 0 && eback.stdio_seq == 3 && eback.stderr_seq == 4,
	   "EXECCMD round trip");
	is_str(eback.id, "exec-1", "EXECCMD keeps the process id");
	qp_process_free(&eback);
	jw_free(&w);
	const char *noid = "{\"process\":{\"args\":[\"ls\"],\"stdio\":3,\"stderr\":4}}";
	ok(qp_exec_read((const uint8_t *)noid, strlen(noid), &eback, &err) < 0, "EXECCMD without an id refused");
	uint64_t bt = 7;
	ok(qp_ready_read(NULL, 0, &bt) == 0 && bt == 0, "an empty READY is accepted");
	jw_init(&w);
	qp_ready_write(&w, 123456789);
	jw_done(&w, &json, &len);
	ok(qp_ready_read((const uint8_t *)json, len, &bt) == 0 && bt == 123456789, "READY round trip");
	jw_free(&w);
	jw_init(&w);
	qp_started_write(&w, "qpod", "exec-2");
	jw_done(&w, &json, &len);
	is_int(qp_exit_read((const uint8_t *)json, len, &y, &err), 1, "started event round trip: not an exit");
	is_str(y.process, "exec-2", "the started event names its process");
	jw_free(&w);
	char msg[8];
	qp_error_read((const uint8_t *)"{\"message\":\"long message\"}", 26, msg, sizeof msg);
	is_str(msg, "long me", "ERROR message cut to the buffer");
}

/* qp_payload_space: payloads that fit parse into it, others are allocated,
 * and a failed parse leaves it free for the next. */
static void payload_space(void)
{
	static struct json_tok t[32];
	struct qerr err;
	char id[QP_ID_MAX];
	int sig = 0;
	qp_payload_space(t, 32);
	t[0].type = 0xee;
	const char *small = "{\"process\":\"init\",\"signal\":15}";
	ok(qp_signal_read((const uint8_t *)small, strlen(small), id, &sig, &err) == 0 && sig == 15, "a payload that fits reads");
	is_int(t[0].type, JSON_OBJECT, "and was parsed into the space");
	t[0].type = 0xee;
	char big[256];
	int n = snprintf(big, sizeof big, "{\"process\":\"%s\",\"signal\":9}", "p-0123456789012345678901234567890123456789");
	ok(qp_signal_read((const uint8_t *)big, (size_t)n, id, &sig, &err) == 0 && sig == 9, "a larger payload reads");
	is_int(t[0].type, 0xee, "from an allocation of its own");
	ok(qp_signal_read((const uint8_t *)"{\"signal\":", 10, id, &sig, &err) < 0, "bad JSON refused");
	ok(qp_signal_read((const uint8_t *)small, strlen(small), id, &sig, &err) == 0 && t[0].type == JSON_OBJECT,
	   "and the space is free again");
	qp_payload_space(NULL, 0);
}

int main(void)
{
	plan(46);
	ctl_frames();
	oversized_is_skipped();
	stream_frames();
	messages();
	payload_space();
	return done();
}
