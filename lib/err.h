/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h: the error convention of qpod's library code.
 *
 * A function that can fail returns 0 (or a count) on success and a negative
 * errno on failure, and fills a struct qerr with a one-line message that
 * names what failed ("open /x/y: No such file or directory"). Callers add
 * context on the way up with qerr_wrap() ("layer 3: open ..."). Tools print
 * err.msg once and map the failure to their own fixed exit code.
 */
#ifndef QPOD_ERR_H
#define QPOD_ERR_H

#include <stddef.h>

#define QERR_MSG_MAX 512

struct qerr {
	int code;                 /* positive errno of the first failure */
	char msg[QERR_MSG_MAX];   /* one line, no trailing newline */
};

/* Set err (may be NULL) to errnum and the message; returns -errnum (-EIO if 0). */
int qerr_set(struct qerr *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like qerr_set, with ": strerror(errnum)" appended. */
int qerr_sys(struct qerr *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the message with context and ": "; returns -err->code. */
int qerr_wrap(struct qerr *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
