/* SPDX-License-Identifier: Apache-2.0 */
/* err.c: struct qerr helpers (see err.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static int vset(struct qerr *err, int errnum, int with_errno, const char *fmt, va_list ap)
{
	if (errnum <= 0)
		errnum = EIO;
	if (!err)
		return -errnum;
	err->code = errnum;
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
	return -errnum;
}

int qerr_set(struct qerr *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vset(err, errnum, 0, fmt, ap);
	va_end(ap);
	return r;
}

int qerr_sys(struct qerr *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vset(err, errnum, 1, fmt, ap);
	va_end(ap);
	return r;
}

int qerr_wrap(struct qerr *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	char prefix[QERR_MSG_MAX], old[QERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	/* A long chain is cut at the end: the outer context matters most. */
	if (snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old) >= (int)sizeof err->msg)
		memcpy(err->msg + sizeof err->msg - 4, "...", 4);
	if (err->code <= 0)
		err->code = EIO;
	return -err->code;
}
