/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opts.c: the command line, with docker run's meaning for the flags both
 * share: getopt_long over flags.c's table, each flag through its row, then
 * what the flags say together. Options end at IMAGE; what follows is the
 * command. Every bad flag gets one line naming it (exit 125, as docker does
 * for its own errors); for `qpod bundle`, so does every flag its row does
 * not let a bundle take.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flags.h"
#include "runner.h"

/* getopt_long takes "--ini" for "--initrd"; docker takes no abbreviation
 * (its --init would become --initrd here and the image name its value).
 * The word that held the option: the one before the value when the value
 * came separately. */
static const char *flag_word(char **argv, const char *value)
{
	return value && value == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
}

static bool long_exact(const char *word, const struct run_flag *r)
{
	size_t n = strlen(r->name);
	return !strncmp(word, "--", 2) && !strncmp(word + 2, r->name, n) && (word[2 + n] == '\0' || word[2 + n] == '=');
}

/* getopt_long's answer c for the word that held it: its row, or NULL after
 * one line (unknown, abbreviated, missing its value, or for a bundle one
 * that cannot be baked); *v then is the value, docker's -e=K=V taken as K=V. */
static const struct run_flag *flag_of(int c, char **argv, bool bundle, char **v)
{
	const char *word = flag_word(argv, *v);
	const struct run_flag *r = flags_row(c);
	if (c == ':')
		return opt_bad("%s needs a value", word), NULL;
	if (!r && optopt && optopt < 256 && word[0] == '-' && word[1] != '-')
		return opt_bad("-%s: unknown flag", (char[]){ (char)optopt, '\0' }), NULL;
	if (!r)
		return opt_bad("%s: unknown flag", word), NULL;
	if (c >= 256 && !long_exact(word, r))
		return opt_bad("%s: unknown flag (long flags are never abbreviated)", word), NULL;
	if (c < 256 && *v && (*v)[0] == '=' && *v == word + 2)
		(*v)++; /* docker's -e=K=V */
	if (bundle && r->bundle == BUNDLE_REFUSE) {
		fprintf(stderr, "qpod: bundle: %s%s cannot be baked into a bundle (it belongs on the run line)\n",
			c >= 256 ? "--" : "-", c >= 256 ? r->name : (char[]){ (char)c, '\0' });
		return NULL;
	}
	return r;
}

/* The flags, up to IMAGE: 0, 1 when one was answered (--help), or -EINVAL. */
static int flags(int argc, char **argv, struct opts *o, bool bundle)
{
	const char *shorts;
	const struct option *longopts = flags_getopt(&shorts);
	int c, e = 0;
	while (!e && (c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		const struct run_flag *r = flag_of(c, argv, bundle, &optarg);
		e = r ? flags_apply(o, r, optarg) : -EINVAL;
	}
	return e;
}

/* Returns 0 to run, 1 when --help/--version was answered, -errno on a bad flag
 * (-EEXIST: -a with -d, which docker answers with exit 1). */
static int opts_parse_as(int argc, char **argv, struct opts *o, bool bundle)
{
	int e;
	optind = 0; /* from the start, however often it is called (qpod restart) */
	opterr = 0;
	o->network = true;
	o->sig_proxy = true;
	o->umask = -1;
	o->stop_timeout = -1;
	o->health = (struct healthcfg){ .interval = -1, .timeout = -1, .start_period = -1, .start_interval = -1,
					.retries = -1 };
	e = flags(argc, argv, o, bundle);
	if (e)
		return e;
	if (o->cache_cmd)
		return optind == argc ? 0 : opt_bad("--cache %s takes no image or command", o->cache_cmd);
	if (optind == argc)
		return opt_bad("%s", "no IMAGE given");
	if ((e = opt_password(&o->creds, o->password_stdin, o->interactive)))
		return e;
	if (o->attach && o->detach) /* docker's CLI says so with exit 1, not 125 */
		return opt_bad("%s", "Conflicting options: -a and -d") ? -EEXIST : 0;
	if (opt_health_check(o))
		return -EINVAL;
	if (o->restart && strcmp(o->restart, "no") && !o->detach)
		return opt_bad("--restart %s keeps a VM running: add -d", o->restart);
	if (o->tty && o->interactive && !isatty(0) && !o->detach) {
		fprintf(stderr, "qpod: the input device is not a TTY\n");
		return -EINVAL;
	}
	o->image = argv[optind];
	o->cmd = argv + optind + 1;
	o->argv = argv + 1;
	return 0;
}

int opts_parse(int argc, char **argv, struct opts *o)
{
	return opts_parse_as(argc, argv, o, false);
}

int opts_parse_bundle(int argc, char **argv, struct opts *o)
{
	return opts_parse_as(argc, argv, o, true);
}
