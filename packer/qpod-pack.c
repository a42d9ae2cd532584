/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qpod-pack: the packer on the command line, for tests and for looking at
 * images without booting anything.
 *
 *   qpod-pack [OPTIONS] SPEC [-- CMD...]   unpack (or find) SPEC, print JSON:
 *       {"rootfs": "/abs/path", "id": "<key>", "unpacked": true|false, "platform": "linux/amd64",
 *        "entrypoint": [..]|null, "cmd": [..]|null, "env": [..]|null,
 *        "workdir": ".."|null, "user": ".."|null}
 *     with CMD: run it while holding the entry's shared lock (as a VM would),
 *     exit with its status
 *   qpod-pack [--cache DIR] --cache-ls
 *   qpod-pack [--cache DIR] --cache-prune [--older-than SECONDS]
 * Options: --cache DIR, --platform OS/ARCH[/VARIANT], --max-bytes N[KMG],
 *          --max-entries N, --progress / --no-progress (default: if stderr
 *          is a terminal); for images skopeo fetches: --pull missing|always|never,
 *          --tls-verify[=true|false], --creds USER --password-stdin, --authfile FILE,
 *          --pull-timeout SECONDS.
 * Exit: 0, 125 when the image cannot be used (the runner's code; one line on
 * stderr says why), 2 for usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json.h"
#include "packer.h"

static void usage(void)
{
	fputs("usage: qpod-pack [--cache DIR] [--platform P] [--max-bytes N[KMG]] [--max-entries N]\n"
	      "                 [--progress|--no-progress] [--pull missing|always|never]\n"
	      "                 [--tls-verify=false] [--creds USER --password-stdin] [--authfile FILE]\n"
	      "                 [--pull-timeout SECONDS] SPEC [-- CMD...]\n"
	      "       qpod-pack [--cache DIR] --cache-ls\n"
	      "       qpod-pack [--cache DIR] --cache-prune [--older-than SECONDS]\n"
	      "SPEC is ARCHIVE[:NAME] or DIR[:NAME] (docker save / OCI archive or layout directory),\n"
	      "docker://REGISTRY/NAME[:TAG|@DIGEST], oci:DIR[:REF], oci-archive:FILE[:REF],\n"
	      "docker-archive:FILE[:REF], containers-storage:[ROOT]NAME, dir:DIR, or NAME[:TAG].\n", stderr);
	exit(2);
}

static uint64_t number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (errno || end == s || *end || s[0] == '-' || (shift && v > (~0ull >> shift))) {
		fprintf(stderr, "qpod-pack: bad number \"%s\"\n", s);
		exit(2);
	}
	return (uint64_t)v << shift;
}

static int print_image(const struct image *img)
{
	struct jw w;
	const char *out;
	size_t len;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "rootfs", img->rootfs);
	jw_kv_str(&w, "id", img->id);
	jw_kv_bool(&w, "unpacked", img->unpacked);
	jw_kv_str(&w, "platform", img->platform);
	jw_kv_strv(&w, "entrypoint", img->config.entrypoint);
	jw_kv_strv(&w, "cmd", img->config.cmd);
	jw_kv_strv(&w, "env", img->config.env);
	jw_kv_str(&w, "workdir", img->config.workdir);
	jw_kv_str(&w, "user", img->config.user);
	jw_end(&w);
	int r = jw_done(&w, &out, &len);
	if (r == 0)
		printf("%s\n", out);
	jw_free(&w);
	return r;
}

static int run_holding(char **argv)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "qpod-pack: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

enum { O_LS = 256, O_PRUNE, O_OLDER, O_PROGRESS, O_NOPROGRESS, O_ENTRIES, O_PULL, O_TLS, O_CREDS, O_PASSWORD,
       O_AUTHFILE, O_PULLTIMEOUT };

static bool boolean(const char *flag, const char *v)
{
	if (!v || !strcmp(v, "true"))
		return true;
	if (!strcmp(v, "false"))
		return false;
	fprintf(stderr, "qpod-pack: %s=%s: expected true or false\n", flag, v);
	exit(2);
}

/* Options into po; returns the mode (0: pack, O_LS, O_PRUNE). */
static int parse(int argc, char **argv, struct pack_opts *po, uint64_t *older)
{
	static const struct option opts[] = {
		{ "cache", required_argument, NULL, 'c' }, { "platform", required_argument, NULL, 'p' },
		{ "max-bytes", required_argument, NULL, 'm' }, { "max-entries", required_argument, NULL, O_ENTRIES },
		{ "cache-ls", no_argument, NULL, O_LS }, { "cache-prune", no_argument, NULL, O_PRUNE },
		{ "older-than", required_argument, NULL, O_OLDER }, { "progress", no_argument, NULL, O_PROGRESS },
		{ "no-progress", no_argument, NULL, O_NOPROGRESS }, { "help", no_argument, NULL, 'h' },
		{ "pull", required_argument, NULL, O_PULL }, { "tls-verify", optional_argument, NULL, O_TLS },
		{ "creds", required_argument, NULL, O_CREDS }, { "password-stdin", no_argument, NULL, O_PASSWORD },
		{ "authfile", required_argument, NULL, O_AUTHFILE },
		{ "pull-timeout", required_argument, NULL, O_PULLTIMEOUT }, { 0 },
	};
	static char pair[4400];
	const char *user = NULL;
	bool password = false;
	int mode = 0, c;
	while ((c = getopt_long(argc, argv, "+c:p:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': po->cache_dir = optarg; break;
		case 'p': po->platform = optarg; break;
		case 'm': po->max_bytes = number(optarg); break;
		case O_ENTRIES: po->max_entries = number(optarg); break;
		case O_LS: case O_PRUNE: mode = c; break;
		case O_OLDER: *older = number(optarg); break;
		case O_PROGRESS: po->progress = true; break;
		case O_NOPROGRESS: po->progress = false; break;
		case O_PULL:
			if (pack_pull_parse(optarg, &po->pull) < 0) {
				fprintf(stderr, "qpod-pack: --pull %s: expected missing, always or never\n", optarg);
				exit(2);
			}
			break;
		case O_TLS: po->no_tls_verify = !boolean("--tls-verify", optarg); break;
		case O_CREDS: user = optarg; break;
		case O_PASSWORD: password = true; break;
		case O_AUTHFILE: po->authfile = optarg; break;
		case O_PULLTIMEOUT: {
			uint64_t t = number(optarg);
			if (t == 0 || t > 86400) {
				fprintf(stderr, "qpod-pack: --pull-timeout %s: expected 1 to 86400 seconds\n", optarg);
				exit(2);
			}
			po->pull_timeout = (unsigned)t;
			break;
		}
		default: usage();
		}
	}
	struct qerr err;
	if (!user != !password) {
		fprintf(stderr, "qpod-pack: --creds USER and --password-stdin go together\n");
		exit(2);
	}
	if (user && pack_creds(user, 0, pair, sizeof pair, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		exit(125);
	}
	po->creds = user ? pair : NULL;
	return mode;
}

static int cache_cmd(int mode, const struct pack_opts *po, uint64_t older)
{
	struct qerr err = { 0 };
	int r = mode == O_LS ? cache_list(po, stdout, &err) : cache_prune(po, older, stdout, &err);
	if (r < 0)
		fprintf(stderr, "qpod: %s\n", err.msg);
	return r < 0 ? 125 : 0;
}

int main(int argc, char **argv)
{
	struct pack_opts po = { .progress = isatty(2) };
	uint64_t older = 0;
	int mode = parse(argc, argv, &po, &older);
	if (mode)
		return optind == argc ? cache_cmd(mode, &po, older) : (usage(), 2);
	if (optind >= argc)
		usage();
	const char *spec = argv[optind++];
	if (optind < argc && strcmp(argv[optind++], "--"))
		usage();
	struct qerr err = { 0 };
	struct image img;
	if (pack_image(spec, &po, &img, &err) < 0) {
		fprintf(stderr, "qpod: %s\n", err.msg);
		return 125;
	}
	int rc = print_image(&img) < 0 ? 125 : 0;
	if (rc == 0 && optind < argc)
		rc = run_holding(argv + optind);
	image_free(&img);
	return rc;
}
