/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reply.c: the control port's answers. Each host message gets exactly one
 * ACK or ERROR (ctl.c dispatches, its handlers answer here); READY goes out
 * the same way. A reply is queued, never written inline: the loop drains
 * the queue as the port takes it, so a host that reads slowly never blocks
 * PID 1.
 */
#include <stdarg.h>
#include <stdio.h>

#include "hyperstart.h"
#include "io.h"

void ctl_reply(struct hs *hs, uint32_t type, const void *payload, size_t n)
{
	if (qp_put_ctl(&hs->ctl_q, type, payload, n) < 0)
		log_err("ctl: cannot queue %s", qp_type_name(type));
}

void ctl_error(struct hs *hs, const char *fmt, ...)
{
	char msg[QERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	struct jw w;
	const char *json;
	size_t len;
	jw_init(&w);
	qp_error_write(&w, msg);
	if (jw_done(&w, &json, &len) == 0)
		ctl_reply(hs, QP_ERROR, json, len);
	else
		ctl_reply(hs, QP_ERROR, NULL, 0);
	jw_free(&w);
}
