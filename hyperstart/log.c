/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: leveled logging to the console. Every byte on an emulated 8250
 * costs boot time, so only errors are printed unless the kernel command line
 * has "qpod.debug". Messages are one line, prefixed "hyperstart: ".
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

int log_debug_on;

uint64_t boottime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void log_init(void)
{
	char v[8];
	log_debug_on = cmdline_get("qpod.debug", v, sizeof v) == 0;
}

static void vlog(const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof line, "hyperstart: ");
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	io_write_all(STDERR_FILENO, line, len);
}

void log_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_dbg(const char *fmt, ...)
{
	if (!log_debug_on)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
