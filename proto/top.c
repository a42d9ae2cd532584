/* SPDX-License-Identifier: Apache-2.0 */
/*
 * top.c: TOP's answer, the container's processes as `ps -ef` would list
 * them (docker top's table), written by the guest and checked by the host:
 *   {"Titles": ["UID","PID","PPID","C","STIME","TTY","TIME","CMD"],
 *    "Processes": [["root","1","0","0","10:00","?","00:00:00","sleep 600"], ...]}
 * At most QP_TOP_COLS titles, QP_TOP_ROWS rows of as many strings each.
 */
#include <errno.h>
#include <string.h>

#include "doc.h"

static bool strings(const struct json *j, int arr, uint32_t n)
{
	uint32_t k;
	int it;
	if (json_type(j, arr) != JSON_ARRAY || j->t[arr].size != n)
		return false;
	JSON_EACH(j, arr, it, k)
		if (json_type(j, it) != JSON_STRING)
			return false;
	return true;
}

int qp_top_check(const uint8_t *buf, size_t n, struct qerr *err)
{
	struct doc d;
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	int titles = json_get(&d.j, 0, "Titles"), rows = json_get(&d.j, 0, "Processes");
	uint32_t cols = titles >= 0 ? d.j.t[titles].size : 0, k;
	int it;
	bool good = cols > 0 && cols <= QP_TOP_COLS && strings(&d.j, titles, cols) &&
		    json_type(&d.j, rows) == JSON_ARRAY && d.j.t[rows].size <= QP_TOP_ROWS;
	if (good)
		JSON_EACH(&d.j, rows, it, k)
			good = good && strings(&d.j, it, cols);
	doc_close(&d);
	return good ? 0 : qerr_set(err, EINVAL, "TOP: not a table of at most %u columns and %u rows of strings",
				   QP_TOP_COLS, QP_TOP_ROWS);
}
