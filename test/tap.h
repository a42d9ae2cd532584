/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tap.h: the smallest TAP producer for C unit tests.
 *
 *   int main(void) { plan(2); ok(1 + 1 == 2, "adds"); is_int(f(), 3, "f"); return done(); }
 *
 * Each check prints "ok N - name" or "not ok N - name" plus a "#" line with
 * the file, line and values. done() returns non-zero if any check failed.
 */
#ifndef QPOD_TAP_H
#define QPOD_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void plan(int n) { printf("1..%d\n", n); fflush(stdout); }

static inline int tap_check(int cond, const char *file, int line, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, name) tap_check(!!(cond), __FILE__, __LINE__, name)
#define is_int(got, want, name) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!tap_check(g_ == w_, __FILE__, __LINE__, name)) \
		printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)
#define is_str(got, want, name) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!tap_check(g_ && w_ && !strcmp(g_, w_), __FILE__, __LINE__, name)) \
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static inline int done(void) { return tap_failed != 0; }

#endif
