/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg.c: strings that are safe to put in a one-line message, and warnings.
 *
 * Archive member names, link targets and tags come from untrusted input: a
 * newline or an escape sequence in one must not break the "one line" rule of
 * err.h or paint the user's terminal. pq() returns a printable copy, capped
 * at 160 bytes with "..." marking the cut. Buffers are per thread (the
 * progress line is drawn from blob.c's producer thread).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

#define PQ_MAX 160

const char *pq(const char *s)
{
	static __thread char buf[4][PQ_MAX + 4];
	static __thread unsigned next;
	char *out = buf[next++ % 4];
	size_t o = 0;
	if (!s)
		s = "(null)";
	for (; *s && o < PQ_MAX; s++) {
		unsigned char c = (unsigned char)*s;
		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (*s)
		memcpy(out + o, "...", 3), o += 3;
	out[o] = '\0';
	return out;
}

void pk_warn(const char *fmt, ...)
{
	char line[QERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "qpod: %s\n", line);
}
