/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pasta.c: the default network's way out of qemu's network namespace.
 *
 * qemu's user-mode network (slirp) answers the guest at 10.0.2.2 with
 * whatever listens on the loopback of qemu's own network namespace; in the
 * jail (jail.c) that namespace is new and empty, so a guest reaches no
 * server of the host's 127.0.0.1, whatever address it makes up. The
 * namespace gets the outside world from pasta (Debian's passt package, the
 * network tool of rootless podman), which runs on the host's side:
 *
 *   --config-net        a tap in the namespace with the host's address and routes
 *   --no-map-gw         the gateway stays the gateway (no alias of the host's loopback)
 *   -T none -U none     no port of the host is forwarded into the namespace
 *   -t/-u [IP/]P:P      each published port, from the host into the
 *                       namespace, where qemu's hostfwd takes it to the guest
 *   --dns-forward       NET_DNS_FWD (the jail's resolv.conf) to the host's resolver
 *   -P /proc/self/fd/W  its pid once it is set up: our readiness signal
 *
 * pasta needs the host to have a default route (it copies the host's
 * addresses and routes). On a host without one the guest is offline as its
 * host is: qemu keeps its empty namespace, no pasta is started, and a
 * published port is refused before boot (it has no way in).
 *
 * pasta joins the namespaces through fds of qemu's (jail_ns_fds), runs
 * as the caller, or for root as the qpod account where the host lets it
 * open /dev/net/tun (else as root in pasta's own sandbox), with an empty
 * environment, no fd but its own, and its log in a memfd of ours. A small
 * guardian process between us and pasta ends it with us (see guardian()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "clock.h"
#include "io.h"
#include "jail.h"
#include "vm.h"

#define PASTA_ARGS 64

/* pasta's --runas for root: the account, where it may open /dev/net/tun;
 * the pipe it reopens to say it is ready becomes the account's too. */
static const char *runas(char *buf, size_t cap, int ready)
{
	struct passwd *pw = getpwnam(QPOD_ACCOUNT);
	struct stat st;
	if (!jail_as_root())
		return NULL;
	if (pw && stat("/dev/net/tun", &st) == 0 && (st.st_mode & 0006) == 0006 &&
	    fchown(ready, pw->pw_uid, pw->pw_gid) == 0) {
		snprintf(buf, cap, "%u:%u", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
		return buf;
	}
	return "0";
}

__attribute__((noreturn))
static void exec_pasta(char **argv, int log, const int *keep, size_t nkeep)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0 ||
	    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		_exit(127);
	for (size_t i = 0; i < nkeep; i++)
		if (fcntl(keep[i], F_SETFD, 0) < 0)
			_exit(127);
	char *env[] = { NULL };
	execvpe(argv[0], argv, env);
	dprintf(2, "qpod: cannot run pasta (Debian's passt package): %s\n", strerror(errno));
	_exit(127);
}

/* pasta's guardian, our child: pasta changes its credentials, which clears
 * a parent-death signal, so the guardian keeps one for it. It ends pasta
 * when told to (SIGTERM) or when we die, and ends when pasta does; its
 * end means pasta's, and the ports pasta held are free. */
/* Close every fd but stdio, log and keep's (the guardian never execs: what
 * it kept open, a monitor's lock among them, would outlive its owner). */
static void close_others(int log, const int *keep, size_t nkeep)
{
	int want[8], n = 0;
	want[n++] = log;
	for (size_t i = 0; i < nkeep && n < 8; i++)
		want[n++] = keep[i];
	for (int i = 1; i < n; i++) /* a few: insertion sort */
		for (int k = i; k > 0 && want[k - 1] > want[k]; k--) {
			int t = want[k];
			want[k] = want[k - 1];
			want[k - 1] = t;
		}
	unsigned from = 3;
	for (int i = 0; i < n; i++) {
		if (want[i] < 3 || (unsigned)want[i] < from)
			continue;
		if ((unsigned)want[i] > from)
			syscall(SYS_close_range, from, (unsigned)want[i] - 1, 0);
		from = (unsigned)want[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

__attribute__((noreturn))
static void guardian(char **argv, int log, const int *keep, size_t nkeep)
{
	sigset_t set;
	close_others(log, keep, nkeep);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(127);
	setpgid(0, 0);
	pid_t p = fork();
	if (p < 0)
		_exit(127);
	if (p == 0)
		exec_pasta(argv, log, keep, nkeep);
	for (;;) {
		siginfo_t si;
		int st = 0;
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo == SIGTERM)
			kill(p, SIGKILL);
		if (waitpid(p, &st, si.si_signo == SIGTERM ? 0 : WNOHANG) == p)
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}

bool pasta_way_out(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/net/route", "re");
	while (f && !found && fgets(line, sizeof line, f)) {
		char dev[64];
		unsigned long dst, flags;
		/* Iface Destination Gateway Flags ...: a default route is up (RTF_UP) to 0 */
		if (sscanf(line, "%63s %lx %*x %lx", dev, &dst, &flags) == 3 && dst == 0 && (flags & 1))
			found = true;
	}
	if (f)
		fclose(f);
	return found;
}

int pasta_start(pid_t qemu, const struct publish *p, size_t n, struct pasta *ps, struct qerr *err)
{
	char *argv[PASTA_ARGS], num[PASTA_ARGS][96], user[24], net[24], pidf[24], who[40];
	int u = -1, nfd = -1, ready[2] = { -1, -1 }, k = 0, e;
	*ps = (struct pasta){ .pid = -1, .log = -1, .ready = -1 };
	if ((e = jail_ns_fds(qemu, &u, &nfd, err)))
		return e;
	if ((ps->log = memfd_create("qpod-pasta", MFD_CLOEXEC)) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		e = qerr_sys(err, errno, "pasta: set up");
		goto out;
	}
	snprintf(user, sizeof user, "/proc/self/fd/%d", u);
	snprintf(net, sizeof net, "/proc/self/fd/%d", nfd);
	snprintf(pidf, sizeof pidf, "/proc/self/fd/%d", ready[1]);
	const char *fixed[] = { "pasta", "-f", "-q", "-4", "-l", "/proc/self/fd/2", "--config-net", "--no-map-gw",
				"-T", "none", "-U", "none", "--dns-forward", NET_DNS_FWD, "--userns", user,
				"--netns", net, "-P", pidf };
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		argv[k++] = (char *)fixed[i];
	const char *as = runas(who, sizeof who, ready[1]);
	if (as) {
		argv[k++] = "--runas";
		argv[k++] = (char *)as;
	}
	bool tcp = false, udp = false;
	for (size_t i = 0; i < n && k < PASTA_ARGS - 5; i++) {
		/* HOSTPORT on the host (or IP's only) to HOSTPORT in the namespace */
		snprintf(num[i], sizeof num[i], "%s%s%u:%u", p[i].ip, *p[i].ip ? "/" : "", p[i].host, p[i].host);
		argv[k++] = p[i].udp ? "-u" : "-t";
		argv[k++] = num[i];
		tcp |= !p[i].udp;
		udp |= p[i].udp;
	}
	if (!tcp) {
		argv[k++] = "-t";
		argv[k++] = "none";
	}
	if (!udp) {
		argv[k++] = "-u";
		argv[k++] = "none";
	}
	argv[k] = NULL;
	int keep[] = { u, nfd, ready[1] };
	if ((ps->pid = fork()) < 0) {
		e = qerr_sys(err, errno, "fork");
		goto out;
	}
	if (ps->pid == 0)
		guardian(argv, ps->log, keep, sizeof keep / sizeof *keep);
	ps->ready = ready[0];
	ps->ports = n > 0;
	ready[0] = -1;
out:
	io_close(&u);
	io_close(&nfd);
	io_close(&ready[0]);
	io_close(&ready[1]);
	if (e)
		pasta_stop(ps);
	return e;
}

int pasta_ready(struct pasta *ps, double deadline, struct qerr *err)
{
	char buf[32];
	if (ps->ready < 0)
		return 0;
	for (;;) {
		double left = deadline - now_s();
		struct pollfd pf = { .fd = ps->ready, .events = POLLIN };
		int r = poll(&pf, 1, left > 0 ? (int)(left * 1000) + 1 : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return qerr_set(err, ETIMEDOUT, "pasta did not set up the VM's network in time");
		break;
	}
	ssize_t got = io_read(ps->ready, buf, sizeof buf);
	io_close(&ps->ready);
	if (got > 0)
		return 0;
	char msg[200];
	ssize_t m = pread(ps->log, msg, sizeof msg - 1, 0);
	msg[m > 0 ? m : 0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	return qerr_set(err, ENETUNREACH, "pasta could not set up the VM's network%s%s", *msg ? ": " : "", msg);
}

/* Stopped pastas not reaped yet: a pasta takes 20-30 ms to die (its tap and
 * sockets go), which a run waits for only when it published ports (the
 * next run may want them). Reaped on later calls; what is left at exit
 * goes to init. */
static pid_t dying[16];

static void reap(void)
{
	for (size_t i = 0; i < sizeof dying / sizeof *dying; i++)
		if (dying[i] > 0 && waitpid(dying[i], NULL, WNOHANG) != 0)
			dying[i] = 0;
}

void pasta_stop(struct pasta *ps)
{
	reap();
	if (ps->pid > 0) {
		kill(ps->pid, SIGTERM); /* the guardian's: pasta goes, then it */
		size_t i = ps->ports ? sizeof dying / sizeof *dying : 0; /* its ports are free once it is gone */
		while (i < sizeof dying / sizeof *dying && dying[i] > 0)
			i++;
		if (i < sizeof dying / sizeof *dying)
			dying[i] = ps->pid;
		else
			while (waitpid(ps->pid, NULL, 0) < 0 && errno == EINTR)
				;
	}
	ps->pid = -1;
	io_close(&ps->ready);
	io_close(&ps->log);
}
