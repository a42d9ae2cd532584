/* SPDX-License-Identifier: Apache-2.0 */
/* lib_when.c: docker's durations and times (lib/when.c): Go's duration
 * syntax, RFC 3339 with nanoseconds, and --since/--until's forms. */
#include <stdlib.h>

#include "tap.h"
#include "when.h"

static int64_t dur(const char *s)
{
	int64_t ns = -42;
	return when_duration(s, &ns) < 0 ? -1 : ns;
}

int main(void)
{
	char t[64];
	int64_t ns = 0;
	plan(14);
	is_int(dur("30s"), 30000000000LL, "30s");
	is_int(dur("1m30s"), 90000000000LL, "1m30s");
	is_int(dur("500ms"), 500000000LL, "500ms before m");
	is_int(dur("1.5h"), 5400000000000LL, "a fraction");
	is_int(dur("0"), 0, "0 alone");
	is_int(dur("10"), -1, "a number without a unit is refused");
	is_int(dur("1x"), -1, "an unknown unit is refused");
	when_rfc3339(1700000000123456789LL, t, sizeof t);
	is_str(t, "2023-11-14T22:13:20.123456789Z", "RFC 3339 with nanoseconds");
	when_rfc3339(1700000000000000000LL, t, sizeof t);
	is_str(t, "2023-11-14T22:13:20Z", "no fraction when whole");
	when_rfc3339(0, t, sizeof t);
	is_str(t, "0001-01-01T00:00:00Z", "Go's zero time");
	ok(when_parse("10m", 1000000000000LL, &ns) == 0 && ns == 1000000000000LL - 600000000000LL, "a duration back from now");
	ok(when_parse("1700000000.5", 0, &ns) == 0 && ns == 1700000000500000000LL, "unix seconds with a fraction");
	ok(when_parse("2023-11-14T22:13:20,123456789+00:00", 0, &ns) == 0 && ns == 1700000000123456789LL,
	   "date --iso-8601=ns's form");
	ok(when_parse("2023-11-14T23:13:20+01:00", 0, &ns) == 0 && ns == 1700000000000000000LL, "an offset");
	return done();
}
