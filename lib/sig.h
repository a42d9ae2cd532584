/* SPDX-License-Identifier: Apache-2.0 */
/* sig.h: signal names to numbers and back (sig.c). */
#ifndef QPOD_SIG_H
#define QPOD_SIG_H

/* "SIGTERM", "TERM", "term" or "15": the number, or -1. */
int sig_parse(const char *s);
/* "TERM" for 15, NULL for a number without a name. */
const char *sig_name(int sig);

#endif
