/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_format.c: fuzz the --format compiler and renderer (cli/format.c). The
 * input's first line is a template, the rest a JSON document (a fixed one
 * when it does not parse): nothing may crash, leak or read out of bounds,
 * and a refusal or a render error always says why in one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

static const char fallback[] = "{\"A\":{\"B\":[1,\"x\",null,{\"Interval\":30000000000}]},\"S\":\"s\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), why[256] = "";
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *nl = strchr(text, '\n');
	const char *docs = nl ? nl + 1 : fallback;
	if (nl)
		*nl = '\0';
	struct fmt *f = fmt_compile(text, why, sizeof why);
	if (!f && (!*why || strchr(why, '\n')))
		abort();
	struct json j;
	size_t dl = strlen(docs);
	if (json_parse_alloc(&j, docs, dl) < 0) {
		if (j.t)
			json_free(&j);
		if (json_parse_alloc(&j, fallback, strlen(fallback)) < 0)
			abort();
	}
	if (f && j.t) {
		char *out = NULL, *al = NULL;
		size_t len = 0, al_len = 0;
		why[0] = '\0';
		if (fmt_render(f, &j, 0, &out, &len, why, sizeof why) < 0 && !*why && out)
			abort();
		if (out)
			fmt_align(out, len, &al, &al_len);
		free(out);
		free(al);
		if (fmt_header(f, &out, &len) == 0)
			free(out);
	}
	if (j.t)
		json_free(&j);
	fmt_free(f);
	free(text);
	return 0;
}
