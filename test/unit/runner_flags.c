/* SPDX-License-Identifier: Apache-2.0 */
/* runner_flags.c: run's flag table (runner/flags.c) is consistent: names
 * and short names once each, every row with its help and a handler or a
 * field, a key exactly for the baked rows, and getopt_long's tables built
 * from it. With --list it prints the rows instead, one per line
 *   NAME SHORT|- none|value|bool refuse|bake|image|answer KEY|-
 * for test/flags.bats, which walks every flag through qpod itself. */
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "runner.h"
#include "tap.h"

static const char *const args[] = { [ARG_NONE] = "none", [ARG_VALUE] = "value", [ARG_BOOL] = "bool" };
static const char *const bundles[] = { [BUNDLE_REFUSE] = "refuse", [BUNDLE_BAKE] = "bake",
				       [BUNDLE_IMAGE] = "image", [BUNDLE_ANSWER] = "answer" };

static int list(void)
{
	for (size_t i = 0; i < run_nflags; i++) {
		const struct run_flag *r = &run_flags[i];
		printf("%s %s%s %s %s %s\n", r->name, r->short_name ? "-" : "", r->short_name ? (char[]){ r->short_name, 0 } : "-",
		       args[r->arg], bundles[r->bundle], r->key ? r->key : "-");
	}
	return 0;
}

static bool row_ok(const struct run_flag *r)
{
	bool name = r->name && *r->name && strspn(r->name, "abcdefghijklmnopqrstuvwxyz-") == strlen(r->name);
	bool value = (r->arg == ARG_VALUE) == (r->metavar && *r->metavar != '=');
	bool key = (r->bundle == BUNDLE_BAKE) == (r->key != NULL);
	bool act = r->set || r->field; /* no handler: a member (offset 0 is env's, set by a handler) */
	return name && value && key && act && r->help && *r->help && r->help[strlen(r->help) - 1] != '\n';
}

static void rows(void)
{
	size_t bad = 0, dup = 0, baked = 0;
	for (size_t i = 0; i < run_nflags; i++) {
		const struct run_flag *r = &run_flags[i];
		bad += !row_ok(r);
		baked += r->bundle == BUNDLE_BAKE;
		for (size_t k = 0; k < i; k++)
			dup += !strcmp(run_flags[k].name, r->name) || (r->short_name && run_flags[k].short_name == r->short_name);
		if (!row_ok(r))
			printf("# bad row: --%s\n", r->name);
	}
	ok(run_nflags >= 60, "the table has every flag of run (60 and more)");
	is_int(bad, 0, "every row: a name, a value's metavar exactly when it takes one, help, a handler or field");
	is_int(dup, 0, "no long or short name twice");
	is_int(baked, 9, "nine flags are baked: --entrypoint, -e, --env-file, -w, -u, -m, --cpus, -p, --network");
}

static void getopt_tables(void)
{
	const char *shorts;
	const struct option *lo = flags_getopt(&shorts);
	size_t wrong = 0, n = 0;
	for (size_t i = 0; i < run_nflags; i++) {
		const struct run_flag *r = &run_flags[i];
		const char *s = r->short_name ? strchr(shorts + 2, r->short_name) : NULL;
		wrong += strcmp(lo[i].name, r->name) || lo[i].val != 256 + (int)i || flags_row(lo[i].val) != r;
		wrong += r->short_name && (!s || (s[1] == ':') != (r->arg == ARG_VALUE) || flags_row(r->short_name) != r);
		n += r->short_name != 0;
	}
	is_int(wrong, 0, "getopt_long's options and short string are the table's rows");
	ok(!lo[run_nflags].name, "the long options end");
	ok(!strncmp(shorts, "+:", 2), "short flags: stop at IMAGE, ':' for a missing value");
	size_t letters = 0;
	for (const char *p = shorts + 2; *p; p++)
		letters += *p != ':';
	is_int(letters, n, "one letter per short flag");
	ok(!flags_row('Z') && !flags_row('?') && !flags_row(256 + (int)run_nflags), "no row for an unknown flag");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list"))
		return list();
	plan(9);
	rows();
	getopt_tables();
	return done();
}
