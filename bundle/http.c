/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c: registry.h's HTTP: one repository of one registry over libcurl
 * (TLS, redirects, HTTP/1.1 and 2 are libcurl's; nothing here speaks TLS).
 * Credentials come from --creds or an auth.json, and are sent only after
 * the registry asks (401): Basic, or a Bearer token from the challenge's
 * realm for the challenge's scope. A certs.d directory's ca.crt, when there
 * is one for the host, is the CA it is verified with.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/base64.h>

#include "bundle.h"
#include "common/common.h"
#include "curl.h"
#include "io.h"
#include "json.h"
#include "registry.h"

struct reg {
	const struct qcurl *cu;     /* libcurl (curl.h) */
	CURL *c;
	char host[256], repo[256], name[520], scheme[8];
	char user[256], pass[256];  /* "" for none */
	char bearer[8192];          /* the token, once one was fetched */
	bool basic;                 /* the registry asked for Basic */
	char ca[4200];              /* a certs.d ca.crt, or "" */
	bool verify;
};

const char *reg_name(const struct reg *r)
{
	return r->name;
}

/* ---- credentials: --creds, or the auth.json skopeo and podman read ---- */

static int auth_from(struct reg *r, const char *path, bool given, struct qerr *err)
{
	char text[65536], key[300], b64[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return given ? qerr_sys(err, errno, "--authfile %s", path) : 1;
	ssize_t n = io_read_text(fd, text, sizeof text);
	struct json j;
	if (n < 0 || json_parse_alloc(&j, text, (size_t)n) < 0)
		return qerr_set(err, EINVAL, "%s: not an auth.json", path);
	int auths = json_get(&j, 0, "auths"), e = 1;
	for (int k = 0; e == 1 && k < 2; k++) {
		snprintf(key, sizeof key, "%s%s", k ? "https://" : "", r->host);
		int a = json_get(&j, json_get(&j, auths, key), "auth");
		struct base64_decode_ctx ctx;
		uint8_t pair[600];
		size_t got = sizeof pair;
		if (a < 0 || json_str(&j, a, b64, sizeof b64) < 0)
			continue;
		base64_decode_init(&ctx);
		if (strlen(b64) > 4 * sizeof pair / 3 || !base64_decode_update(&ctx, &got, pair, strlen(b64), b64) ||
		    !base64_decode_final(&ctx) || !memchr(pair, ':', got) || got >= sizeof pair) {
			e = qerr_set(err, EINVAL, "%s: the auth of %s is not base64 of USER:PASSWORD", path, key);
			break;
		}
		pair[got] = '\0';
		char *colon = strchr((char *)pair, ':');
		*colon = '\0';
		snprintf(r->user, sizeof r->user, "%s", (char *)pair);
		snprintf(r->pass, sizeof r->pass, "%s", colon + 1);
		e = 0;
	}
	json_free(&j);
	return e;
}

static int credentials(struct reg *r, const struct reg_opts *o, struct qerr *err)
{
	char p[4200];
	const char *env = getenv("REGISTRY_AUTH_FILE"), *run = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (o->creds) {
		const char *colon = strchr(o->creds, ':');
		snprintf(r->user, sizeof r->user, "%.*s", colon ? (int)(colon - o->creds) : 0, o->creds);
		snprintf(r->pass, sizeof r->pass, "%s", colon ? colon + 1 : "");
		return 0;
	}
	if (o->authfile)
		return auth_from(r, o->authfile, true, err) < 0 ? -EINVAL : 0;
	if (env && *env)
		return auth_from(r, env, true, err) < 0 ? -EINVAL : 0;
	const char *const fmt[][2] = { { run, "%s/containers/auth.json" },
				       { xdg && *xdg ? xdg : NULL, "%s/containers/auth.json" },
				       { xdg && *xdg ? NULL : home, "%s/.config/containers/auth.json" },
				       { home, "%s/.docker/config.json" } };
	for (size_t i = 0; i < sizeof fmt / sizeof *fmt; i++) {
		if (!fmt[i][0] || !*fmt[i][0])
			continue;
		snprintf(p, sizeof p, fmt[i][1], fmt[i][0]);
		int e = auth_from(r, p, false, err);
		if (e <= 0)
			return e;
	}
	return 0;
}

/* A certs.d directory's ca.crt for this host, as podman and docker read them. */
static void cert_dir(struct reg *r)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char d[3][4096] = { "" };
	if (xdg && *xdg)
		snprintf(d[0], sizeof d[0], "%s/containers/certs.d/%s", xdg, r->host);
	else if (home && *home)
		snprintf(d[0], sizeof d[0], "%s/.config/containers/certs.d/%s", home, r->host);
	snprintf(d[1], sizeof d[1], "/etc/containers/certs.d/%s", r->host);
	snprintf(d[2], sizeof d[2], "/etc/docker/certs.d/%s", r->host);
	for (int i = 0; i < 3; i++) {
		snprintf(r->ca, sizeof r->ca, "%s/ca.crt", d[i]);
		if (d[i][0] && access(r->ca, R_OK) == 0)
			return;
	}
	r->ca[0] = '\0';
}

int reg_open(struct reg **out, const char *host, const char *repo, bool push, const struct reg_opts *o,
	     struct qerr *err)
{
	(void)push;
	struct reg *r = calloc(1, sizeof *r);
	int e;
	*out = r;
	if (!r)
		return qerr_set(err, ENOMEM, "out of memory");
	snprintf(r->host, sizeof r->host, "%s", strcmp(host, "docker.io") ? host : "registry-1.docker.io");
	snprintf(r->repo, sizeof r->repo, "%s", repo);
	snprintf(r->name, sizeof r->name, "%s/%s", host, repo);
	snprintf(r->scheme, sizeof r->scheme, "%s", o->no_tls_verify ? "http" : "https");
	r->verify = !o->no_tls_verify;
	if ((e = credentials(r, o, err)))
		return e;
	cert_dir(r);
	if (!(r->cu = qcurl(err)))
		return -err->code;
	if (!(r->c = r->cu->easy_init()))
		return qerr_set(err, ENOMEM, "libcurl: no handle");
	return 0;
}

void reg_close(struct reg *r)
{
	if (!r)
		return;
	if (r->c)
		r->cu->easy_cleanup(r->c);
	explicit_bzero(r->pass, sizeof r->pass);
	explicit_bzero(r->bearer, sizeof r->bearer);
	free(r);
}

/* ---- one request ---- */

struct body {
	const char *mem;
	int fd;
	uint64_t off, size, done;
};

static size_t on_read(char *buf, size_t sz, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t want = sz * n;
	if (want > b->size - b->done)
		want = (size_t)(b->size - b->done);
	if (!want)
		return 0;
	if (b->mem) {
		memcpy(buf, b->mem + b->done, want);
	} else {
		ssize_t got = pread(b->fd, buf, want, (off_t)(b->off + b->done));
		if (got <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)got;
	}
	b->done += want;
	return want;
}

static size_t on_write(char *buf, size_t sz, size_t n, void *ctx)
{
	struct reg_resp *r = ctx;
	size_t k = sz * n;
	if (r->max) {
		if (r->len + k > r->max)
			return 0; /* too large: the transfer fails */
		char *p = realloc(r->body, r->len + k + 1);
		if (!p)
			return 0;
		r->body = p;
		memcpy(p + r->len, buf, k);
		r->len += k;
		p[r->len] = '\0';
	} else if (r->fd >= 0 && io_write_all(r->fd, buf, k) < 0) {
		return 0;
	}
	if (r->sha)
		sha_update(r->sha, buf, k);
	r->got += k;
	return k;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t l = strlen(name);
	if (n <= l || strncasecmp(line, name, l) || line[l] != ':')
		return;
	const char *v = line + l + 1;
	size_t vn = n - l - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n'))
		vn--;
	snprintf(out, cap, "%.*s", (int)(vn < cap ? vn : cap - 1), v);
}

static size_t on_header(char *buf, size_t sz, size_t n, void *ctx)
{
	struct reg_resp *r = ctx;
	size_t k = sz * n;
	if (k > 5 && !strncmp(buf, "HTTP/", 5)) /* a new response (after a redirect): its own headers */
		r->location[0] = r->digest[0] = r->type[0] = r->auth[0] = '\0';
	header_value(buf, k, "location", r->location, sizeof r->location);
	header_value(buf, k, "docker-content-digest", r->digest, sizeof r->digest);
	header_value(buf, k, "content-type", r->type, sizeof r->type);
	header_value(buf, k, "www-authenticate", r->auth, sizeof r->auth);
	return k;
}

/* key="value" from a challenge ("Bearer realm=\"...\",service=\"...\""). */
static void param(const char *ch, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof pat, "%s=\"", key);
	const char *p = strcasestr(ch, pat);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(pat);
	size_t n = strcspn(p, "\"");
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}


static int http_perform(struct reg *r, const char *method, const char *url, const char *type, const char *accept,
		   struct body *b, bool with_body, struct reg_resp *resp, struct qerr *err)
{
	CURL *c = r->c;
	struct curl_slist *h = NULL;
	char line[8400], cerr[CURL_ERROR_SIZE] = "";
	r->cu->easy_reset(c);
	r->cu->easy_setopt(c, CURLOPT_URL, url);
	r->cu->easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	r->cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	r->cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	r->cu->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	r->cu->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	r->cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	r->cu->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, r->verify ? "https" : "http,https");
	r->cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	r->cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (r->ca[0])
		r->cu->easy_setopt(c, CURLOPT_CAINFO, r->ca);
	r->cu->easy_setopt(c, CURLOPT_USERAGENT, "qpod");
	r->cu->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	r->cu->easy_setopt(c, CURLOPT_HEADERDATA, resp);
	r->cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	r->cu->easy_setopt(c, CURLOPT_WRITEDATA, resp);
	if (!strcmp(method, "GET"))
		r->cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	if (!strcmp(method, "HEAD"))
		r->cu->easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET"))
		r->cu->easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (with_body) {
		b->done = 0;
		r->cu->easy_setopt(c, CURLOPT_UPLOAD, 1L);
		r->cu->easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		r->cu->easy_setopt(c, CURLOPT_READDATA, b);
		r->cu->easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)b->size);
	} else if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
		r->cu->easy_setopt(c, CURLOPT_POSTFIELDS, "");
		r->cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (type) {
		snprintf(line, sizeof line, "Content-Type: %s", type);
		h = r->cu->slist_append(h, line);
	}
	if (accept) {
		snprintf(line, sizeof line, "Accept: %s", accept);
		h = r->cu->slist_append(h, line);
	}
	h = r->cu->slist_append(h, "Expect:");
	if (r->bearer[0]) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", r->bearer);
		h = r->cu->slist_append(h, line);
	} else if (r->basic) {
		r->cu->easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		r->cu->easy_setopt(c, CURLOPT_USERNAME, r->user);
		r->cu->easy_setopt(c, CURLOPT_PASSWORD, r->pass);
	}
	r->cu->easy_setopt(c, CURLOPT_HTTPHEADER, h);
	resp->code = 0;
	resp->got = resp->len = 0;
	CURLcode cc = r->cu->easy_perform(c);
	r->cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->code);
	r->cu->slist_free_all(h);
	explicit_bzero(line, sizeof line);
	if (cc != CURLE_OK)
		return qerr_set(err, cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ? EPERM : EIO,
				"%s: %s %s: %s", r->name, method, url, *cerr ? cerr : r->cu->easy_strerror(cc));
	return 0;
}

/* The challenge's realm, asked for a token for its scope. */
static int bearer(struct reg *r, const char *challenge, struct qerr *err)
{
	char realm[1024], service[256], scope[600], url[2200];
	param(challenge, "realm", realm, sizeof realm);
	param(challenge, "service", service, sizeof service);
	param(challenge, "scope", scope, sizeof scope);
	if (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7))
		return qerr_set(err, EPROTO, "%s: a Bearer challenge without a realm", r->name);
	char *es = r->cu->easy_escape(r->c, service, 0), *sc = r->cu->easy_escape(r->c, scope, 0);
	snprintf(url, sizeof url, "%s%sservice=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", es ? es : "",
		 *scope ? "&scope=" : "", *scope && sc ? sc : "");
	r->cu->free(es);
	r->cu->free(sc);
	struct reg_resp t = { .fd = -1, .max = 65536 };
	struct body none = { 0 };
	r->bearer[0] = '\0';
	r->basic = *r->user != '\0'; /* the token server gets the credentials, if any */
	int e = http_perform(r, "GET", url, NULL, NULL, &none, false, &t, err);
	r->basic = false;
	struct json j;
	if (!e && t.code != 200)
		e = qerr_set(err, EACCES, "%s: the token server %s answered %ld%s", r->name, realm, t.code,
			     t.code == 401 ? " (the credentials were refused)" : "");
	if (!e && (json_parse_alloc(&j, t.body, t.len) < 0 ||
		   (json_str(&j, json_get(&j, 0, "token"), r->bearer, sizeof r->bearer) < 0 &&
		    json_str(&j, json_get(&j, 0, "access_token"), r->bearer, sizeof r->bearer) < 0)))
		e = qerr_set(err, EPROTO, "%s: the token server %s gave no token", r->name, realm);
	if (t.body && !e)
		json_free(&j);
	free(t.body);
	return e;
}

int reg_do(struct reg *r, const char *method, const char *path, const char *type, const char *accept,
	   const void *mem, int fd, uint64_t off, uint64_t size, struct reg_resp *resp, struct qerr *err)
{
	char url[4200];
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
		snprintf(url, sizeof url, "%s", path);
	else if (path[0] == '/')
		snprintf(url, sizeof url, "%s://%s%s", r->scheme, r->host, path);
	else
		snprintf(url, sizeof url, "%s://%s/v2/%s/%s", r->scheme, r->host, r->repo, path);
	struct body b = { .mem = mem, .fd = fd, .off = off, .size = size };
	bool with = mem || fd >= 0;
	uint64_t at = resp->fd >= 0 ? (uint64_t)lseek(resp->fd, 0, SEEK_CUR) : 0;
	int e = http_perform(r, method, url, type, accept, &b, with, resp, err);
	if (e || resp->code != 401)
		return e;
	/* Asked for credentials: answer the challenge once. */
	if (!strncasecmp(resp->auth, "Bearer ", 7)) {
		if ((e = bearer(r, resp->auth, err)))
			return e;
	} else if (!strncasecmp(resp->auth, "Basic", 5) && *r->user && !r->basic) {
		r->basic = true;
	} else {
		return qerr_set(err, EACCES, "%s: %s %s: 401 Unauthorized (%s)", r->name, method, path,
				*r->user ? "the credentials were refused" : "no credentials: --creds or an auth.json");
	}
	if (resp->fd >= 0 && (lseek(resp->fd, (off_t)at, SEEK_SET) < 0 || ftruncate(resp->fd, (off_t)at) < 0))
		return qerr_sys(err, errno, "%s: rewind the download", r->name);
	if (resp->sha) {
		sha_free(resp->sha);
		resp->sha = sha_new();
	}
	free(resp->body);
	resp->body = NULL;
	if ((e = http_perform(r, method, url, type, accept, &b, with, resp, err)))
		return e;
	if (resp->code == 401)
		return qerr_set(err, EACCES, "%s: %s %s: 401 Unauthorized (the credentials were refused)", r->name,
				method, path);
	return 0;
}
