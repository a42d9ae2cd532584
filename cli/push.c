/*
 * push.c: `qpod push [OPTIONS] APP.qpod REGISTRY/REPO:TAG`: the bundle (and
 * APP.qpod.sig) into an OCI registry byte for byte, every manifest and blob
 * keeping its digest; a blob the registry has is not sent again
 * (bundle/registry.h). Options as pull's: --tls-verify=false (plain HTTP),
 * --creds USER --password-stdin, --authfile FILE, -q. Prints
 * "sha256:<digest>  REF  (N blobs sent, M already there, signed|unsigned)".
 * Exit 0, or 125 with one line on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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

enum { P_TLS = 256, P_CREDS, P_PASSWORD_STDIN, P_AUTHFILE, P_HELP };

int cmd_push(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tls-verify", optional_argument, NULL, P_TLS }, { "creds", required_argument, NULL, P_CREDS },
		{ "password-stdin", no_argument, NULL, P_PASSWORD_STDIN }, { "authfile", required_argument, NULL, P_AUTHFILE },
		{ "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, P_HELP }, { 0 },
	};
	struct reg_opts ro = { 0 };
	bool verify, password_stdin = false;
	char *creds = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:q", longopts, NULL)) != -1) {
		switch (c) {
		case P_TLS:
			if (opt_bool("tls-verify", optarg, &verify))
				return EXIT_QPOD;
			ro.no_tls_verify = !verify;
			break;
		case P_CREDS:
			if (opt_creds(optarg, &creds))
				return EXIT_QPOD;
			break;
		case P_PASSWORD_STDIN: password_stdin = true; break;
		case P_AUTHFILE: ro.authfile = optarg; break;
		case 'q': ro.quiet = true; break;
		case P_HELP: push_usage(stdout); return 0;
		case ':': opt_bad("%s needs a value", argv[optind - 1]); return EXIT_QPOD;
		default: opt_bad("%s: unknown flag", argv[optind - 1]); return EXIT_QPOD;
		}
	}
	if (opt_password(&creds, password_stdin, false))
		return EXIT_QPOD;
	ro.creds = creds;
	if (optind != argc - 2) {
		opt_bad("%s", "qpod push takes APP.qpod and REGISTRY/REPO:TAG");
		free(creds);
		return EXIT_QPOD;
	}
	struct qerr err = { 0 };
	int e = registry_push(argv[optind], argv[optind + 1], &ro, &err);
	if (e)
		fprintf(stderr, "qpod: push: %s\n", err.msg);
	free(creds);
	return e ? EXIT_QPOD : 0;
}
