/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bounds.c: what a bundle may ask of the host that runs it. A bundle,
 * signed or not, is its author's wish, not the host's word: memory and
 * vCPUs that come from it (its vm.conf or its launch config) and not from
 * the run line must fit this host (its RAM; the CPUs this process may run
 * on), else 125 before qemu starts. -m and --cpus on the run line are the
 * user's own word and decide. Every qemu-facing value of its vm.conf is
 * from conf.c's allowlist, and its baked ports are published on 127.0.0.1
 * only (baked.c), whatever address they name.
 */
#include <errno.h>
#include <sched.h>
#include <sys/sysinfo.h>

#include "bundle.h"

static long host_mb(void)
{
	struct sysinfo si;
	return sysinfo(&si) == 0 ? (long)((unsigned long long)si.totalram * si.mem_unit >> 20) : 0;
}

static long host_cpus(void)
{
	cpu_set_t set;
	return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
}

int bundle_bounds(const struct bundle *b, long memory_mb, bool memory_asked, long cpus, bool cpus_asked,
		  struct qerr *err)
{
	long mb = host_mb(), n = host_cpus();
	if (memory_asked && mb > 0 && memory_mb > mb)
		return qerr_set(err, E2BIG, "%s asks for %ld MiB of memory, this host has %ld MiB "
			       "(-m on the run line decides)", b->shown, memory_mb, mb);
	if (cpus_asked && n > 0 && cpus > n)
		return qerr_set(err, E2BIG, "%s asks for %ld vCPUs, this host has %ld (--cpus on the run line decides)",
				b->shown, cpus, n);
	return 0;
}
