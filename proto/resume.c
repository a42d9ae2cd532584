/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resume.c: RESUME's payload (see proto.h and docs/protocol.md). A VM
 * restored from a template starts as a copy of the saved one: the host hands
 * it fresh randomness and the time, {"entropy": "<hex>", "realtimeNs": N},
 * 32..256 bytes of entropy as lowercase or uppercase hex, N the host's
 * CLOCK_REALTIME in ns when it sent the message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

int qp_resume_write(struct jw *w, const uint8_t *entropy, size_t n, uint64_t realtime_ns)
{
	char hex[2 * QP_ENTROPY_MAX + 1];
	if (n < QP_ENTROPY_MIN || n > QP_ENTROPY_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", entropy[i]);
	jw_obj(w);
	jw_kv_str(w, "entropy", hex);
	jw_kv_int(w, "realtimeNs", (int64_t)realtime_ns);
	jw_end(w);
	return w->err;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int qp_resume_read(const uint8_t *buf, size_t len, uint8_t *entropy, size_t *n, uint64_t *realtime_ns,
		   struct qerr *err)
{
	struct doc d;
	char hex[2 * QP_ENTROPY_MAX + 2]; /* on the stack: the first message after a restore allocates nothing */
	*n = 0;
	*realtime_ns = 0;
	int e = doc_open(&d, buf, len, err);
	if (e)
		return e;
	int k = json_get(&d.j, 0, "entropy");
	int h = k < 0 ? 0 : json_str(&d.j, k, hex, sizeof hex);
	if (h == -EINVAL)
		e = qerr_set(err, EINVAL, "\"entropy\" is not a string without NUL");
	if (!e)
		e = get_u64(&d, 0, "realtimeNs", INT64_MAX, realtime_ns);
	if (!e && (h < 0 || h % 2 || h < 2 * (int)QP_ENTROPY_MIN || h > 2 * (int)QP_ENTROPY_MAX))
		e = qerr_set(err, EINVAL, "\"entropy\" must be %u to %u bytes in hex", QP_ENTROPY_MIN, QP_ENTROPY_MAX);
	for (int i = 0; !e && i < h / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			e = qerr_set(err, EINVAL, "\"entropy\" is not hex");
		else
			entropy[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!e && !*realtime_ns)
		e = qerr_set(err, EINVAL, "\"realtimeNs\" is required");
	if (!e)
		*n = (size_t)h / 2;
	doc_close(&d);
	return e;
}
