/* SPDX-License-Identifier: Apache-2.0 */
/*
 * top.c: TOP, the container's processes as `ps -ef` lists them (proto/top.c
 * has the answer's shape), read from /proc: every process in the
 * container's PID namespace (or, without one, every process but PID 1 and
 * the kernel's threads), its PID and PPID as the container sees them
 * (NSpid), its user by the container's /etc/passwd, and ps's times.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

#define PF_KTHREAD 0x00200000

struct pinfo {
	long pid, ppid;
	unsigned long long utime, stime, start;  /* ticks */
	unsigned long flags;
	int tty;
	char comm[64], args[1024];
	unsigned uid;
};

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	return io_read_text(open(path, O_RDONLY | O_CLOEXEC), buf, cap);
}

/* The pid as the container sees it: the last of NSpid (0: not known). */
static long ns_pid(long pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return 0;
	char *l = strstr(buf, "\nNSpid:");
	if (!l)
		return pid;
	long v = 0;
	for (char *p = l + 7, *end; *p && *p != '\n'; p = end) {
		long x = strtol(p, &end, 10);
		if (end == p)
			break;
		v = x;
	}
	return v;
}

static int load(long pid, struct pinfo *p)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (read_file(path, buf, sizeof buf) <= 0)
		return -1;
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return -1;
	snprintf(p->comm, sizeof p->comm, "%.*s", (int)(r - l - 1), l + 1);
	/* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime (proc(5)); no scanf: it would grow the initrd */
	unsigned long long f[20];
	char *q = r + 2;
	if (!*q)
		return -1;
	q++;
	for (int i = 0; i < 20; i++) {
		char *end;
		f[i] = strtoull(q, &end, 10);
		if (end == q)
			return -1;
		q = end;
	}
	p->ppid = (long)f[0];
	p->tty = (int)f[3];
	p->flags = (unsigned long)f[5];
	p->utime = f[10];
	p->stime = f[11];
	p->start = f[18];
	p->pid = pid;
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	char *u = read_file(path, buf, sizeof buf) > 0 ? strstr(buf, "\nUid:") : NULL;
	p->uid = u ? (unsigned)strtoul(u + 5, NULL, 10) : 0;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
	ssize_t k = read_file(path, p->args, sizeof p->args);
	for (ssize_t i = 0; i + 1 < k; i++)
		if (!p->args[i])
			p->args[i] = ' ';
	if (k <= 0)
		snprintf(p->args, sizeof p->args, "[%s]", p->comm);
	return 0;
}

static void clock_text(unsigned long long secs, bool days, char *out, size_t cap)
{
	unsigned long long d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;
	if (days && d)
		snprintf(out, cap, "%llu-%02llu:%02llu:%02llu", d, h, m, s);
	else if (days && !h)
		snprintf(out, cap, "%02llu:%02llu", m, s);
	else
		snprintf(out, cap, "%02llu:%02llu:%02llu", secs / 3600, m, s);
}

static void row(struct jw *w, const struct pinfo *p, bool ns, int rootfd, double uptime, long hz)
{
	char c[16], cpu[16], stime[16], tty[16], t[32], et[32], user[64], pid[24], ppid[24];
	double elapsed = uptime - (double)p->start / (double)hz, used = (double)(p->utime + p->stime) / (double)hz;
	long long started = (long long)time(NULL) - (long long)elapsed; /* UTC: the guest has no zone */
	snprintf(stime, sizeof stime, "%02lld:%02lld", started / 3600 % 24, started / 60 % 60);
	int major = (p->tty >> 8) & 0xfff, minor = (p->tty & 0xff) | ((p->tty >> 12) & 0xfff00);
	if (major == 136)
		snprintf(tty, sizeof tty, "pts/%d", minor);
	else
		snprintf(tty, sizeof tty, "?");
	snprintf(c, sizeof c, "%d", elapsed > 0 ? (int)(used * 100 / elapsed) : 0);
	long tenths = elapsed > 0 ? (long)(used * 1000 / elapsed) : 0; /* no %f: it would grow the initrd */
	snprintf(cpu, sizeof cpu, "%ld.%ld", tenths / 10, tenths % 10);
	clock_text((unsigned long long)used, false, t, sizeof t);
	clock_text((unsigned long long)(elapsed > 0 ? elapsed : 0), true, et, sizeof et);
	user_name(rootfd, p->uid, user, sizeof user);
	long pp = ns ? (p->ppid == 1 && ns_pid(p->pid) == 1 ? 0 : ns_pid(p->ppid)) : p->ppid;
	snprintf(pid, sizeof pid, "%ld", ns ? ns_pid(p->pid) : p->pid);
	snprintf(ppid, sizeof ppid, "%ld", pp);
	const char *cells[] = { user, pid, ppid, c, stime, tty, t, p->args, user, p->comm, et, cpu };
	jw_arr(w);
	for (size_t i = 0; i < sizeof cells / sizeof *cells; i++)
		jw_str(w, cells[i]);
	jw_end(w);
}

static void top(struct hs *hs, const char *ns_link)
{
	static const char *const titles[] = { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD",
					      "USER", "COMMAND", "ELAPSED", "%CPU" };
	struct jw w;
	struct timespec up;
	const char *json;
	size_t len, rows = 0;
	long hz = sysconf(_SC_CLK_TCK);
	clock_gettime(CLOCK_BOOTTIME, &up);
	double uptime = (double)up.tv_sec + (double)up.tv_nsec / 1e9;
	int rootfd = open(container_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	DIR *d = opendir("/proc");
	jw_init(&w);
	jw_obj(&w);
	jw_key(&w, "Titles");
	jw_arr(&w);
	for (size_t i = 0; i < sizeof titles / sizeof *titles; i++)
		jw_str(&w, titles[i]);
	jw_end(&w);
	jw_key(&w, "Processes");
	jw_arr(&w);
	for (struct dirent *de; d && (de = readdir(d)) && rows < QP_TOP_ROWS && w.len < QP_CTL_MAX / 2;) {
		char *end, path[64], link[64];
		struct pinfo p;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 1 || load(pid, &p) < 0 || (p.flags & PF_KTHREAD))
			continue;
		snprintf(path, sizeof path, "/proc/%ld/ns/pid", pid);
		ssize_t n = readlink(path, link, sizeof link - 1);
		if (ns_link && (n <= 0 || (link[n] = '\0', strcmp(link, ns_link))))
			continue;
		row(&w, &p, ns_link != NULL, rootfd, uptime, hz);
		rows++;
	}
	jw_end(&w);
	jw_end(&w);
	if (d)
		closedir(d);
	if (rootfd >= 0)
		close(rootfd);
	if (jw_done(&w, &json, &len) == 0)
		ctl_reply(hs, QP_ACK, json, len);
	else
		ctl_error(hs, "TOP: out of memory");
	jw_free(&w);
}

void top_answer(struct hs *hs)
{
	char link[64], path[64];
	if (!hs->pidns) {
		top(hs, NULL);
		return;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", hs->init_ns);
	ssize_t n = hs->init_ns >= 0 ? readlink(path, link, sizeof link - 1) : -1;
	if (n <= 0) {
		ctl_error(hs, "TOP: the container's command is not running");
		return;
	}
	link[n] = '\0';
	top(hs, link);
}
