/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flags.c: the table of run's flags (flags.h), one row per flag, in
 * --help's order, with the handlers of the flags whose value takes a line
 * or two; the longer value parsers are optval.c's and optdetach.c's. A new
 * flag is a new row: the parser, --help, `qpod bundle` and test/flags.bats
 * follow. Handlers check a value with docker's meaning and say what is
 * wrong in one line (the caller exits 125).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "packer.h"
#include "runner.h"
#include "sig.h"

static int set_workdir(struct opts *o, const char *v)
{
	o->workdir = (char *)v;
	return v[0] == '/' ? 0 : opt_bad("--workdir %s: must be an absolute path", v);
}

static int set_entrypoint(struct opts *o, const char *v)
{
	o->entrypoint = (char *)v;
	o->entrypoint_set = true;
	return 0;
}

/* A size flag's value: at least min bytes, else bad (its %s: the value). */
static int set_size(const char *v, double min, const char *bad, uint64_t *out)
{
	double d;
	if (opt_parse_bytes(v, &d) < 0 || d < min)
		return opt_bad(bad, v);
	*out = (uint64_t)d;
	return 0;
}

static int set_shm_size(struct opts *o, const char *v)
{
	return set_size(v, 4096, "--shm-size %s: expected a size of at least 4k (with b, k, m or g)", &o->shm_size);
}

static int set_umask(struct opts *o, const char *v)
{
	char *end;
	long m = strtol(v, &end, 8);
	if (!*v || *end || m < 0 || m > 0777)
		return opt_bad("--umask %s: expected an octal mask from 0000 to 0777", v);
	o->umask = (int)m;
	return 0;
}

static int set_memory(struct opts *o, const char *v)
{
	if (!strcmp(v, "0")) {
		o->memory_mb = 0; /* docker: no limit given; the VM's default */
		return 0;
	}
	if (opt_parse_size_mb(v, &o->memory_mb) == 0)
		return 0;
	fprintf(stderr, "qpod: --memory %s: expected %dm..%ldg (a number with b, k, m or g) (see --help)\n", v,
		OPT_MEMORY_MIN_MB, OPT_MEMORY_MAX_MB / 1024);
	return -EINVAL;
}

static int set_cpus(struct opts *o, const char *v)
{
	double d;
	if (opt_number("--cpus", v, 0.01, 64, &d))
		return -EINVAL;
	o->cpus = (long)d + (d > (long)d);
	return 0;
}

static int set_network(struct opts *o, const char *v)
{
	o->network_set = true;
	if (!strcmp(v, "user:allow_host_loopback=true") || !strcmp(v, "user:allow_host_loopback=false")) {
		o->network = true;
		o->host_loopback = !strcmp(v + strlen("user:allow_host_loopback="), "true");
		return 0;
	}
	o->network = !strcmp(v, "user");
	return opt_one_of("--network", v, "user", "none", NULL);
}

static int set_timeout(struct opts *o, const char *v)
{
	return opt_number("--timeout", v, 0.001, 1e7, &o->timeout);
}

/* The --health-* flags: opt_health knows each by its name after "--health-". */
static int health_cmd(struct opts *o, const char *v) { return opt_health(o, "cmd", v); }
static int health_interval(struct opts *o, const char *v) { return opt_health(o, "interval", v); }
static int health_timeout(struct opts *o, const char *v) { return opt_health(o, "timeout", v); }
static int health_start_period(struct opts *o, const char *v) { return opt_health(o, "start-period", v); }
static int health_start_interval(struct opts *o, const char *v) { return opt_health(o, "start-interval", v); }
static int health_retries(struct opts *o, const char *v) { return opt_health(o, "retries", v); }

static int set_stop_signal(struct opts *o, const char *v)
{
	if ((o->stop_signal = sig_parse(v)) < 0)
		return opt_bad("--stop-signal %s: not a signal name or number", v);
	return 0;
}

static int set_stop_timeout(struct opts *o, const char *v)
{
	return opt_number("--stop-timeout", v, 0, 1e6, &o->stop_timeout);
}

static int set_log_max(struct opts *o, const char *v)
{
	return set_size(v, 8192, "--log-max-size %s: expected a size of at least 8k", &o->log_max);
}

static int set_accel(struct opts *o, const char *v)
{
	o->accel = (char *)v;
	return opt_one_of("--accel", v, "auto", "kvm", "tcg");
}

static int set_boot(struct opts *o, const char *v)
{
	o->boot = (char *)v;
	return opt_one_of("--boot", v, "fwcfg", "cbfs", NULL);
}

static int set_max_bytes(struct opts *o, const char *v)
{
	return set_size(v, 1, "--max-bytes %s: expected a size (a number with b, k, m or g)", &o->max_bytes);
}

static int set_pull(struct opts *o, const char *v)
{
	enum pack_pull p;
	if (pack_pull_parse(v, &p) < 0)
		return opt_bad("--pull %s: expected missing, always or never", v);
	o->pull = (int)p;
	return 0;
}

static int set_tls_verify(struct opts *o, const char *v)
{
	bool verify;
	if (opt_bool("tls-verify", v, &verify))
		return -EINVAL;
	o->no_tls_verify = !verify;
	return 0;
}

static int set_creds(struct opts *o, const char *v)
{
	return opt_creds(v, &o->creds);
}

static int set_cache(struct opts *o, const char *v)
{
	o->cache_cmd = (char *)v;
	return opt_one_of("--cache", v, "ls", "prune", NULL);
}

/* --help: what IMAGE may be, the table's rows, the exit statuses. */
static void usage(FILE *f)
{
	fputs("usage: qpod run [OPTIONS] IMAGE [COMMAND [ARG...]]   (./run is qpod run)\n"
	      "       qpod run --cache ls|prune\n"
	      "Run COMMAND in a fresh qemu VM from IMAGE: a docker-save or OCI archive\n"
	      "(ARCHIVE or ARCHIVE:REPO:TAG; .tar, .tar.gz, .tar.zst; - reads it from stdin),\n"
	      "an OCI layout or docker-save directory (DIR or DIR:REF), a registry image\n"
	      "(NAME[:TAG|@DIGEST], docker://...), one of skopeo's oci:, oci-archive:,\n"
	      "docker-archive:, containers-storage:, dir: names, a root directory, or a bundle\n"
	      "made by `qpod bundle` (its own kernel and root).\n"
	      "\n", f);
	flags_help(f, -1);
	fputs("Long flags are never abbreviated; --flag=VALUE and -fVALUE work as in docker.\n"
	      "\n"
	      "Exit status: the command's; 128+N if signal N killed it; 126 not executable;\n"
	      "127 not found; 124 timed out; 125 qpod failed (reason on stderr).\n", f);
}

static int show_help(struct opts *o, const char *v)
{
	(void)o, (void)v;
	usage(stdout);
	return 1;
}

static int show_version(struct opts *o, const char *v)
{
	(void)o, (void)v;
	printf("qpod %s (protocol %u)\n", QPOD_VERSION, QP_VERSION);
	return 1;
}

#define F(m) offsetof(struct opts, m)
#define BAKE(key) BUNDLE_BAKE, key

const struct run_flag run_flags[] = {
	{ "env", 'e', ARG_VALUE, "KEY=VALUE", "set an environment variable (KEY alone: the host's value,\n"
	  "or KEY removed when the host has none)", BAKE("env"), opt_add_env, 0 },
	{ "env-file", 0, ARG_VALUE, "FILE", "KEY=VALUE lines (docker's format), before any -e", BAKE("env"),
	  opt_env_file, 0 },
	{ "workdir", 'w', ARG_VALUE, "DIR", "working directory in the VM (created if missing)", BAKE("workdir"),
	  set_workdir, 0 },
	{ "user", 'u', ARG_VALUE, "USER[:GROUP]", "user name or uid, from the image's /etc/passwd; a group\n"
	  "given is the only group", BAKE("user"), opt_set_user, 0 },
	{ "group-add", 0, ARG_VALUE, "GROUP", "an additional group (name or gid)", BUNDLE_REFUSE, NULL, opt_add_group, 0 },
	{ "interactive", 'i', ARG_BOOL, NULL, "forward stdin (default: /dev/null)", BUNDLE_REFUSE, NULL, NULL,
	  F(interactive) },
	{ "tty", 't', ARG_BOOL, NULL, "run on a terminal: raw mode, window size, one stream", BUNDLE_REFUSE, NULL,
	  NULL, F(tty) },
	{ "entrypoint", 0, ARG_VALUE, "CMD", "replace the image's entrypoint (and its default command)",
	  BAKE("entrypoint"), set_entrypoint, 0 },
	{ "volume", 'v', ARG_VALUE, "HOST:GUEST[:ro|:rw]", "share a host directory or file (9p)", BUNDLE_REFUSE, NULL,
	  opt_add_volume, 0 },
	{ "tmpfs", 0, ARG_VALUE, "PATH[:OPTS]", "mount a tmpfs (mount(8)'s tmpfs options)", BUNDLE_REFUSE, NULL,
	  opt_add_tmpfs, 0 },
	{ "read-only", 0, ARG_BOOL, NULL, "the root filesystem is read-only (volumes, --tmpfs, /dev stay)",
	  BUNDLE_REFUSE, NULL, NULL, F(read_only) },
	{ "shm-size", 0, ARG_VALUE, "SIZE", "size of /dev/shm (default 64m)", BUNDLE_REFUSE, NULL, set_shm_size, 0 },
	{ "ulimit", 0, ARG_VALUE, "NAME=SOFT[:HARD]", "a resource limit (nofile defaults to 1048576)", BUNDLE_REFUSE,
	  NULL, opt_add_ulimit, 0 },
	{ "umask", 0, ARG_VALUE, "MASK", "the command's umask (octal, default 0022)", BUNDLE_REFUSE, NULL, set_umask,
	  0 },
	{ "memory", 'm', ARG_VALUE, "SIZE", "guest memory (bytes, or with k, m, g; 0 or none: vm.conf)",
	  BAKE("memory"), set_memory, 0 },
	{ "cpus", 0, ARG_VALUE, "N", "vCPUs (default vm.conf)", BAKE("cpus"), set_cpus, 0 },
	{ "network", 0, ARG_VALUE, "user|none", "network: user-mode NAT to the outside (default), or loopback\n"
	  "only; user:allow_host_loopback=true also reaches the host's\n"
	  "127.0.0.1 at 10.0.2.2 (host.containers.internal)", BAKE("network"), set_network, 0 },
	{ "publish", 'p', ARG_VALUE, "[IP:]HOSTPORT:GUESTPORT[/tcp|/udp]", "forward a host port into the VM; without\n"
	  "IP on every host address, as docker does", BAKE("publish"), opt_add_publish, 0 },
	{ "hostname", 'h', ARG_VALUE, "NAME", "the VM's hostname (default: a random id)", BUNDLE_REFUSE, NULL,
	  opt_set_hostname, 0 },
	{ "dns", 0, ARG_VALUE, "IP", "nameserver for /etc/resolv.conf (default: qemu's, 10.0.2.3)", BUNDLE_REFUSE,
	  NULL, opt_add_dns, 0 },
	{ "add-host", 0, ARG_VALUE, "NAME:IP", "add a line to /etc/hosts (IP host-gateway: the host's\n"
	  "loopback, which the VM then reaches)", BUNDLE_REFUSE, NULL, opt_add_host, 0 },
	{ "timeout", 0, ARG_VALUE, "SECONDS", "kill the VM after this long; exit 124", BUNDLE_REFUSE, NULL,
	  set_timeout, 0 },
	{ "sig-proxy", 0, ARG_BOOL, "=false", "do not forward signals: they end qpod and the VM", BUNDLE_REFUSE,
	  NULL, NULL, F(sig_proxy) },
	{ "detach", 'd', ARG_BOOL, NULL, "keep the VM running in the background; print its id", BUNDLE_REFUSE, NULL,
	  NULL, F(detach) },
	{ "name", 0, ARG_VALUE, "NAME", "name the VM, detached or not (default: a generated one);\n"
	  "qpod ps, exec, stop, kill reach it by NAME", BUNDLE_REFUSE, NULL, opt_set_name, 0 },
	{ "attach", 'a', ARG_VALUE, "STREAM", "STDIN, STDOUT or STDERR: show only these (default: all)",
	  BUNDLE_REFUSE, NULL, opt_attach, 0 },
	{ "label", 'l', ARG_VALUE, "KEY=VALUE", "a label (inspect's Config.Labels, ps --filter label=)",
	  BUNDLE_REFUSE, NULL, opt_add_label, 0 },
	{ "health-cmd", 0, ARG_VALUE, "CMD", "a health check run in the VM (sh -c CMD; exit 0: healthy),\n"
	  "over the image's HEALTHCHECK, as the timing flags below are", BUNDLE_REFUSE, NULL, health_cmd, 0 },
	{ "health-interval", 0, ARG_VALUE, "DURATION", "between checks (default 30s)", BUNDLE_REFUSE, NULL,
	  health_interval, 0 },
	{ "health-timeout", 0, ARG_VALUE, "DURATION", "a check's limit (default 30s)", BUNDLE_REFUSE, NULL,
	  health_timeout, 0 },
	{ "health-start-period", 0, ARG_VALUE, "DURATION", "failures do not count before this (default 0s)",
	  BUNDLE_REFUSE, NULL, health_start_period, 0 },
	{ "health-start-interval", 0, ARG_VALUE, "DURATION", "between checks in the start period (default 5s)",
	  BUNDLE_REFUSE, NULL, health_start_interval, 0 },
	{ "health-retries", 0, ARG_VALUE, "N", "failures in a row that make it unhealthy (default 3)", BUNDLE_REFUSE,
	  NULL, health_retries, 0 },
	{ "no-healthcheck", 0, ARG_NONE, NULL, "run no health check, not even the image's", BUNDLE_REFUSE, NULL, NULL,
	  F(no_healthcheck) },
	{ "sdnotify", 0, ARG_VALUE, "conmon|healthy|ignore", "with $NOTIFY_SOCKET (systemd Type=notify):\n"
	  "READY=1 once the command runs (conmon), or once healthy", BUNDLE_REFUSE, NULL, opt_sdnotify, 0 },
	{ "restart", 0, ARG_VALUE, "POLICY", "no, on-failure[:N], always or unless-stopped", BUNDLE_REFUSE, NULL,
	  opt_set_restart, 0 },
	{ "stop-signal", 0, ARG_VALUE, "SIG", "the signal a stop sends first (default: the image's, or TERM)",
	  BUNDLE_REFUSE, NULL, set_stop_signal, 0 },
	{ "stop-timeout", 0, ARG_VALUE, "S", "seconds from the stop signal to SIGKILL (default 10)", BUNDLE_REFUSE,
	  NULL, set_stop_timeout, 0 },
	{ "log-max-size", 0, ARG_VALUE, "SIZE", "a detached VM's log bound (default 10m)", BUNDLE_REFUSE, NULL,
	  set_log_max, 0 },
	{ "rm", 0, ARG_BOOL, NULL, "with -d: remove the VM once it ends (a foreground run\n"
	  "always is)", BUNDLE_REFUSE, NULL, NULL, F(rm) },
	{ "init", 0, ARG_BOOL, NULL, "with -d: the command is not PID 1 of a PID namespace of\n"
	  "its own; hyperstart reaps and signals reach it as docker's\n"
	  "--init (tini) has them (a foreground run's never is)", BUNDLE_REFUSE, NULL, NULL, F(init) },
	{ "accel", 0, ARG_VALUE, "auto|kvm|tcg", "accelerator (auto: KVM only where it works)", BUNDLE_REFUSE, NULL,
	  set_accel, 0 },
	{ "boot", 0, ARG_VALUE, "fwcfg|cbfs", "firmware path: qboot + fw_cfg, or a CBFS flash image", BUNDLE_REFUSE,
	  NULL, set_boot, 0 },
	{ "no-snapshot", 0, ARG_NONE, NULL, "boot cold: no VM template is restored or saved (also\n"
	  "QPOD_NO_SNAPSHOT=1). By default a run restores the saved\n"
	  "template of its kind of VM (kernel, initrd, firmware,\n"
	  "qemu, memory, vCPUs, network on/off, number of volumes;\n"
	  "an image's own, with its root mounted) from the cache's\n"
	  "templates/, or boots cold and saves it (qpod warm saves\n"
	  "one ahead); KVM and --boot cbfs always boot cold, and so\n"
	  "does a run whose template fails", BUNDLE_REFUSE, NULL, NULL, F(no_snapshot) },
	{ "console", 0, ARG_VALUE, "FILE", "keep the guest console log in FILE", BUNDLE_REFUSE, NULL, NULL, F(console) },
	{ "kernel", 0, ARG_VALUE, "FILE", "boot this kernel instead of the built one", BUNDLE_REFUSE, NULL, NULL,
	  F(kernel) },
	{ "initrd", 0, ARG_VALUE, "FILE", "boot this initrd instead of the built one", BUNDLE_REFUSE, NULL, NULL,
	  F(initrd) },
	{ "platform", 0, ARG_VALUE, "OS/ARCH", "image platform to pick, and the guest that boots (default:\n"
	  "the host's, or an image's only one; linux/amd64, linux/arm64)", BUNDLE_IMAGE, NULL, NULL, F(platform) },
	{ "max-bytes", 0, ARG_VALUE, "SIZE", "refuse an image layer or file larger than this unpacked\n"
	  "(k, m, g; default 16g)", BUNDLE_IMAGE, NULL, set_max_bytes, 0 },
	{ "pull", 0, ARG_VALUE, "missing|always|never", "use the cached image of a reference (missing,\n"
	  "the default), ask the registry first, or never pull", BUNDLE_IMAGE, NULL, set_pull, 0 },
	{ "tls-verify", 0, ARG_BOOL, "=false", "plain HTTP or unverified TLS to the registry", BUNDLE_IMAGE, NULL,
	  set_tls_verify, 0 },
	{ "creds", 0, ARG_VALUE, "USER", "registry credentials: USER, with --password-stdin", BUNDLE_IMAGE, NULL,
	  set_creds, 0 },
	{ "password-stdin", 0, ARG_NONE, NULL, "the --creds password from stdin's first line", BUNDLE_IMAGE, NULL, NULL,
	  F(password_stdin) },
	{ "authfile", 0, ARG_VALUE, "FILE", "an auth.json (default: REGISTRY_AUTH_FILE, then skopeo's own)",
	  BUNDLE_IMAGE, NULL, NULL, F(authfile) },
	{ "verify-key", 0, ARG_VALUE, "PUBKEY", "IMAGE must be a bundle signed by this ssh key (APP.qpod.sig)",
	  BUNDLE_REFUSE, NULL, NULL, F(verify_key) },
	{ "timings", 0, ARG_NONE, NULL, "print how long each phase took (stderr)", BUNDLE_REFUSE, NULL, NULL,
	  F(timings) },
	{ "result", 0, ARG_VALUE, "FILE", "write the outcome as JSON to FILE", BUNDLE_REFUSE, NULL, NULL, F(result) },
	{ "debug", 0, ARG_NONE, NULL, "verbose guest console (kernel and hyperstart)", BUNDLE_REFUSE, NULL, NULL,
	  F(debug) },
	{ "cache", 0, ARG_VALUE, "ls|prune", "list cached images, or remove those not in use", BUNDLE_REFUSE, NULL,
	  set_cache, 0 },
	{ "help", 0, ARG_NONE, NULL, "this text", BUNDLE_ANSWER, NULL, show_help, 0 },
	{ "version", 0, ARG_NONE, NULL, "qpod and protocol versions", BUNDLE_ANSWER, NULL, show_version, 0 },
};

const size_t run_nflags = sizeof run_flags / sizeof *run_flags;

const struct option *flags_getopt(const char **shortopts)
{
	static struct option longopts[sizeof run_flags / sizeof *run_flags + 1];
	static char shorts[2 + 2 * sizeof run_flags / sizeof *run_flags + 1] = "+:";
	static const int has_arg[] = { [ARG_NONE] = no_argument, [ARG_VALUE] = required_argument,
				       [ARG_BOOL] = optional_argument };
	if (!longopts[0].name) {
		char *s = shorts + 2;
		for (size_t i = 0; i < run_nflags; i++) {
			const struct run_flag *r = &run_flags[i];
			longopts[i] = (struct option){ r->name, has_arg[r->arg], NULL, 256 + (int)i };
			if (r->short_name)
				s = stpcpy(s, (char[]){ r->short_name, r->arg == ARG_VALUE ? ':' : '\0', '\0' });
		}
	}
	*shortopts = shorts;
	return longopts;
}

const struct run_flag *flags_row(int c)
{
	if (c >= 256)
		return (size_t)c - 256 < run_nflags ? &run_flags[c - 256] : NULL;
	for (size_t i = 0; c > 0 && i < run_nflags; i++)
		if (run_flags[i].short_name == c)
			return &run_flags[i];
	return NULL;
}

int flags_apply(struct opts *o, const struct run_flag *r, const char *v)
{
	char *field = (char *)o + r->field;
	if (r->set)
		return r->set(o, v);
	if (r->arg == ARG_VALUE) {
		memcpy(field, &v, sizeof v); /* a char * member */
		return 0;
	}
	return opt_bool(r->name, v, (bool *)field);
}

/* "  -e, --env KEY=VALUE", padded to the help's column, or on a line of its
 * own when it is wider; then the help, each of its lines at that column. */
static void help_row(FILE *f, const struct run_flag *r)
{
	enum { COL = 26 };
	const char *m = r->metavar ? r->metavar : "", *h;
	int n = fprintf(f, "  %c%c%s--%s%s%s", r->short_name ? '-' : ' ', r->short_name ? r->short_name : ' ',
			r->short_name ? ", " : "  ", r->name, *m && *m != '=' ? " " : "", m);
	if (n < COL)
		fprintf(f, "%*s", COL - n, "");
	else
		fprintf(f, "\n%*s", COL, "");
	for (h = r->help; *h; h++)
		if (*h == '\n')
			fprintf(f, "\n%*s", COL, "");
		else
			fputc(*h, f);
	fputc('\n', f);
}

void flags_help(FILE *f, int only)
{
	for (size_t i = 0; i < run_nflags; i++)
		if (only < 0 || run_flags[i].bundle == (enum flag_bundle)only)
			help_row(f, &run_flags[i]);
}
