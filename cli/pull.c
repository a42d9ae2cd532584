/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pull.c: `qpod pull [OPTIONS] IMAGE`: fetch IMAGE into the cache and unpack
 * it, as `podman pull` does (policy always: the registry is asked what the
 * reference is now; an unchanged digest fetches nothing), then print the
 * image ID (the cache key). A registry reference that names a bundle
 * (qpod push put it there) is pulled as the bundle, byte for byte, and its
 * path in the cache printed (bundle/registry.h). IMAGE is anything `qpod run` takes. Options are
 * run's: --platform, --tls-verify, --creds, --authfile, and -q/--quiet
 * (no progress line). Exit 0, or 125 with one line on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "packer.h"
#include "registry.h"
#include "runner.h"

static void pull_usage(FILE *f)
{
	fputs("usage: qpod pull [OPTIONS] IMAGE\n"
	      "Fetch IMAGE into the cache and unpack it; print its image ID.\n"
	      "IMAGE: NAME[:TAG|@DIGEST] (docker.io/library/ for a bare name), docker://...,\n"
	      "oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF],\n"
	      "containers-storage:[ROOT]NAME, dir:DIR, or an archive or image directory.\n"
	      "\n"
	      "      --platform OS/ARCH  the platform to pick from an index (default: the host's)\n"
	      "      --tls-verify=false  plain HTTP or unverified TLS to the registry\n"
	      "      --creds USER --password-stdin  registry credentials, the password from stdin's first line\n"
	      "      --authfile FILE     an auth.json (default: REGISTRY_AUTH_FILE, then skopeo's own)\n"
	      "  -q, --quiet             no progress line\n"
	      "      --help              this text\n", f);
}

enum { P_PLATFORM = 256, P_TLS, P_CREDS, P_PASSWORD_STDIN, P_AUTHFILE, P_HELP };

int registry_flags(int argc, char **argv, bool platform, struct pack_opts *po, void (*help)(FILE *))
{
	static const struct option longopts[] = {
		{ "tls-verify", optional_argument, NULL, P_TLS },
		{ "creds", required_argument, NULL, P_CREDS }, { "password-stdin", no_argument, NULL, P_PASSWORD_STDIN },
		{ "authfile", required_argument, NULL, P_AUTHFILE },
		{ "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, P_HELP },
		{ "platform", required_argument, NULL, P_PLATFORM }, { 0 },
	};
	bool verify, password_stdin = false;
	char *creds = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:q", longopts, NULL)) != -1) {
		switch (c) {
		case P_PLATFORM:
			if (!platform) {
				opt_bad("%s", "--platform: unknown flag (a bundle holds one platform)");
				return 1;
			}
			po->platform = optarg;
			break;
		case P_TLS:
			if (opt_bool("tls-verify", optarg, &verify))
				return 1;
			po->no_tls_verify = !verify;
			break;
		case P_CREDS:
			if (opt_creds(optarg, &creds))
				return 1;
			break;
		case P_PASSWORD_STDIN: password_stdin = true; break;
		case P_AUTHFILE: po->authfile = optarg; break;
		case 'q': po->progress = false; break;
		case P_HELP: help(stdout); return -1;
		case ':': opt_bad("%s needs a value", argv[optind - 1]); return 1;
		default: opt_bad("%s: unknown flag", argv[optind - 1]); return 1;
		}
	}
	if (opt_password(&creds, password_stdin, false))
		return 1;
	po->creds = creds;
	return 0;
}

int cmd_pull(int argc, char **argv)
{
	struct pack_opts po = { .pull = PULL_ALWAYS, .progress = isatty(2) };
	int f = registry_flags(argc, argv, true, &po, pull_usage);
	if (f)
		return f < 0 ? 0 : EXIT_QPOD;
	if (optind != argc - 1) {
		opt_bad("%s", optind == argc ? "no IMAGE given" : "qpod pull takes one IMAGE");
		return EXIT_QPOD;
	}
	struct image img;
	struct qerr err = { 0 };
	/* A registry reference that names a bundle: the bundle, byte for byte
	 * (bundle/registry.h); anything else is an image. */
	struct reg_opts ro = { .no_tls_verify = po.no_tls_verify, .creds = po.creds, .authfile = po.authfile };
	char path[4200];
	int b = registry_ref(argv[optind]) ? registry_pull(argv[optind], &ro, true, path, sizeof path, &err) : 1;
	if (b <= 0) {
		if (b < 0)
			fprintf(stderr, "qpod: pull: %s\n", err.msg);
		else
			printf("%s\n", path);
		return b < 0 ? EXIT_QPOD : 0;
	}
	if (pack_image(argv[optind], &po, &img, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return EXIT_QPOD;
	}
	printf("%s\n", img.id);
	image_free(&img);
	return 0;
}
