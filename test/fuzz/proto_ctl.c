/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto_ctl.c: fuzz every parser of control-port input, on both sides.
 * The bytes go through the control frame reader in chunks; each frame's
 * payload is then handed to the reader of every message that can arrive
 * (guest: STARTPOD, NEWCONTAINER, WINSIZE, SIGNALPROCESS, CLOSEOUTPUT;
 * host: READY, ERROR, PROCESSASYNCEVENT). Decoded containers are encoded again and must
 * decode to the same thing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "proto.h"

static void roundtrip(const struct qp_container *c)
{
	struct jw w;
	const char *json;
	size_t len;
	struct qp_container back;
	struct qerr err;
	jw_init(&w);
	qp_container_write(&w, c);
	if (jw_done(&w, &json, &len) == 0) {
		if (qp_container_read((const uint8_t *)json, len, &back, &err) < 0)
			abort(); /* what we write, we must read */
		for (size_t i = 0; c->proc.args[i]; i++)
			if (!back.proc.args[i] || strcmp(back.proc.args[i], c->proc.args[i]))
				abort();
		qp_container_free(&back);
	}
	jw_free(&w);
}

static void payload(const uint8_t *p, size_t n)
{
	struct qerr err;
	struct qp_pod pod;
	struct qp_container c;
	struct qp_exit x;
	uint16_t rows, cols;
	uint64_t bt;
	int sig;
	uint64_t seq;
	char msg[64];
	if (qp_pod_read(p, n, &pod, &err) == 0)
		qp_pod_free(&pod);
	if (qp_container_read(p, n, &c, &err) == 0) {
		roundtrip(&c);
		qp_container_free(&c);
	}
	qp_exit_read(p, n, &x, &err);
	char id[QP_ID_MAX];
	struct qp_process proc;
	qp_winsize_read(p, n, id, &rows, &cols, &err);
	qp_signal_read(p, n, id, &sig, &err);
	if (qp_exec_read(p, n, &proc, &err) == 0)
		qp_process_free(&proc);
	qp_closeoutput_read(p, n, &seq, &err);
	qp_ready_read(p, n, &bt);
	qp_error_read(p, n, msg, sizeof msg);
	uint8_t entropy[QP_ENTROPY_MAX];
	size_t ne;
	uint64_t ns;
	if (qp_resume_read(p, n, entropy, &ne, &ns, &err) == 0 && (ne < QP_ENTROPY_MIN || ne > QP_ENTROPY_MAX || !ns))
		__builtin_trap();
}

static int on_frame(void *ctx, int k, const struct qp_frame *f)
{
	if (k > 0)
		payload(f->data, f->len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qp_reader r;
	if (qp_reader_init(&r, QP_CTL_HDR, QP_CTL_MAX) < 0)
		return 0;
	feed_chunks(&r, data, size, size % 61 + 1, on_frame, NULL);
	/* The raw input as one payload too: the JSON readers see it unframed. */
	payload(data, size);
	qp_reader_free(&r);
	return 0;
}
