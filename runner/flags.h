/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flags.h: the flags of `qpod run`, one row each (flags.c). A row is the
 * flag's only home: its long and short name, whether and how it takes a
 * value, its --help text, what `qpod bundle` does with it, and its
 * handler. getopt_long's tables (opts.c's parser), run's --help, the
 * flags `qpod bundle` bakes, takes or refuses (cli/bundle.c, bundle/baked.c)
 * and test/flags.bats all come from the table.
 */
#ifndef QPOD_FLAGS_H
#define QPOD_FLAGS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct opts;

enum flag_arg {
	ARG_NONE,    /* --flag only */
	ARG_VALUE,   /* --flag V, --flag=V, -fV, -f V */
	ARG_BOOL,    /* --flag or --flag=true|false (docker's boolean flags); -f alone */
};

/* What `qpod bundle` does with the flag. */
enum flag_bundle {
	BUNDLE_REFUSE,  /* it belongs on the run line: refused (125) before any work */
	BUNDLE_BAKE,    /* stored in the launch config under the row's key (baked.c) */
	BUNDLE_IMAGE,   /* chooses, fetches or bounds the image the bundle packs; not stored */
	BUNDLE_ANSWER,  /* --help, --version: answered, nothing is built */
};

struct run_flag {
	const char *name;         /* long name, without "--" */
	char short_name;          /* 0: none */
	enum flag_arg arg;
	const char *metavar;      /* the value in --help; ARG_BOOL: "=false", shown attached */
	const char *help;         /* --help's text; '\n' starts an indented line */
	enum flag_bundle bundle;
	const char *key;          /* BUNDLE_BAKE: its key in the launch config */
	/* The handler: 0, 1 (answered: exit 0), or -errno after one line on
	 * stderr. NULL: the flag sets the struct opts member at field, a
	 * char * (ARG_VALUE) or a bool (ARG_NONE, ARG_BOOL). */
	int (*set)(struct opts *o, const char *v);
	size_t field;
};

extern const struct run_flag run_flags[];
extern const size_t run_nflags;

/* getopt_long's long options (val: 256 + row) and short option string. */
const struct option *flags_getopt(const char **shortopts);
/* The row of getopt_long's answer c (256 + row, or a short name); NULL: none. */
const struct run_flag *flags_row(int c);
/* Apply one flag's value (NULL: none given) through its handler or field. */
int flags_apply(struct opts *o, const struct run_flag *r, const char *v);
/* --help lines for the rows, in table order: every row (only < 0), or
 * those whose bundle is only (qpod bundle --help). */
void flags_help(FILE *f, int only);

#endif
