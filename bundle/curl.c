/* SPDX-License-Identifier: Apache-2.0 */
/*
 * curl.c: curl.h's table, filled from libcurl.so.4 on first use.
 *
 * The soname is libcurl's ABI promise (Debian's libcurl4, which
 * libcurl4-openssl-dev's headers describe). RTLD_LOCAL: its symbols serve
 * only this table. Once loaded it stays: a process pushes or pulls and
 * exits.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "curl.h"

#define LIBCURL "libcurl.so.4"

static const struct {
	const char *name;
	size_t at;
} syms[] = {
	{ "curl_global_init", offsetof(struct qcurl, global_init) },
	{ "curl_easy_init", offsetof(struct qcurl, easy_init) },
	{ "curl_easy_cleanup", offsetof(struct qcurl, easy_cleanup) },
	{ "curl_easy_reset", offsetof(struct qcurl, easy_reset) },
	{ "curl_easy_setopt", offsetof(struct qcurl, easy_setopt) },
	{ "curl_easy_perform", offsetof(struct qcurl, easy_perform) },
	{ "curl_easy_getinfo", offsetof(struct qcurl, easy_getinfo) },
	{ "curl_easy_strerror", offsetof(struct qcurl, easy_strerror) },
	{ "curl_easy_escape", offsetof(struct qcurl, easy_escape) },
	{ "curl_free", offsetof(struct qcurl, free) },
	{ "curl_slist_append", offsetof(struct qcurl, slist_append) },
	{ "curl_slist_free_all", offsetof(struct qcurl, slist_free_all) },
};

const struct qcurl *qcurl(struct qerr *err)
{
	static struct qcurl t;
	static int state; /* 0 not tried, 1 ready, -1 failed */
	static char why[200];
	if (state == 0) {
		void *h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
		const char *msg = h ? NULL : dlerror();
		for (size_t i = 0; h && i < sizeof syms / sizeof *syms; i++) {
			void *f = dlsym(h, syms[i].name);
			if (!f) {
				msg = syms[i].name;
				break;
			}
			/* a function pointer through void *, as POSIX's dlsym has it */
			*(void **)((char *)&t + syms[i].at) = f;
		}
		if (h && !msg && t.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			msg = "curl_global_init failed";
		state = msg ? -1 : 1;
		if (msg)
			snprintf(why, sizeof why, "%s: %s (is Debian's libcurl4 installed?)", LIBCURL, msg);
	}
	if (state < 0) {
		qerr_set(err, ENOSYS, "%s", why);
		return NULL;
	}
	return &t;
}
