/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tsc.c: the host's TSC rate, given to the guest kernel as tsc_early_khz=.
 *
 * An x86_64 guest's alone (arch.c: tsc). qemu's guest TSC is the host's
 * counter (TCG reads it: rdtsc on an x86_64 host, the architected
 * counter cntvct_el0 on an arm64 one; KVM passes it through), but the
 * guest kernel measures its rate against the emulated PIT, which under
 * TCG fails when the host is busy (14 of 18 boots, three at once on 2
 * cores). Such a guest marks its TSC unstable and keeps time with
 * jiffies: a 1 ms clock, and a 1000 Hz tick that never stops (an idle VM
 * then costs a tenth of a host core). A template saved by such a boot
 * gives every run restored from it the same clock. Told the rate, the
 * guest skips its own measure, and the TSC is its clocksource every
 * time.
 *
 * The rate is measured once per host boot: TSC cycles against
 * CLOCK_MONOTONIC_RAW over 25 ms (about 5 ppm), each end taken from the
 * closest of 16 clock-TSC-clock readings. It is kept in DIR (the private
 * templates/ directory) as tsc.BOOT_ID, created by link() so that every
 * run of one host boot uses the first run's value: the kernel command
 * line, and the template key with it, changes only when the host reboots.
 * Files of earlier boots are removed when a new one is made. Without a
 * constant-rate TSC (no constant_tsc in /proc/cpuinfo), or with rdtsc
 * forbidden to this process, the answer is 0: the guest measures itself.
 * The host's counter is the one place here that depends on the host's
 * architecture (ticks, constant_rate).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "io.h"
#include "vm.h"

#define MEASURE_NS  25000000L
#define KHZ_MIN     10000UL      /* 10 MHz: an arm64 host's counter runs at 24 MHz and up */
#define KHZ_MAX     20000000UL   /* 20 GHz */
#define BOOT_ID_LEN 36

static uint64_t raw_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

#if defined(__x86_64__)
static uint64_t ticks(void)
{
	return __rdtsc();
}

static bool constant_rate(void)
{
	char line[4096];
	bool yes = false;
	int v;
	if (prctl(PR_GET_TSC, &v) == 0 && v == PR_TSC_SIGSEGV)
		return false;
	FILE *f = fopen("/proc/cpuinfo", "re");
	while (f && !yes && fgets(line, sizeof line, f))
		yes = !strncmp(line, "flags", 5) && strstr(line, " constant_tsc");
	if (f)
		fclose(f);
	return yes;
}
#elif defined(__aarch64__)
static uint64_t ticks(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

/* The architected counter's rate is fixed (CNTFRQ). */
static bool constant_rate(void)
{
	return true;
}
#else
static uint64_t ticks(void)
{
	return 0;
}

static bool constant_rate(void)
{
	return false;
}
#endif

/* One (ns, cycles) point: the counter read between the two closest clock reads. */
static void point(uint64_t *ns, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 16; i++) {
		uint64_t a = raw_ns(), t = ticks(), b = raw_ns();
		if (b - a < best) {
			best = b - a;
			*ns = a + (b - a) / 2;
			*tsc = t;
		}
	}
}

static unsigned long measure(void)
{
	uint64_t n0, t0, n1, t1;
	struct timespec d = { 0, MEASURE_NS };
	if (!constant_rate())
		return 0;
	point(&n0, &t0);
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
	point(&n1, &t1);
	if (n1 <= n0 || t1 <= t0)
		return 0;
	double khz = (double)(t1 - t0) * 1e6 / (double)(n1 - n0);
	return khz >= KHZ_MIN && khz <= KHZ_MAX ? (unsigned long)(khz + 0.5) : 0;
}

static int boot_id(char out[BOOT_ID_LEN + 1])
{
	ssize_t n = io_read_text(open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC), out, BOOT_ID_LEN + 1);
	out[n == BOOT_ID_LEN ? n : 0] = '\0';
	return n == BOOT_ID_LEN && strspn(out, "0123456789abcdef-") == BOOT_ID_LEN ? 0 : -EINVAL;
}

/* The value in DIR/name, or 0 if it is missing or not a sane rate. */
static unsigned long read_khz(int dfd, const char *name)
{
	char buf[32];
	ssize_t n = io_read_text(openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), buf, sizeof buf);
	if (n <= 0)
		return 0;
	char *end;
	unsigned long v = strtoul(buf, &end, 10);
	return end != buf && *end == '\n' && v >= KHZ_MIN && v <= KHZ_MAX ? v : 0;
}

static void drop_others(int dfd, const char *keep)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	if (!d) {
		io_close(&fd);
		return;
	}
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "tsc.", 4) && strcmp(de->d_name, keep))
			unlinkat(dfd, de->d_name, 0);
	closedir(d);
}

/* Publish v as DIR/name unless another run did first; the value that won. */
static unsigned long publish(int dfd, const char *name, unsigned long v)
{
	char tmp[96], text[32];
	snprintf(tmp, sizeof tmp, ".%s.%d", name, (int)getpid());
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int len = snprintf(text, sizeof text, "%lu\n", v);
	bool ok = fd >= 0 && io_write_all(fd, text, (size_t)len) == 0;
	io_close(&fd);
	if (ok && linkat(dfd, tmp, dfd, name, 0) == 0)
		drop_others(dfd, name);
	unlinkat(dfd, tmp, 0);
	unsigned long won = read_khz(dfd, name);
	return won ? won : v;
}

unsigned long tsc_khz(const char *dir)
{
	char id[BOOT_ID_LEN + 1], name[8 + BOOT_ID_LEN];
	unsigned long v;
	if (boot_id(id) < 0)
		return measure();
	snprintf(name, sizeof name, "tsc.%s", id);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return measure();
	if (!(v = read_khz(dfd, name)) && (v = measure()))
		v = publish(dfd, name, v);
	close(dfd);
	return v;
}
