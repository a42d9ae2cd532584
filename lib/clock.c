/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c: now_s (clock.h). */
#include <time.h>

#include "clock.h"

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
