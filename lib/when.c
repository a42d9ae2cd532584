/* SPDX-License-Identifier: Apache-2.0 */
/*
 * when.c: times and durations as docker writes and reads them: Go's
 * duration syntax (--health-interval, --since 10m), RFC 3339 with
 * nanoseconds (inspect's times, logs -t), and docker's timestamp forms for
 * --since and --until (a duration back from now, unix seconds, or a date
 * and time). Every number is checked; nothing is guessed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "when.h"

int64_t when_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t unit_of(const char **p)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "µs", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60000000000LL }, { "h", 3600000000000LL },
	};
	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		size_t n = strlen(units[i].u);
		if (!strncmp(*p, units[i].u, n)) { /* "ms" comes before "m" */
			*p += n;
			return units[i].ns;
		}
	}
	return 0;
}

int when_duration(const char *s, int64_t *ns)
{
	const char *p = s;
	long double total = 0;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (!strcmp(p, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -EINVAL;
		long double v = strtold(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		int64_t u = unit_of(&p);
		if (!u)
			return -EINVAL;
		total += v * (long double)u;
		if (total > 9.2e18L)
			return -ERANGE;
	}
	*ns = (int64_t)(neg ? -total : total);
	return 0;
}

void when_rfc3339(int64_t ns, char *out, size_t cap)
{
	if (ns <= 0) {
		snprintf(out, cap, "0001-01-01T00:00:00Z");
		return;
	}
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char frac[16];
	gmtime_r(&s, &tm);
	size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(frac, sizeof frac, ".%09lld", (long long)(ns % 1000000000));
	for (size_t k = strlen(frac); k > 0 && (frac[k - 1] == '0' || frac[k - 1] == '.'); k--)
		frac[k - 1] = '\0';
	snprintf(out + n, cap - n, "%sZ", frac);
}

/* "YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|+HH:MM|-HH:MM]" */
static int parse_date(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	int n = 0;
	long long frac = 0;
	int fdigits = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
		return -EINVAL;
	const char *p = s + n;
	if (*p == 'T' || *p == ' ') {
		int k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &k) != 2 || k != 5)
			return -EINVAL;
		p += 1 + k;
		if (*p == ':' && sscanf(p + 1, "%2d%n", &tm.tm_sec, &k) == 1 && k == 2)
			p += 3;
		if (*p == '.' || *p == ',')
			for (p++; *p >= '0' && *p <= '9'; p++, fdigits++)
				if (fdigits < 9)
					frac = frac * 10 + (*p - '0');
	}
	for (int d = fdigits; d < 9; d++)
		frac *= 10;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t;
	if (!*p) {
		tm.tm_isdst = -1;
		t = mktime(&tm); /* no zone: local time, as docker reads it */
	} else if (*p == 'Z' && !p[1]) {
		t = timegm(&tm);
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int hh = atoi(p + 1), mm = atoi(p + 4);
		t = timegm(&tm) - (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
	} else {
		return -EINVAL;
	}
	if (t == (time_t)-1 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -EINVAL;
	*ns = (int64_t)t * 1000000000 + frac;
	return 0;
}

int when_parse(const char *s, int64_t now_ns, int64_t *ns)
{
	int64_t d;
	if (!*s)
		return -EINVAL;
	if (strlen(s) >= 10 && s[4] == '-')
		return parse_date(s, ns);
	if (strspn(s, "0123456789.") == strlen(s)) {
		char *end;
		long long sec = strtoll(s, &end, 10);
		long long frac = 0;
		int digits = 0;
		for (const char *p = *end == '.' ? end + 1 : end; *p; p++, digits++) {
			if (*p == '.' || digits >= 9)
				return -EINVAL;
			frac = frac * 10 + (*p - '0');
		}
		for (; digits < 9; digits++)
			frac *= 10;
		*ns = sec * 1000000000 + frac;
		return 0;
	}
	if (when_duration(s, &d) < 0)
		return -EINVAL;
	*ns = now_ns - d;
	return 0;
}

/* The digits of frac (width wide) without their trailing zeros, after a '.'. */
static void fraction(int64_t frac, int width, char *out, size_t cap)
{
	snprintf(out, cap, ".%0*lld", width, (long long)frac);
	for (size_t k = strlen(out); k > 0 && (out[k - 1] == '0' || out[k - 1] == '.'); k--)
		out[k - 1] = '\0';
}

void when_go_duration(int64_t ns, char *out, size_t cap)
{
	char frac[16];
	const char *sign = ns < 0 ? "-" : "";
	if (ns < 0)
		ns = -ns;
	if (ns == 0) {
		snprintf(out, cap, "0s");
	} else if (ns < 1000) {
		snprintf(out, cap, "%s%lldns", sign, (long long)ns);
	} else if (ns < 1000000000) {
		int64_t div = ns < 1000000 ? 1000 : 1000000;
		fraction(ns % div, div == 1000 ? 3 : 6, frac, sizeof frac);
		snprintf(out, cap, "%s%lld%s%s", sign, (long long)(ns / div), frac, div == 1000 ? "µs" : "ms");
	} else {
		int64_t s = ns / 1000000000, h = s / 3600, m = s / 60 % 60;
		size_t n = (size_t)snprintf(out, cap, "%s", sign);
		fraction(ns % 1000000000, 9, frac, sizeof frac);
		if (h)
			n += (size_t)snprintf(out + n, cap > n ? cap - n : 0, "%lldh", (long long)h);
		if (h || m)
			n += (size_t)snprintf(out + n, cap > n ? cap - n : 0, "%lldm", (long long)m);
		snprintf(out + n, cap > n ? cap - n : 0, "%lld%ss", (long long)(s % 60), frac);
	}
}
