/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.c: `qpod cache ls` lists the cached images (size, last use);
 * `qpod cache prune` removes those no running VM uses. `qpod run --cache
 * ls|prune` is the same.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "packer.h"
#include "runner.h"

int cache_run(const char *what)
{
	struct pack_opts po = { 0 };
	struct qerr err;
	int e = !strcmp(what, "ls") ? cache_list(&po, stdout, &err) : cache_prune(&po, 0, stdout, &err);
	if (e < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return EXIT_QPOD;
	}
	return 0;
}

int cmd_cache(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "ls") || !strcmp(argv[1], "prune")))
		return cache_run(argv[1]);
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("usage: qpod cache ls|prune\n"
		       "  ls      the cached images: size, last use\n"
		       "  prune   remove the cached images no running VM uses\n");
		return 0;
	}
	fprintf(stderr, "qpod: usage: qpod cache ls|prune\n");
	return EXIT_QPOD;
}
