/* SPDX-License-Identifier: Apache-2.0 */
/*
 * push.c: `qpod push [OPTIONS] APP.qpod REGISTRY/REPO:TAG`: the bundle (and
 * APP.qpod.sig) into an OCI registry byte for byte, every manifest and blob
 * keeping its digest; a blob the registry has is not sent again
 * (bundle/registry.h). Options as pull's: --tls-verify=false (plain HTTP),
 * --creds USER --password-stdin, --authfile FILE, -q. Prints
 * "sha256:<digest>  REF  (N blobs sent, M already there, signed|unsigned)".
 * Exit 0, or 125 with one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "packer.h"
#include "registry.h"
#include "runner.h"

static void push_usage(FILE *f)
{
	fputs("usage: qpod push [OPTIONS] APP.qpod REGISTRY/REPO:TAG\n"
	      "Store a bundle and its signature (APP.qpod.sig) in an OCI registry, byte for byte:\n"
	      "`qpod pull` and `qpod run REGISTRY/REPO:TAG` get the same file back.\n"
	      "\n"
	      "      --tls-verify=false  plain HTTP (TLS is verified otherwise)\n"
	      "      --creds USER --password-stdin  registry credentials, the password from stdin's first line\n"
	      "      --authfile FILE     an auth.json (default: REGISTRY_AUTH_FILE, then podman's and docker's)\n"
	      "  -q, --quiet             print nothing\n"
	      "      --help              this text\n", f);
}

int cmd_push(int argc, char **argv)
{
	struct pack_opts po = { .progress = true };
	int f = registry_flags(argc, argv, false, &po, push_usage);
	if (f)
		return f < 0 ? 0 : EXIT_QPOD;
	struct reg_opts ro = { .no_tls_verify = po.no_tls_verify, .creds = po.creds, .authfile = po.authfile,
			       .quiet = !po.progress };
	if (optind != argc - 2) {
		opt_bad("%s", "qpod push takes APP.qpod and REGISTRY/REPO:TAG");
		free((char *)po.creds);
		return EXIT_QPOD;
	}
	struct qerr err = { 0 };
	int e = registry_push(argv[optind], argv[optind + 1], &ro, &err);
	if (e)
		fprintf(stderr, "qpod: push: %s\n", err.msg);
	free((char *)po.creds);
	return e ? EXIT_QPOD : 0;
}
