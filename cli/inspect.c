/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inspect.c: `qpod inspect [--verify-key PUBKEY] APP.qpod` prints a
 * bundle's parts, kernel, image config, launch config and signature state
 * as one JSON object (bundle/inspect.c has its shape); `qpod verify
 * [--verify-key PUBKEY] APP.qpod` checks every byte (and the signature,
 * and what the policy.json asks: bundle/policy.c) and exits 0, or 125 with
 * one line naming the part at fault.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "cli.h"
#include "runner.h"

/* [--verify-key K] FILE, in either order. */
static int args(int argc, char **argv, const char **file, const char **key)
{
	*file = *key = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--verify-key") && i + 1 < argc)
			*key = argv[++i];
		else if (!strncmp(argv[i], "--verify-key=", 13))
			*key = argv[i] + 13;
		else if (argv[i][0] != '-' && !*file)
			*file = argv[i];
		else
			return -1;
	}
	return *file ? 0 : -1;
}

/* The shared start of both commands: --help, the arguments, the bundle
 * opened. 0 to go on; else the exit status. */
static int start(int argc, char **argv, const char *help, const char **file, const char **key, struct bundle *b)
{
	struct qerr err;
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("usage: qpod %s [--verify-key PUBKEY] APP.qpod\n%s", argv[0], help);
		return -1;
	}
	if (args(argc, argv, file, key)) {
		fprintf(stderr, "qpod: usage: qpod %s [--verify-key PUBKEY] APP.qpod\n", argv[0]);
		return EXIT_QPOD;
	}
	int e = bundle_open(*file, b, &err);
	if (e > 0)
		fprintf(stderr, "qpod: %s: %s is not a bundle (qpod bundle makes one)\n", argv[0], *file);
	else if (e < 0)
		fprintf(stderr, "qpod: %s\n", err.msg);
	return e ? EXIT_QPOD : 0;
}

/* qpod inspect ARG...: a bundle when the last argument is a file; else
 * VMs by name or id (vminspect.c), as docker inspect takes any object. */
int cmd_inspect(int argc, char **argv)
{
	struct stat st;
	if (argc > 1 && !(stat(argv[argc - 1], &st) == 0 && S_ISREG(st.st_mode)) && strcmp(argv[argc - 1], "--help"))
		return vm_inspect(argc, argv);
	const char *file, *key;
	struct bundle b;
	struct qerr err;
	int s = start(argc, argv, "Print a bundle's parts (digest, size, media type, offset), kernel version and\n"
			    "command line, image config, launch config and signature state as JSON.\n", &file, &key, &b);
	if (s)
		return s < 0 ? 0 : s;
	int e = bundle_inspect(&b, key, stdout, &err);
	if (e)
		fprintf(stderr, "qpod: %s\n", err.msg);
	bundle_close(&b);
	return e ? EXIT_QPOD : 0;
}

int cmd_verify(int argc, char **argv)
{
	const char *file, *key;
	struct bundle b;
	struct qerr err;
	int s = start(argc, argv, "Check every byte of a bundle against its digests (and its signature,\n"
			    "APP.qpod.sig, with --verify-key). Exit 0, or 125 with the part at fault.\n", &file, &key, &b);
	if (s)
		return s < 0 ? 0 : s;
	char sig[4200];
	bundle_sig_path(file, sig, sizeof sig);
	int e = key ? bundle_check_sig(key, b.digest, sig, &err) : 0;
	if (!e)
		e = bundle_policy(b.shown, b.digest, sig, &err);
	if (!e)
		e = bundle_verify(&b, false, &err);
	if (e)
		fprintf(stderr, "qpod: %s\n", err.msg);
	else
		printf("%s: ok, sha256:%s, %zu blobs, %s\n", file, b.digest, b.nblobs,
		       key ? "signature good" : "signature not checked");
	bundle_close(&b);
	return e ? EXIT_QPOD : 0;
}
