/* SPDX-License-Identifier: Apache-2.0 */
/*
 * curl.h: libcurl, loaded the first time a registry is spoken to (curl.c).
 *
 * Linked, libcurl and the thirty libraries it needs (TLS, Kerberos, LDAP,
 * SSH, brotli, ...) made every qpod process pay for them at start: `qpod
 * --version` took 9.5 ms against 1.0 ms without (ld.so's relocations), and
 * so did every `qpod run`. Only push and pull speak HTTP, so qpod opens
 * Debian's libcurl.so.4 then, and calls it through this table: the same
 * functions, with libcurl's own types and ABI (curl/curl.h).
 */
#ifndef QPOD_BUNDLE_CURL_H
#define QPOD_BUNDLE_CURL_H

#include <curl/curl.h>

#include "err.h"

struct qcurl {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *c);
	void (*easy_reset)(CURL *c);
	CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	char *(*easy_escape)(CURL *c, const char *s, int len);
	void (*free)(void *p);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/* The table, libcurl loaded and initialised once; NULL and a message when
 * it cannot be (libcurl4 is not installed, or lacks a function). */
const struct qcurl *qcurl(struct qerr *err);

#endif
