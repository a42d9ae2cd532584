/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entry.c: images/<key>/config.json, the normalized description of a cache
 * entry. Written once when the entry is published; read by every warm run,
 * so it holds exactly what the runner needs and ls shows:
 *
 *   {"id": "<key>", "source": "/abs/archive.tar", "name": "repo:tag" | null,
 *    "format": "docker-archive" | "oci" | "docker-legacy",
 *    "platform": "linux/amd64", "layers": 3, "size": <bytes>, "files": N,
 *    "unpacked": <unix time>, "owners": "host" | "mapped-xattr",
 *    "config": {"Entrypoint": [..] | null, "Cmd": .., "Env": ..,
 *               "WorkingDir": "..", "User": "..", "StopSignal": N,
 *               "Healthcheck": {..}, "Labels": {..}}}   (the last two only when
 *               the image has them; an entry unpacked before they were kept has
 *               neither: qpod cache prune and a new run bring them)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/entry.h"
#include "common/virtfs.h"
#include "io.h"
#include "layout.h"

int entry_json(const struct entry_meta *e, struct jw *w)
{
	const struct runcfg *c = e->config;
	jw_init(w);
	jw_obj(w);
	jw_kv_str(w, "id", e->id);
	jw_kv_str(w, "source", e->source);
	jw_kv_str(w, "name", e->name);
	jw_kv_str(w, "format", e->format);
	jw_kv_str(w, "platform", e->platform);
	jw_kv_int(w, "layers", e->layers);
	jw_kv_int(w, "size", e->size > 0 ? e->size : 0);
	jw_kv_int(w, "files", e->files);
	jw_kv_int(w, "unpacked", (int64_t)time(NULL));
	jw_kv_str(w, "owners", e->owners ? e->owners : ENTRY_OWNERS_HOST);
	jw_key(w, "config");
	jw_obj(w);
	jw_kv_strv(w, "Entrypoint", c->entrypoint);
	jw_kv_strv(w, "Cmd", c->cmd);
	jw_kv_strv(w, "Env", c->env);
	jw_kv_str(w, "WorkingDir", c->workdir);
	jw_kv_str(w, "User", c->user);
	if (c->stop_signal)
		jw_kv_int(w, "StopSignal", c->stop_signal);
	runcfg_extra_write(w, c);
	jw_end(w);
	jw_end(w);
	const char *out;
	size_t len;
	return jw_done(w, &out, &len);
}

/* Read images/<key>/config.json into a heap buffer. */
static int slurp(int dfd, const char *name, char **buf, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > PK_JSON_MAX) {
		int r = fd < 0 ? -errno : -EFBIG;
		io_close(&fd);
		return r;
	}
	*buf = malloc((size_t)st.st_size + 1);
	ssize_t n = *buf ? io_read_full(fd, *buf, (size_t)st.st_size) : -ENOMEM;
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		*buf = NULL;
		return n < 0 ? (int)n : -EIO;
	}
	(*buf)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int entry_load(struct cache *c, const char *key, struct json *j, char **buf, struct qerr *err)
{
	char name[100];
	size_t len = 0;
	snprintf(name, sizeof name, CACHE_IMAGES "/%s/config.json", key);
	int r = slurp(c->dfd, name, buf, &len);
	if (r < 0)
		return qerr_sys(err, -r, "cache %s/%s", pq(c->dir), name);
	if (json_parse_alloc(j, *buf, len) < 0 || json_type(j, 0) != JSON_OBJECT) {
		free(*buf);
		*buf = NULL;
		return qerr_set(err, EINVAL, "cache %s/%s: not valid JSON (prune the entry)", pq(c->dir), name);
	}
	return 0;
}

/* An array into *out; anything else leaves it NULL (entries are ours). */
static int strv_from(const struct json *j, int idx, char ***out)
{
	*out = NULL;
	return json_type(j, idx) == JSON_ARRAY ? strv_from_json(j, idx, out) : 0;
}

int entry_read(struct cache *c, const char *key, struct image *img, struct qerr *err)
{
	struct json j;
	char *buf;
	int r = entry_load(c, key, &j, &buf, err);
	if (r < 0)
		return r;
	int cfg = json_get(&j, 0, "config");
	int wd = json_get(&j, cfg, "WorkingDir"), user = json_get(&j, cfg, "User");
	if (asprintf(&img->rootfs, "%s/" CACHE_IMAGES "/%s/rootfs", c->dir, key) < 0)
		img->rootfs = NULL;
	img->id = strdup(key);
	if (json_str(&j, json_get(&j, 0, "platform"), img->platform, sizeof img->platform) < 0)
		img->platform[0] = '\0';
	/* an entry from before "owners" was written holds the host's owners */
	img->mapped = json_eq(&j, json_get(&j, 0, "owners"), VIRTFS_MODEL);
	struct runcfg *rc = &img->config;
	rc->workdir = json_type(&j, wd) == JSON_STRING ? json_strdup(&j, wd) : NULL;
	rc->user = json_type(&j, user) == JSON_STRING ? json_strdup(&j, user) : NULL;
	int64_t ss = 0;
	if (json_int(&j, json_get(&j, cfg, "StopSignal"), &ss) == 0 && ss > 0 && ss <= 64)
		rc->stop_signal = (int)ss;
	if (runcfg_extra_read(&j, cfg, rc) < 0)
		r = qerr_set(err, EINVAL, "cache entry %s: a bad Healthcheck or Labels in config.json (prune the entry)", key);
	if (!img->rootfs || !img->id || strv_from(&j, json_get(&j, cfg, "Entrypoint"), &rc->entrypoint) < 0 ||
	    strv_from(&j, json_get(&j, cfg, "Cmd"), &rc->cmd) < 0 || strv_from(&j, json_get(&j, cfg, "Env"), &rc->env) < 0)
		r = qerr_set(err, ENOMEM, "cache entry %s: out of memory or bad config.json", key);
	json_free(&j);
	free(buf);
	return r;
}
