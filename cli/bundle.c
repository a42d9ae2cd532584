/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.c: `qpod bundle [OPTIONS] IMAGE -o APP.qpod [--sign KEY]`: IMAGE
 * (anything `qpod run` takes) with the boot images of this qpod into one
 * reproducible file (bundle/bundle.h). OPTIONS are run's flags, parsed by
 * run's parser; runner/flags.c's table says per flag what a bundle does
 * with it: bakes it into the launch config (bundle/baked.c), takes it to
 * choose, fetch and bound the image as run does (not baked), or refuses it
 * (exit 125, one line naming it, before any work): it belongs on the run
 * line. -o and --sign may stand anywhere before or right after IMAGE.
 * SOURCE_DATE_EPOCH (default 0) is every timestamp the bundle adds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "flags.h"
#include "runner.h"

static void bundle_usage(FILE *f)
{
	fputs("usage: qpod bundle [OPTIONS] IMAGE -o APP.qpod [--sign KEY]\n"
	      "Make one reproducible file that `qpod run APP.qpod` boots on any host: the image\n"
	      "(an OCI image layout), its root as a squashfs, this qpod's kernel, initrd and\n"
	      "firmware, and a launch config from these OPTIONS (run's meaning; the run line\n"
	      "overrides them):\n", f);
	flags_help(f, BUNDLE_BAKE);
	fputs("Which image, from where, and its bounds (as for run; not baked):\n", f);
	flags_help(f, BUNDLE_IMAGE);
	fputs("  -o, --output APP.qpod   the bundle to write (replaced atomically)\n"
	      "      --sign KEY          sign it with this ssh private key: APP.qpod.sig\n"
	      "Every other run flag belongs on the run line, and is refused here.\n"
	      "Timestamps are SOURCE_DATE_EPOCH (default 0): same inputs, same bytes.\n", f);
}

/* Take -o/--output and --sign out of argv (they are not run's). */
static int take(int *argc, char **argv, const char **out, const char **key)
{
	int k = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], **dst = NULL, *v = NULL;
		if (!strcmp(a, "-o") || !strcmp(a, "--output"))
			dst = out;
		else if (!strcmp(a, "--sign"))
			dst = key;
		else if (!strncmp(a, "--output=", 9) || !strncmp(a, "--sign=", 7))
			dst = a[2] == 'o' ? out : key, v = strchr(a, '=') + 1;
		else if (!strncmp(a, "-o", 2) && a[2])
			dst = out, v = a + 2;
		if (!dst) {
			argv[k++] = argv[i];
			continue;
		}
		if (!v && (v = i + 1 < *argc ? argv[++i] : NULL) == NULL) {
			fprintf(stderr, "qpod: %s needs a value\n", a);
			return -EINVAL;
		}
		*dst = v;
	}
	argv[k] = NULL;
	*argc = k;
	return 0;
}

/* What is refused before any work, one line each; true when nothing is. */
static bool ready(const struct opts *o, const char *out)
{
	struct qerr err;
	char *launch = NULL;
	size_t n;
	/* The launch config's "network" is user or none: a bundle does not get
	 * to reach the host's loopback (docs/bundle.md). */
	if (o->host_loopback)
		fprintf(stderr, "qpod: bundle: --network %s cannot be baked into a bundle (it belongs on the run "
			"line)\n", "user:allow_host_loopback=true");
	else if (o->cmd && o->cmd[0])
		fprintf(stderr, "qpod: bundle: unexpected \"%s\" after IMAGE (see qpod bundle --help)\n", o->cmd[0]);
	else if (!out)
		fprintf(stderr, "qpod: bundle: no output file (-o APP.qpod)\n");
	else if (baked_write(o, &launch, &n, &err) < 0) /* a value it cannot hold: too many ports */
		fprintf(stderr, "qpod: bundle: %s\n", err.msg);
	else
		return free(launch), true;
	return false;
}

/* SOURCE_DATE_EPOCH, then the bundle: 0, or EXIT_QPOD after one line. */
static int make(const struct opts *o, const char *out, const char *key)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end = NULL, digest[65];
	long long epoch = sde && *sde ? strtoll(sde, &end, 10) : 0;
	struct qerr err;
	if (sde && *sde && (*end || epoch < 0 || epoch > 077777777777LL)) {
		fprintf(stderr, "qpod: bundle: SOURCE_DATE_EPOCH=%s is not a time in seconds\n", sde);
		return EXIT_QPOD;
	}
	struct bundle_spec s = { .o = o, .out = out, .sign_key = key, .epoch = epoch };
	if (bundle_build(&s, digest, &err) < 0) {
		fprintf(stderr, "qpod: bundle: %s\n", err.msg);
		return EXIT_QPOD;
	}
	printf("sha256:%s  %s\n", digest, out);
	return 0;
}

int cmd_bundle(int argc, char **argv)
{
	static struct opts o;
	const char *out = NULL, *key = NULL;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			bundle_usage(stdout);
			return 0;
		}
	if (take(&argc, argv, &out, &key))
		return EXIT_QPOD;
	int e = opts_parse_bundle(argc, argv, &o);
	if (e) {
		opts_free(&o);
		return e > 0 ? 0 : EXIT_QPOD;
	}
	int status = ready(&o, out) ? make(&o, out, key) : EXIT_QPOD;
	opts_free(&o);
	return status;
}
