/*
 * opts.c: the command line, with docker run's meaning for the flags both
 * share. Options end at IMAGE; what follows is the command. Every bad flag
 * gets one line naming it (exit 125, as docker does for its own errors).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"

void usage(FILE *f)
{
	fputs("usage: run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	      "       run --cache ls|prune\n"
	      "Run COMMAND in a fresh qemu VM from IMAGE: a docker-save or OCI archive\n"
	      "(ARCHIVE or ARCHIVE:REPO:TAG; .tar, .tar.gz, .tar.zst) or a root directory.\n"
	      "\n"
	      "  -e, --env KEY=VALUE     set an environment variable (KEY alone: the host's value)\n"
	      "  -w, --workdir DIR       working directory in the VM (created if missing)\n"
	      "  -u, --user USER[:GROUP] user name or uid, from the image's /etc/passwd\n"
	      "  -i, --interactive       forward stdin (default: /dev/null)\n"
	      "  -t, --tty               run on a terminal: raw mode, window size, one stream\n"
	      "      --entrypoint CMD    replace the image's entrypoint (and its default command)\n"
	      "  -v, --volume HOST:GUEST[:ro]  share a host directory (9p)\n"
	      "  -m, --memory SIZE       guest memory (bytes, or with k, m, g; default vm.conf)\n"
	      "      --cpus N            vCPUs (default vm.conf)\n"
	      "      --timeout SECONDS   kill the VM after this long; exit 124\n"
	      "      --accel auto|kvm|tcg  accelerator (auto: KVM only where it works)\n"
	      "      --boot fwcfg|cbfs   firmware path: qboot + fw_cfg, or a CBFS flash image\n"
	      "      --console FILE      keep the guest console log in FILE\n"
	      "      --kernel FILE       boot this kernel instead of the built one\n"
	      "      --initrd FILE       boot this initrd instead of the built one\n"
	      "      --platform OS/ARCH  image platform to pick (default linux/amd64)\n"
	      "      --max-bytes SIZE    refuse an image layer or file larger than this unpacked\n"
	      "                          (k, m, g; default 16g)\n"
	      "      --timings           print how long each phase took (stderr)\n"
	      "      --result FILE       write the outcome as JSON to FILE\n"
	      "      --debug             verbose guest console (kernel and hyperstart)\n"
	      "      --cache ls|prune    list cached images, or remove those not in use\n"
	      "  -h, --help              this text\n"
	      "      --version           qpod and protocol versions\n"
	      "\n"
	      "Exit status: the command's; 128+N if signal N killed it; 126 not executable;\n"
	      "127 not found; 124 timed out; 125 qpod failed (reason on stderr).\n", f);
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "qpod: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return -EINVAL;
}

/* A size in bytes: a number with an optional b, k, m or g. */
static int parse_bytes(const char *s, double *bytes)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	double mul = 1;
	switch (*end | 0x20) {
	case 'k': mul = 1024.0; end++; break;
	case 'm': mul = 1024.0 * 1024; end++; break;
	case 'g': mul = 1024.0 * 1024 * 1024; end++; break;
	case 'b': end++; break;
	case ' ': break; /* '\0' | 0x20 */
	default: return -EINVAL;
	}
	if ((*end | 0x20) == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*bytes = v * mul;
	return 0;
}

static int parse_size_mb(const char *s, long *mb)
{
	double bytes;
	if (parse_bytes(s, &bytes) < 0 || bytes < 64.0 * 1024 * 1024 || bytes > 1024.0 * 1024 * 1024 * 1024)
		return -ERANGE;
	*mb = (long)(bytes / (1024 * 1024));
	return 0;
}

static int add_volume(struct opts *o, const char *spec)
{
	char *copy = strdup(spec), *host = copy, *guest, *mode;
	struct stat st;
	int e = -EINVAL;
	if (!copy || !(guest = strchr(copy, ':'))) {
		bad("--volume %s: expected HOST:GUEST[:ro]", spec);
		goto out;
	}
	*guest++ = '\0';
	if ((mode = strchr(guest, ':')))
		*mode++ = '\0';
	if (mode && strcmp(mode, "ro") && strcmp(mode, "rw")) {
		bad("--volume %s: mode must be ro or rw", spec);
		goto out;
	}
	if (guest[0] != '/' || !strcmp(guest, "/") || strstr(guest, "/../") ||
	    (strlen(guest) >= 3 && !strcmp(guest + strlen(guest) - 3, "/.."))) {
		bad("--volume %s: the guest path must be absolute, not /, without ..", spec);
		goto out;
	}
	char *real = realpath(host, NULL);
	if (!real || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(real);
		bad("--volume %s: the host path must be an existing directory", spec);
		goto out;
	}
	struct volume *v = realloc(o->vols, (o->nvols + 1) * sizeof *v);
	if (!v) {
		free(real);
		goto out;
	}
	o->vols = v;
	v[o->nvols++] = (struct volume){ .host = real, .guest = strdup(guest),
					  .read_only = mode && !strcmp(mode, "ro") };
	e = 0;
out:
	free(copy);
	return e;
}

static int add_env(struct opts *o, const char *kv)
{
	char *entry;
	if (!*kv || *kv == '=')
		return bad("--env %s: needs a name", kv);
	if (strchr(kv, '=')) {
		entry = strdup(kv);
	} else {
		const char *v = getenv(kv);
		if (!v)
			return 0; /* docker leaves out a name the host does not have */
		if (asprintf(&entry, "%s=%s", kv, v) < 0)
			entry = NULL;
	}
	char **env = realloc(o->env, (o->nenv + 2) * sizeof *env);
	if (env)
		o->env = env; /* even without entry: the old vector may be gone */
	if (!entry || !env) {
		free(entry);
		return -ENOMEM;
	}
	env[o->nenv++] = entry;
	env[o->nenv] = NULL;
	return 0;
}

void opts_free(struct opts *o)
{
	for (size_t i = 0; i < o->nenv; i++)
		free(o->env[i]);
	for (size_t i = 0; i < o->nvols; i++) {
		free(o->vols[i].host);
		free(o->vols[i].guest);
	}
	free(o->env);
	free(o->vols);
	memset(o, 0, sizeof *o);
}

static int number(const char *flag, const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "qpod: %s %s: expected a number from %g to %g (see --help)\n", flag, s, min, max);
		return -EINVAL;
	}
	return 0;
}

enum { O_ENTRYPOINT = 256, O_CPUS, O_TIMEOUT, O_ACCEL, O_BOOT, O_CONSOLE, O_KERNEL, O_INITRD,
       O_PLATFORM, O_MAXBYTES, O_RESULT, O_TIMINGS, O_DEBUG, O_CACHE, O_VERSION };

static const struct option longopts[] = {
	{ "env", required_argument, NULL, 'e' },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "volume", required_argument, NULL, 'v' },
	{ "memory", required_argument, NULL, 'm' },
	{ "help", no_argument, NULL, 'h' },
	{ "entrypoint", required_argument, NULL, O_ENTRYPOINT },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "accel", required_argument, NULL, O_ACCEL },
	{ "boot", required_argument, NULL, O_BOOT },
	{ "console", required_argument, NULL, O_CONSOLE },
	{ "kernel", required_argument, NULL, O_KERNEL },
	{ "initrd", required_argument, NULL, O_INITRD },
	{ "platform", required_argument, NULL, O_PLATFORM },
	{ "max-bytes", required_argument, NULL, O_MAXBYTES },
	{ "result", required_argument, NULL, O_RESULT },
	{ "timings", no_argument, NULL, O_TIMINGS },
	{ "debug", no_argument, NULL, O_DEBUG },
	{ "cache", required_argument, NULL, O_CACHE },
	{ "version", no_argument, NULL, O_VERSION },
	{ 0 }
};

static int one_of(const char *flag, const char *v, const char *a, const char *b, const char *c)
{
	if (!strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c)))
		return 0;
	fprintf(stderr, "qpod: %s %s: expected %s, %s%s%s (see --help)\n", flag, v, a, b, c ? " or " : "",
		c ? c : "");
	return -EINVAL;
}

/* Returns 0 to run, 1 when --help/--version was answered, -errno on a bad flag. */
int opts_parse(int argc, char **argv, struct opts *o)
{
	double d;
	int c, e = 0;
	opterr = 0;
	while (!e && (c = getopt_long(argc, argv, "+:e:w:u:itv:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': e = add_env(o, optarg); break;
		case 'w':
			if (optarg[0] != '/')
				e = bad("--workdir %s: must be an absolute path", optarg);
			o->workdir = optarg;
			break;
		case 'u': o->user = optarg; break;
		case 'i': o->interactive = true; break;
		case 't': o->tty = true; break;
		case 'v': e = add_volume(o, optarg); break;
		case 'm':
			if (parse_size_mb(optarg, &o->memory_mb) < 0)
				e = bad("--memory %s: expected 64m..1024g (a number with b, k, m or g)", optarg);
			break;
		case 'h': usage(stdout); return 1;
		case O_ENTRYPOINT: o->entrypoint = optarg; o->entrypoint_set = true; break;
		case O_CPUS:
			if (!(e = number("--cpus", optarg, 0.01, 64, &d)))
				o->cpus = (long)d + (d > (long)d);
			break;
		case O_TIMEOUT:
			if (!(e = number("--timeout", optarg, 0.001, 1e7, &d)))
				o->timeout = d;
			break;
		case O_ACCEL: e = one_of("--accel", optarg, "auto", "kvm", "tcg"); o->accel = optarg; break;
		case O_BOOT: e = one_of("--boot", optarg, "fwcfg", "cbfs", NULL); o->boot = optarg; break;
		case O_CONSOLE: o->console = optarg; break;
		case O_KERNEL: o->kernel = optarg; break;
		case O_INITRD: o->initrd = optarg; break;
		case O_PLATFORM: o->platform = optarg; break;
		case O_MAXBYTES:
			if (parse_bytes(optarg, &d) < 0 || d < 1)
				e = bad("--max-bytes %s: expected a size (a number with b, k, m or g)", optarg);
			o->max_bytes = (uint64_t)d;
			break;
		case O_RESULT: o->result = optarg; break;
		case O_TIMINGS: o->timings = true; break;
		case O_DEBUG: o->debug = true; break;
		case O_CACHE: e = one_of("--cache", optarg, "ls", "prune", NULL); o->cache_cmd = optarg; break;
		case O_VERSION:
			printf("qpod %s (protocol %u)\n", QPOD_VERSION, QP_VERSION);
			return 1;
		case ':':
			return bad("%s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return bad("-%c: unknown flag", (char[]){ (char)optopt, 0 });
			return bad("%s: unknown flag", argv[optind - 1]);
		}
	}
	if (e)
		return e;
	if (o->cache_cmd)
		return optind == argc ? 0 : bad("--cache %s takes no image or command", o->cache_cmd);
	if (optind == argc)
		return bad("%s", "no IMAGE given");
	o->image = argv[optind];
	o->cmd = argv + optind + 1;
	return 0;
}
