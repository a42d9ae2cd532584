/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strv.c: NULL-terminated string vectors, as struct runcfg holds them
 * (Entrypoint, Cmd, Env): from a JSON array of strings, and freed.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/common.h"
#include "json.h"

int strv_from_json(const struct json *j, int idx, char ***out)
{
	char **v = calloc(j->t[idx].size + 1, sizeof *v);
	uint32_t k;
	int it;
	if (!v)
		return -ENOMEM;
	JSON_EACH(j, idx, it, k)
		if (!(v[k] = json_strdup(j, it))) {
			strv_free(v);
			return -EINVAL;
		}
	*out = v;
	return 0;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
