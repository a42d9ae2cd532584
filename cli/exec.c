/*
 * exec.c: `qpod exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] NAME CMD...`, a
 * new process in a running VM with docker exec's meaning: the container's
 * environment, user and workdir unless given; its own exit status, streams,
 * terminal and window size; signals forwarded. Our stdio fds go to the
 * monitor (SCM_RIGHTS), which relays them to the guest directly; here we
 * only forward signals and wait for the exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"

struct xopts {
	bool interactive, tty;
	char **env;
	size_t nenv;
	char *workdir, *user;
};

static int parse(int argc, char **argv, struct xopts *x)
{
	static const struct option lo[] = {
		{ "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' }, { "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' }, { 0 } };
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ite:w:u:", lo, NULL)) != -1) {
		switch (c) {
		case 'i': x->interactive = true; break;
		case 't': x->tty = true; break;
		case 'e': {
			char **v = realloc(x->env, (x->nenv + 2) * sizeof *v);
			if (!v)
				return -ENOMEM;
			x->env = v;
			if (strchr(optarg, '=')) {
				v[x->nenv++] = optarg;
			} else if (getenv(optarg)) {
				char *kv;
				if (asprintf(&kv, "%s=%s", optarg, getenv(optarg)) < 0)
					return -ENOMEM;
				v[x->nenv++] = kv;
			}
			v[x->nenv] = NULL;
			break;
		}
		case 'w':
			if (optarg[0] != '/')
				return fprintf(stderr, "qpod: --workdir %s: must be an absolute path\n", optarg), -EINVAL;
			x->workdir = optarg;
			break;
		case 'u': x->user = optarg; break;
		default:
			fprintf(stderr, "qpod: %s: unknown flag (see qpod exec --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "qpod: usage: qpod exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] NAME CMD...\n");
		return -EINVAL;
	}
	if (x->tty && x->interactive && !isatty(0)) {
		fprintf(stderr, "qpod: the input device is not a TTY\n");
		return -EINVAL;
	}
	return 0;
}

static void forward(int fd, struct jw *w)
{
	client_send(fd, w, NULL, 0);
}

static void send_winsize(int fd)
{
	uint16_t rows, cols;
	struct jw w;
	if (tty_size(&rows, &cols) < 0)
		return;
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "op", "winsize");
	jw_kv_int(&w, "rows", rows);
	jw_kv_int(&w, "columns", cols);
	jw_end(&w);
	forward(fd, &w);
}

int cmd_exec(int argc, char **argv)
{
	static char buf[CTL_MSG_MAX + 1];
	struct xopts x = { 0 };
	struct vm_ref v;
	if (parse(argc, argv, &x) < 0 || client_find(argv[optind], &v) < 0)
		return EXIT_QPOD;
	int fd = client_connect(&v);
	if (fd < 0)
		return EXIT_QPOD;
	struct qp_process p = { .id = "exec", .args = argv + optind + 1, .env = x.env, .workdir = x.workdir,
				.user = x.user, .terminal = x.tty, .stdin_open = x.interactive,
				.stdio_seq = 3, .stderr_seq = x.tty ? 0 : 4, .umask = -1 };
	if (x.tty)
		tty_size(&p.rows, &p.cols);
	struct jw w;
	jw_init(&w);
	qp_exec_write(&w, &p);
	/* {"op":"exec", ...}: the writer's object with op first. */
	const char *json;
	size_t len;
	char *req = NULL;
	if (jw_done(&w, &json, &len) < 0 || asprintf(&req, "{\"op\":\"exec\",%s", json + 1) < 0) {
		fprintf(stderr, "qpod: out of memory\n");
		return EXIT_QPOD;
	}
	jw_free(&w);
	/* Always three, in order: without -i the monitor leaves stdin alone. */
	int null = x.interactive ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
	int fds[3] = { x.interactive ? 0 : null, 1, 2 };
	int e = ctl_send(fd, req, strlen(req), fds, 3);
	free(req);
	io_close(&null);
	if (e < 0) {
		fprintf(stderr, "qpod: %s: %s\n", v.st.name, strerror(-e));
		return EXIT_QPOD;
	}
	sigset_t set;
	sigemptyset(&set);
	int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
		sigaddset(&set, fwd[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (x.tty)
		tty_raw_host();
	int status = EXIT_QPOD;
	for (;;) {
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (io_read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGWINCH) {
					if (x.tty)
						send_winsize(fd);
				} else {
					jw_init(&w);
					jw_obj(&w);
					jw_kv_str(&w, "op", "signal");
					jw_kv_int(&w, "signal", si.ssi_signo);
					jw_end(&w);
					forward(fd, &w);
				}
			}
		}
		if (!(pf[0].revents & (POLLIN | POLLHUP)))
			continue;
		struct json j;
		e = client_reply(fd, &j, buf, sizeof buf, 0);
		if (e == -ETIMEDOUT)
			continue;
		if (e) {
			fprintf(stderr, "qpod: %s: the VM's monitor went away\n", v.st.name);
			break;
		}
		int ev = json_get(&j, 0, "event");
		if (json_eq(&j, ev, "error")) {
			char msg[512] = "";
			json_str(&j, json_get(&j, 0, "message"), msg, sizeof msg);
			fprintf(stderr, "qpod: %s\n", msg);
			json_free(&j);
			break;
		}
		if (json_eq(&j, ev, "exit")) {
			char msg[300] = "";
			status = client_status(&j);
			if (json_str(&j, json_get(&j, 0, "error"), msg, sizeof msg) > 0)
				fprintf(stderr, "qpod: %s\n", msg);
			json_free(&j);
			break;
		}
		json_free(&j);
	}
	tty_restore();
	close(fd);
	return status;
}
