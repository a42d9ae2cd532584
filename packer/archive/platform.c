/* SPDX-License-Identifier: Apache-2.0 */
/*
 * platform.c: "os/arch[/variant]" as in `docker --platform`.
 *
 * Matching follows containerd's platforms package in spirit: os and
 * architecture must be equal after normalization (x86_64 -> amd64, aarch64
 * -> arm64, armhf -> arm/v7); the variant is ignored for amd64 (v1..v4 are
 * all runnable on the VMs qpod starts), "v8" is arm64's default, and a
 * request without a variant takes any.
 *
 * Without --platform the request is the host's platform (uname's machine,
 * normalized), as docker's, and "any": an index still picks the host's
 * entry, but an image of one platform only (a single manifest, or an index
 * whose entries all have the same one) is taken as it is; the runner then
 * boots that architecture's guest, or says it has none.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "archive/formats.h"
#include "common/common.h"

static void copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void platform_normalize(struct platform *p)
{
	for (char *c = p->os; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
	if (!strcmp(p->arch, "x86_64") || !strcmp(p->arch, "x86-64"))
		strcpy(p->arch, "amd64");
	else if (!strcmp(p->arch, "aarch64"))
		strcpy(p->arch, "arm64");
	else if (!strcmp(p->arch, "armhf"))
		strcpy(p->arch, "arm"), strcpy(p->variant, "v7");
	else if (!strcmp(p->arch, "armel"))
		strcpy(p->arch, "arm"), strcpy(p->variant, "v6");
	else if (!strcmp(p->arch, "i386"))
		strcpy(p->arch, "386");
	if (!strcmp(p->arch, "amd64"))
		p->variant[0] = '\0';
	if (!strcmp(p->arch, "arm64") && !strcmp(p->variant, "v8"))
		p->variant[0] = '\0';
}

int platform_parse(const char *s, struct platform *p)
{
	*p = (struct platform){ 0 };
	const char *a = strchr(s, '/');
	if (!a || a == s || !a[1])
		return -EINVAL;
	const char *v = strchr(a + 1, '/');
	if (v && (!v[1] || strchr(v + 1, '/') || v == a + 1))
		return -EINVAL;
	copy(p->os, sizeof p->os, s, (size_t)(a - s));
	copy(p->arch, sizeof p->arch, a + 1, v ? (size_t)(v - a - 1) : strlen(a + 1));
	if (v)
		copy(p->variant, sizeof p->variant, v + 1, strlen(v + 1));
	platform_normalize(p);
	return 0;
}

void platform_format(const struct platform *p, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s%s%s", p->os[0] ? p->os : "?", p->arch[0] ? p->arch : "?",
		 p->variant[0] ? "/" : "", p->variant);
}

bool platform_match(const struct platform *want, const struct platform *have)
{
	struct platform h = *have;
	platform_normalize(&h);
	if (strcmp(want->os, h.os) || strcmp(want->arch, h.arch))
		return false;
	return !want->variant[0] || !h.variant[0] || !strcmp(want->variant, h.variant);
}

void platform_host(struct platform *p)
{
	struct utsname u;
	const char *m = uname(&u) == 0 ? u.machine : "?";
	*p = (struct platform){ .os = "linux" };
	copy(p->arch, sizeof p->arch, m, strlen(m));
	platform_normalize(p);
}

int platform_want(const char *s, struct platform *want, bool *any, struct qerr *err)
{
	*any = !s;
	if (!s) {
		platform_host(want);
		return 0;
	}
	if (platform_parse(s, want) < 0)
		return qerr_set(err, EINVAL, "bad platform \"%s\" (want os/arch[/variant], e.g. linux/arm64)", pq(s));
	return 0;
}
