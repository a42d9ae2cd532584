/* SPDX-License-Identifier: Apache-2.0 */
/* when.h: times and durations as docker writes and reads them (when.c). */
#ifndef QPOD_WHEN_H
#define QPOD_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* Go's time.ParseDuration ("1h2m3.5s", "500ms", "0"): 0 with *ns, or -EINVAL. */
int when_duration(const char *s, int64_t *ns);
/* RFC 3339 with nanoseconds, UTC, as docker's JSON has it
 * ("2024-05-01T10:00:00.123456789Z"); 0 is Go's zero time "0001-01-01T00:00:00Z". */
void when_rfc3339(int64_t ns, char *out, size_t cap);
/* docker's --since/--until and filter times: a duration before now ("10m"),
 * unix seconds ("1700000000", "1700000000.5"), or an RFC 3339 date or time
 * (a fraction after '.' or ','; without a zone, local time). -EINVAL else. */
int when_parse(const char *s, int64_t now_ns, int64_t *ns);
/* A duration as Go's time.Duration prints it ("30s", "1m30s", "1.5s", "50ms"). */
void when_go_duration(int64_t ns, char *out, size_t cap);
/* CLOCK_REALTIME in ns. */
int64_t when_now(void);

#endif
