/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.c: `qpod bundle [OPTIONS] IMAGE -o APP.qpod [--sign KEY]`: IMAGE
 * (anything `qpod run` takes) with the boot images of this qpod into one
 * reproducible file (bundle/bundle.h). OPTIONS are run's flags, parsed by
 * run's parser, and baked as the launch config: --entrypoint, -e,
 * --env-file, -w, -u, -m, --cpus, -p, --network; --platform and
 * --max-bytes choose and bound the image as for run. Other run flags are
 * refused: they belong on the run line. -o and --sign may stand anywhere
 * before or right after IMAGE. SOURCE_DATE_EPOCH (default 0) is every
 * timestamp the bundle adds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "runner.h"

static void bundle_usage(FILE *f)
{
	fprintf(f, "usage: qpod bundle [OPTIONS] IMAGE -o APP.qpod [--sign KEY]\n"
		   "Make one reproducible file that `qpod run APP.qpod` boots on any host: the image\n"
		   "(an OCI image layout), its root as a squashfs, this qpod's kernel, initrd and\n"
		   "firmware, and a launch config from OPTIONS (run's meaning; the run line overrides):\n"
		   "  --entrypoint CMD, -e K=V, --env-file FILE, -w DIR, -u USER[:GROUP], -m SIZE,\n"
		   "  --cpus N, -p [IP:]HOST:GUEST[/udp], --network user|none\n"
		   "  --platform OS/ARCH, --max-bytes SIZE   which image, and its bounds (not baked)\n"
		   "  -o, --output APP.qpod  the bundle to write (replaced atomically)\n"
		   "      --sign KEY         sign it with this ssh private key: APP.qpod.sig\n"
		   "Timestamps are SOURCE_DATE_EPOCH (default 0): same inputs, same bytes.\n");
}

/* The flags run has that a launch config does not carry. */
static const char *unbaked(const struct opts *o)
{
	return o->nvols ? "-v" : o->interactive ? "-i" : o->tty ? "-t" : o->debug ? "--debug" :
	       o->timings ? "--timings" : o->timeout ? "--timeout" : o->accel ? "--accel" : o->boot ? "--boot" :
	       o->console ? "--console" : o->kernel ? "--kernel" : o->initrd ? "--initrd" : o->result ? "--result" :
	       o->cache_cmd ? "--cache" : o->ndns ? "--dns" : o->nhosts ? "--add-host" : o->hostname ? "-h" :
	       o->read_only ? "--read-only" : !o->sig_proxy ? "--sig-proxy" : o->umask >= 0 ? "--umask" :
	       o->shm_size ? "--shm-size" : o->ntmpfs ? "--tmpfs" : o->nrlimits ? "--ulimit" :
	       o->ngroups ? "--group-add" : o->verify_key ? "--verify-key" : NULL;
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

int cmd_bundle(int argc, char **argv)
{
	static struct opts o;
	const char *out = NULL, *key = NULL;
	struct qerr err;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			bundle_usage(stdout);
			return 0;
		}
	if (take(&argc, argv, &out, &key))
		return EXIT_QPOD;
	int e = opts_parse(argc, argv, &o);
	if (e) {
		opts_free(&o);
		return e > 0 ? 0 : EXIT_QPOD;
	}
	const char *flag = unbaked(&o);
	int status = EXIT_QPOD;
	if (flag)
		fprintf(stderr, "qpod: bundle: %s belongs on the run line (a bundle bakes --entrypoint, -e, -w, -u, "
			"-m, --cpus, -p, --network)\n", flag);
	else if (o.cmd && o.cmd[0])
		fprintf(stderr, "qpod: bundle: unexpected \"%s\" after IMAGE (see qpod bundle --help)\n", o.cmd[0]);
	else if (!out)
		fprintf(stderr, "qpod: bundle: no output file (-o APP.qpod)\n");
	else {
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		char *end = NULL;
		long long epoch = sde && *sde ? strtoll(sde, &end, 10) : 0;
		if (sde && *sde && (*end || epoch < 0 || epoch > 077777777777LL)) {
			fprintf(stderr, "qpod: bundle: SOURCE_DATE_EPOCH=%s is not a time in seconds\n", sde);
		} else {
			struct bundle_spec s = { .o = &o, .out = out, .sign_key = key, .epoch = epoch };
			char digest[65];
			if (bundle_build(&s, digest, &err) < 0) {
				fprintf(stderr, "qpod: bundle: %s\n", err.msg);
			} else {
				printf("sha256:%s  %s\n", digest, out);
				status = 0;
			}
		}
	}
	opts_free(&o);
	return status;
}
