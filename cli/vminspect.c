/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vminspect.c: `qpod inspect [-f|--format TEMPLATE] [--type container]
 * NAME...`: each VM as docker inspects a container (vmview.c): a JSON list,
 * or the template rendered once per VM (format.c), e.g.
 * --format '{{.State.Status}}' or '{{json .Config.Env}}'. A NAME that is
 * not there: "No such object" and exit 1 once the others are printed, as
 * docker; a template qpod does not take: 125 before anything is printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "vmview.h"

struct insp {
	struct fmt *f;
	struct jw all;
	int rc;
};

static int inspect_one(struct vm_ref *r, const char *arg, void *ctx)
{
	struct insp *in = ctx;
	struct vmview v;
	vmview_load(&v, r->dir, &r->st);
	if (!in->f) {
		vmview_inspect(&in->all, &v);
		vmview_free(&v);
		return 0;
	}
	struct jw w;
	struct json j;
	const char *json;
	size_t len, n = 0;
	char *out = NULL, why[256];
	int k = 0;
	jw_init(&w);
	vmview_inspect(&w, &v);
	if (jw_done(&w, &json, &len) < 0 || json_parse_alloc(&j, json, len) < 0) {
		fprintf(stderr, "qpod: %s: out of memory\n", arg);
		k = EXIT_QPOD;
	} else if (fmt_render(in->f, &j, 0, &out, &n, why, sizeof why) < 0) {
		fprintf(stderr, "qpod: %s: %s\n", arg, why);
		k = CLIENT_REFUSED;
	} else {
		printf("%s\n", out);
	}
	if (j.t)
		json_free(&j);
	free(out);
	jw_free(&w);
	vmview_free(&v);
	return k;
}

int vm_inspect(int argc, char **argv)
{
	static const struct option lo[] = { { "format", required_argument, NULL, 'f' },
					    { "type", required_argument, NULL, 'T' }, { 0 } };
	struct insp in = { 0 };
	char why[256];
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:", lo, NULL)) != -1) {
		if (c == 'f' && !in.f) {
			if (!(in.f = fmt_compile(optarg, why, sizeof why))) {
				fprintf(stderr, "qpod: --format: %s\n", why);
				return EXIT_QPOD;
			}
		} else if (c == 'T' && !strcmp(optarg, "container")) {
			continue;
		} else {
			fprintf(stderr, "qpod: usage: qpod inspect [-f TEMPLATE] [--type container] NAME...\n");
			fmt_free(in.f);
			return EXIT_QPOD;
		}
	}
	jw_init(&in.all);
	jw_arr(&in.all);
	int rc = vm_each(argc, argv, optind, inspect_one, &in, "qpod inspect [-f TEMPLATE] NAME...");
	jw_end(&in.all);
	const char *json;
	size_t len;
	if (!in.f && jw_done(&in.all, &json, &len) == 0)
		printf("%.*s\n", (int)len, json);
	jw_free(&in.all);
	fmt_free(in.f);
	return rc;
}
