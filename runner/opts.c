/* SPDX-License-Identifier: Apache-2.0 */
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
#include <unistd.h>

#include "packer.h"
#include "runner.h"
#include "sig.h"

void usage(FILE *f)
{
	fputs("usage: qpod run [OPTIONS] IMAGE [COMMAND [ARG...]]   (./run is qpod run)\n"
	      "       qpod run --cache ls|prune\n"
	      "Run COMMAND in a fresh qemu VM from IMAGE: a docker-save or OCI archive\n"
	      "(ARCHIVE or ARCHIVE:REPO:TAG; .tar, .tar.gz, .tar.zst; - reads it from stdin),\n"
	      "an OCI layout or docker-save directory (DIR or DIR:REF), a registry image\n"
	      "(NAME[:TAG|@DIGEST], docker://...), one of skopeo's oci:, oci-archive:,\n"
	      "docker-archive:, containers-storage:, dir: names, a root directory, or a bundle\n"
	      "made by `qpod bundle` (its own kernel and root).\n"
	      "\n"
	      "  -e, --env KEY=VALUE     set an environment variable (KEY alone: the host's value,\n"
	      "                          or KEY removed when the host has none)\n"
	      "      --env-file FILE     KEY=VALUE lines (docker's format), before any -e\n"
	      "  -w, --workdir DIR       working directory in the VM (created if missing)\n"
	      "  -u, --user USER[:GROUP] user name or uid, from the image's /etc/passwd; a group\n"
	      "                          given is the only group\n"
	      "      --group-add GROUP   an additional group (name or gid)\n"
	      "  -i, --interactive       forward stdin (default: /dev/null)\n"
	      "  -t, --tty               run on a terminal: raw mode, window size, one stream\n"
	      "      --entrypoint CMD    replace the image's entrypoint (and its default command)\n"
	      "  -v, --volume HOST:GUEST[:ro|:rw]  share a host directory or file (9p)\n"
	      "      --tmpfs PATH[:OPTS] mount a tmpfs (mount(8)'s tmpfs options)\n"
	      "      --read-only         the root filesystem is read-only (volumes, --tmpfs, /dev stay)\n"
	      "      --shm-size SIZE     size of /dev/shm (default 64m)\n"
	      "      --ulimit NAME=SOFT[:HARD]  a resource limit (nofile defaults to 1048576)\n"
	      "      --umask MASK        the command's umask (octal, default 0022)\n"
	      "  -m, --memory SIZE       guest memory (bytes, or with k, m, g; 0 or none: vm.conf)\n"
	      "      --cpus N            vCPUs (default vm.conf)\n"
	      "      --network user|none network: user-mode NAT to the outside (default), or loopback only;\n"
	      "                          user:allow_host_loopback=true also reaches the host's 127.0.0.1\n"
	      "                          at 10.0.2.2 (host.containers.internal)\n"
	      "  -p, --publish [IP:]HOSTPORT:GUESTPORT[/tcp|/udp]  forward a host port into the VM;\n"
	      "                          without IP on every host address, as docker does\n"
	      "  -h, --hostname NAME     the VM's hostname (default: a random id)\n"
	      "      --dns IP            nameserver for /etc/resolv.conf (default: qemu's, 10.0.2.3)\n"
	      "      --add-host NAME:IP  add a line to /etc/hosts (IP host-gateway: the host's loopback,\n"
	      "                          which the VM then reaches)\n"
	      "      --timeout SECONDS   kill the VM after this long; exit 124\n"
	      "      --sig-proxy=false   do not forward signals: they end qpod and the VM\n"
	      "  -d, --detach            keep the VM running in the background; print its id\n"
	      "      --name NAME         name the VM, detached or not (default: a generated one);\n"
	      "                          qpod ps, exec, stop, kill reach it by NAME\n"
	      "  -a, --attach STREAM     STDIN, STDOUT or STDERR: show only these (default: all)\n"
	      "  -l, --label KEY=VALUE   a label (inspect's Config.Labels, ps --filter label=)\n"
	      "      --health-cmd CMD    a health check run in the VM (sh -c CMD; exit 0: healthy)\n"
	      "      --health-interval, --health-timeout, --health-start-period,\n"
	      "      --health-start-interval DURATION, --health-retries N   its timing (docker's\n"
	      "                          defaults 30s, 30s, 0s, 5s, 3), each over the image's HEALTHCHECK\n"
	      "      --no-healthcheck    run no health check, not even the image's\n"
	      "      --sdnotify conmon|healthy|ignore  with $NOTIFY_SOCKET (systemd Type=notify):\n"
	      "                          READY=1 once the command runs (conmon), or once healthy\n"
	      "      --restart POLICY    no, on-failure[:N], always or unless-stopped\n"
	      "      --stop-signal SIG   the signal a stop sends first (default: the image's, or TERM)\n"
	      "      --stop-timeout S    seconds from the stop signal to SIGKILL (default 10)\n"
	      "      --log-max-size SIZE a detached VM's log bound (default 10m)\n"
	      "      --rm                with -d: remove the VM once it ends (a foreground run\n"
	      "                          always is)\n"
	      "      --init              with -d: the command is not PID 1 of a PID namespace of\n"
	      "                          its own; hyperstart reaps and signals reach it as docker's\n"
	      "                          --init (tini) has them (a foreground run's never is)\n"
	      "      --accel auto|kvm|tcg  accelerator (auto: KVM only where it works)\n"
	      "      --boot fwcfg|cbfs   firmware path: qboot + fw_cfg, or a CBFS flash image\n"
	      "      --no-snapshot       boot cold: no VM template is restored or saved (also\n"
	      "                          QPOD_NO_SNAPSHOT=1). By default a run restores the saved\n"
	      "                          template of its kind of VM (kernel, initrd, firmware,\n"
	      "                          qemu, memory, vCPUs, network on/off, number of volumes;\n"
	      "                          an image's own, with its root mounted) from the cache's\n"
	      "                          templates/, or boots cold and saves it (qpod warm saves\n"
	      "                          one ahead); KVM and --boot cbfs always boot cold, and so\n"
	      "                          does a run whose template fails\n"
	      "      --console FILE      keep the guest console log in FILE\n"
	      "      --kernel FILE       boot this kernel instead of the built one\n"
	      "      --initrd FILE       boot this initrd instead of the built one\n"
	      "      --platform OS/ARCH  image platform to pick, and the guest that boots (default:\n"
	      "                          the host's, or an image's only one; linux/amd64, linux/arm64)\n"
	      "      --max-bytes SIZE    refuse an image layer or file larger than this unpacked\n"
	      "                          (k, m, g; default 16g)\n"
	      "      --pull missing|always|never  use the cached image of a reference (missing,\n"
	      "                          the default), ask the registry first, or never pull\n"
	      "      --tls-verify=false  plain HTTP or unverified TLS to the registry\n"
	      "      --creds USER --password-stdin  registry credentials, the password from stdin's first line\n"
	      "      --authfile FILE     an auth.json (default: REGISTRY_AUTH_FILE, then skopeo's own)\n"
	      "      --verify-key PUBKEY  IMAGE must be a bundle signed by this ssh key (APP.qpod.sig)\n"
	      "      --timings           print how long each phase took (stderr)\n"
	      "      --result FILE       write the outcome as JSON to FILE\n"
	      "      --debug             verbose guest console (kernel and hyperstart)\n"
	      "      --cache ls|prune    list cached images, or remove those not in use\n"
	      "      --help              this text\n"
	      "      --version           qpod and protocol versions\n"
	      "Long flags are never abbreviated; --flag=VALUE and -fVALUE work as in docker.\n"
	      "\n"
	      "Exit status: the command's; 128+N if signal N killed it; 126 not executable;\n"
	      "127 not found; 124 timed out; 125 qpod failed (reason on stderr).\n", f);
}

enum { O_ENTRYPOINT = 256, O_CPUS, O_TIMEOUT, O_ACCEL, O_BOOT, O_CONSOLE, O_KERNEL, O_INITRD,
       O_PLATFORM, O_MAXBYTES, O_RESULT, O_TIMINGS, O_DEBUG, O_CACHE, O_VERSION, O_HELP, O_NETWORK,
       O_DNS, O_ADDHOST, O_ENVFILE, O_RM, O_INIT, O_READONLY, O_TMPFS, O_SHMSIZE, O_ULIMIT, O_UMASK,
       O_GROUPADD, O_SIGPROXY, O_INTERACTIVE, O_TTY, O_DETACH, O_NAME, O_RESTART, O_STOPSIGNAL,
       O_STOPTIMEOUT, O_LOGMAX, O_PULL, O_TLSVERIFY, O_CREDS, O_PASSWORD_STDIN, O_AUTHFILE, O_VERIFYKEY,
       O_NOSNAPSHOT, O_HEALTH, O_NOHEALTH, O_SDNOTIFY };

static const struct option longopts[] = {
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, O_ENVFILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "group-add", required_argument, NULL, O_GROUPADD },
	{ "interactive", optional_argument, NULL, O_INTERACTIVE },
	{ "tty", optional_argument, NULL, O_TTY },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, O_TMPFS },
	{ "read-only", optional_argument, NULL, O_READONLY },
	{ "shm-size", required_argument, NULL, O_SHMSIZE },
	{ "ulimit", required_argument, NULL, O_ULIMIT },
	{ "umask", required_argument, NULL, O_UMASK },
	{ "memory", required_argument, NULL, 'm' },
	{ "help", no_argument, NULL, O_HELP },
	{ "hostname", required_argument, NULL, 'h' },
	{ "publish", required_argument, NULL, 'p' },
	{ "network", required_argument, NULL, O_NETWORK },
	{ "no-snapshot", no_argument, NULL, O_NOSNAPSHOT },
	{ "dns", required_argument, NULL, O_DNS },
	{ "add-host", required_argument, NULL, O_ADDHOST },
	{ "rm", optional_argument, NULL, O_RM },
	{ "init", optional_argument, NULL, O_INIT },
	{ "sig-proxy", optional_argument, NULL, O_SIGPROXY },
	{ "detach", optional_argument, NULL, O_DETACH },
	{ "name", required_argument, NULL, O_NAME },
	{ "attach", required_argument, NULL, 'a' },
	{ "label", required_argument, NULL, 'l' },
	{ "health-cmd", required_argument, NULL, O_HEALTH },
	{ "health-interval", required_argument, NULL, O_HEALTH },
	{ "health-timeout", required_argument, NULL, O_HEALTH },
	{ "health-start-period", required_argument, NULL, O_HEALTH },
	{ "health-start-interval", required_argument, NULL, O_HEALTH },
	{ "health-retries", required_argument, NULL, O_HEALTH },
	{ "no-healthcheck", no_argument, NULL, O_NOHEALTH },
	{ "sdnotify", required_argument, NULL, O_SDNOTIFY },
	{ "restart", required_argument, NULL, O_RESTART },
	{ "stop-signal", required_argument, NULL, O_STOPSIGNAL },
	{ "stop-timeout", required_argument, NULL, O_STOPTIMEOUT },
	{ "log-max-size", required_argument, NULL, O_LOGMAX },
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
	{ "pull", required_argument, NULL, O_PULL },
	{ "tls-verify", optional_argument, NULL, O_TLSVERIFY },
	{ "creds", required_argument, NULL, O_CREDS },
	{ "password-stdin", no_argument, NULL, O_PASSWORD_STDIN },
	{ "authfile", required_argument, NULL, O_AUTHFILE },
	{ "result", required_argument, NULL, O_RESULT },
	{ "timings", no_argument, NULL, O_TIMINGS },
	{ "debug", no_argument, NULL, O_DEBUG },
	{ "cache", required_argument, NULL, O_CACHE },
	{ "version", no_argument, NULL, O_VERSION },
	{ "verify-key", required_argument, NULL, O_VERIFYKEY },
	{ 0 }
};

/* getopt_long takes "--ini" for "--initrd"; docker takes no abbreviation
 * (its --init would become --initrd here and the image name its value).
 * The word that held the option: the one before the value when the value
 * came separately. */
static bool long_exact(char **argv, int idx, const char *value)
{
	const char *word = argv[optind - 1];
	if (value && value == argv[optind - 1])
		word = argv[optind - 2];
	size_t n = strlen(longopts[idx].name);
	return !strncmp(word, "--", 2) && !strncmp(word + 2, longopts[idx].name, n) &&
	       (word[2 + n] == '\0' || word[2 + n] == '=');
}

/* One flag (idx: its longopts entry, or -1); 1 when --help/--version was answered. */
static int flag(struct opts *o, int c, const char *v, int idx)
{
	double d;
	switch (c) {
	case 'e': return opt_add_env(o, v);
	case O_ENVFILE: return opt_env_file(o, v);
	case 'w':
		o->workdir = (char *)v;
		return v[0] == '/' ? 0 : opt_bad("--workdir %s: must be an absolute path", v);
	case 'u': return opt_set_user(o, v);
	case O_GROUPADD: return opt_add_group(o, v);
	case 'i': o->interactive = true; return 0;
	case 't': o->tty = true; return 0;
	case O_INTERACTIVE: return opt_bool("interactive", v, &o->interactive);
	case O_TTY: return opt_bool("tty", v, &o->tty);
	case 'v': return opt_add_volume(o, v);
	case O_TMPFS: return opt_add_tmpfs(o, v);
	case O_READONLY: return opt_bool("read-only", v, &o->read_only);
	case O_SHMSIZE:
		if (opt_parse_bytes(v, &d) < 0 || d < 4096)
			return opt_bad("--shm-size %s: expected a size of at least 4k (with b, k, m or g)", v);
		o->shm_size = (uint64_t)d;
		return 0;
	case O_ULIMIT: return opt_add_ulimit(o, v);
	case O_UMASK: {
		char *end;
		long m = strtol(v, &end, 8);
		if (!*v || *end || m < 0 || m > 0777)
			return opt_bad("--umask %s: expected an octal mask from 0000 to 0777", v);
		o->umask = (int)m;
		return 0;
	}
	case 'm':
		if (!strcmp(v, "0")) {
			o->memory_mb = 0; /* docker: no limit given; the VM's default */
			return 0;
		}
		return opt_parse_size_mb(v, &o->memory_mb) < 0
			       ? opt_bad("--memory %s: expected 64m..1024g (a number with b, k, m or g)", v) : 0;
	case O_HELP: usage(stdout); return 1;
	case 'h': return opt_set_hostname(o, v);
	case 'p': return opt_add_publish(o, v);
	case O_NETWORK:
		o->network_set = true;
		if (!strcmp(v, "user:allow_host_loopback=true") || !strcmp(v, "user:allow_host_loopback=false")) {
			o->network = true;
			o->host_loopback = !strcmp(v + strlen("user:allow_host_loopback="), "true");
			return 0;
		}
		o->network = !strcmp(v, "user");
		return opt_one_of("--network", v, "user", "none", NULL);
	case O_DNS: return opt_add_dns(o, v);
	case O_ADDHOST: return opt_add_host(o, v);
	case O_RM: return opt_bool("rm", v, &o->rm);
	case O_INIT: return opt_bool("init", v, &o->init);
	case O_SIGPROXY: return opt_bool("sig-proxy", v, &o->sig_proxy);
	case 'd': o->detach = true; return 0;
	case O_DETACH: return opt_bool("detach", v, &o->detach);
	case O_NAME: return opt_set_name(o, v);
	case 'a': return opt_attach(o, v);
	case 'l': return opt_add_label(o, v);
	case O_HEALTH: return opt_health(o, longopts[idx].name + 7, v);
	case O_NOHEALTH: o->no_healthcheck = true; return 0;
	case O_SDNOTIFY: return opt_sdnotify(o, v);
	case O_RESTART: return opt_set_restart(o, v);
	case O_STOPSIGNAL:
		if ((o->stop_signal = sig_parse(v)) < 0)
			return opt_bad("--stop-signal %s: not a signal name or number", v);
		return 0;
	case O_STOPTIMEOUT:
		return opt_number("--stop-timeout", v, 0, 1e6, &o->stop_timeout);
	case O_LOGMAX:
		if (opt_parse_bytes(v, &d) < 0 || d < 8192)
			return opt_bad("--log-max-size %s: expected a size of at least 8k", v);
		o->log_max = (uint64_t)d;
		return 0;
	case O_ENTRYPOINT: o->entrypoint = (char *)v; o->entrypoint_set = true; return 0;
	case O_CPUS:
		if (opt_number("--cpus", v, 0.01, 64, &d))
			return -EINVAL;
		o->cpus = (long)d + (d > (long)d);
		return 0;
	case O_TIMEOUT:
		if (opt_number("--timeout", v, 0.001, 1e7, &d))
			return -EINVAL;
		o->timeout = d;
		return 0;
	case O_ACCEL: o->accel = (char *)v; return opt_one_of("--accel", v, "auto", "kvm", "tcg");
	case O_BOOT: o->boot = (char *)v; return opt_one_of("--boot", v, "fwcfg", "cbfs", NULL);
	case O_CONSOLE: o->console = (char *)v; return 0;
	case O_KERNEL: o->kernel = (char *)v; return 0;
	case O_INITRD: o->initrd = (char *)v; return 0;
	case O_PLATFORM: o->platform = (char *)v; return 0;
	case O_MAXBYTES:
		if (opt_parse_bytes(v, &d) < 0 || d < 1)
			return opt_bad("--max-bytes %s: expected a size (a number with b, k, m or g)", v);
		o->max_bytes = (uint64_t)d;
		return 0;
	case O_PULL: {
		enum pack_pull p;
		if (pack_pull_parse(v, &p) < 0)
			return opt_bad("--pull %s: expected missing, always or never", v);
		o->pull = (int)p;
		return 0;
	}
	case O_TLSVERIFY: {
		bool verify;
		if (opt_bool("tls-verify", v, &verify))
			return -EINVAL;
		o->no_tls_verify = !verify;
		return 0;
	}
	case O_CREDS: return opt_creds(v, &o->creds);
	case O_PASSWORD_STDIN: o->password_stdin = true; return 0;
	case O_AUTHFILE: o->authfile = (char *)v; return 0;
	case O_RESULT: o->result = (char *)v; return 0;
	case O_VERIFYKEY: o->verify_key = (char *)v; return 0;
	case O_TIMINGS: o->timings = true; return 0;
	case O_NOSNAPSHOT: o->no_snapshot = true; return 0;
	case O_DEBUG: o->debug = true; return 0;
	case O_CACHE: o->cache_cmd = (char *)v; return opt_one_of("--cache", v, "ls", "prune", NULL);
	case O_VERSION:
		printf("qpod %s (protocol %u)\n", QPOD_VERSION, QP_VERSION);
		return 1;
	}
	return -EINVAL;
}

/* Returns 0 to run, 1 when --help/--version was answered, -errno on a bad flag
 * (-EEXIST: -a with -d, which docker answers with exit 1). */
int opts_parse(int argc, char **argv, struct opts *o)
{
	int c, e = 0, idx;
	optind = 0; /* from the start, however often it is called (qpod restart) */
	opterr = 0;
	o->network = true;
	o->sig_proxy = true;
	o->umask = -1;
	o->stop_timeout = -1;
	o->health = (struct healthcfg){ .interval = -1, .timeout = -1, .start_period = -1, .start_interval = -1,
					.retries = -1 };
	for (;;) {
		idx = -1;
		if (e || (c = getopt_long(argc, argv, "+:e:w:u:itdv:m:h:p:a:l:", longopts, &idx)) == -1)
			break;
		const char *word = argv[optind - 1];
		if (c == ':')
			return opt_bad("%s needs a value", word);
		if (c == '?') {
			if (optopt && optopt < 256 && word[0] == '-' && word[1] != '-')
				return opt_bad("-%s: unknown flag", (char[]){ (char)optopt, '\0' });
			return opt_bad("%s: unknown flag", word);
		}
		if (c >= 256 || (idx >= 0 && word[0] == '-' && word[1] == '-')) {
			if (!long_exact(argv, idx, optarg))
				return opt_bad("%s: unknown flag (long flags are never abbreviated)", word);
		} else if (optarg && optarg[0] == '=' && optarg == word + 2) {
			optarg++; /* docker's -e=K=V */
		}
		e = flag(o, c, optarg, idx);
		if (e == 1)
			return 1;
	}
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
