/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packer_manifest.c: fuzz the readers of manifest.json, index.json, OCI
 * manifests and image configs (docker.c, oci.c, config.c, plan.c, ref.c,
 * platform.c), from bytes, with no archive and no disk.
 *
 * Input: byte 0 picks what the rest is; byte 1 picks the image name asked
 * for. The other members an image needs are fixed documents whose digests
 * the seed corpus (test/fuzz/corpus/packer_manifest) refers to:
 *   0  manifest.json           with c.json (config), l.tar, sha256:<config>
 *   1  index.json              with blobs: manifest M, config C, layer L, index N -> M
 *   2  an OCI manifest blob    with index.json pointing at it (digest computed)
 *   3  an image config         with manifest.json and an index pointing at it
 * Checks: no crash, no leak; a plan that succeeds has a key and as many
 * diff_ids as layers.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/formats.h"

static const char cfg[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"A=1\"]},"
			  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"]}}";

static void add_blob(struct outer *o, const char *data, size_t n, char hex[HEX64])
{
	char name[100];
	sha256_hex(data, n, hex);
	snprintf(name, sizeof name, "blobs/sha256/%s", hex);
	outer_add(o, name, M_FILE, NULL, data, n);
}

static char *manifest_for(const char *config_hex, size_t config_len, const char *layer_hex)
{
	char *m = NULL;
	if (asprintf(&m, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		     "\"digest\":\"sha256:%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
		     "\"digest\":\"sha256:%s\",\"size\":0}]}", config_hex, config_len, layer_hex) < 0)
		return NULL;
	return m;
}

static char *index_for(const char *hex, size_t len, const char *media)
{
	char *i = NULL;
	if (asprintf(&i, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%zu,"
		     "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"},"
		     "\"annotations\":{\"org.opencontainers.image.ref.name\":\"x:1\"}}]}", media, hex, len) < 0)
		return NULL;
	return i;
}

static void fixed_oci(struct outer *o, const char *config, size_t config_len, bool with_index)
{
	char c[HEX64], l[HEX64], m[HEX64], n[HEX64];
	add_blob(o, config, config_len, c);
	add_blob(o, "", 0, l);
	char *man = manifest_for(c, config_len, l);
	add_blob(o, man, strlen(man), m);
	char *nested = index_for(m, strlen(man), "application/vnd.oci.image.manifest.v1+json");
	add_blob(o, nested, strlen(nested), n);
	if (with_index)
		outer_add(o, "index.json", M_FILE, NULL, nested, strlen(nested));
	free(man);
	free(nested);
}

static void check(const struct reader *rd, const struct plan *p, int r)
{
	if (r == 1) {
		assert(is_hex64(p->key));
		assert(!p->cfg.has_rootfs || p->cfg.n_diff_ids == p->n);
		for (size_t i = 0; i < p->n; i++)
			assert(p->layers[i].m && p->layers[i].name);
	} else
		assert(r < 0 && rd->err->msg[0] && !strchr(rd->err->msg, '\n'));
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const refs[] = { NULL, "x:1", "busybox", "docker.io/library/busybox:latest", "latest" };
	if (size < 2)
		return 0;
	struct qerr err = { 0 };
	struct reader rd = { .o = { .shown = "fuzz.tar", .fd = -1 }, .err = &err, .ref = refs[data[1] % 5] };
	struct plan plan = { 0 };
	platform_parse(data[1] & 0x80 ? "linux/arm64" : "linux/amd64", &rd.want);
	const char *in = (const char *)data + 2;
	size_t n = size - 2;
	int r = 0;
	char hex[HEX64];
	switch (data[0] % 4) {
	case 0:
		outer_add(&rd.o, "manifest.json", M_FILE, NULL, in, n);
		outer_add(&rd.o, "c.json", M_FILE, NULL, cfg, strlen(cfg));
		outer_add(&rd.o, "l.tar", M_FILE, NULL, "", 0);
		outer_add(&rd.o, "link.tar", M_SYMLINK, "l.tar", "", 0);
		sha256_hex(cfg, strlen(cfg), hex);
		{
			char name[80];
			snprintf(name, sizeof name, "sha256:%s", hex);
			outer_add(&rd.o, name, M_FILE, NULL, cfg, strlen(cfg));
		}
		r = docker_plan(&rd, true, &plan);
		break;
	case 1:
		fixed_oci(&rd.o, cfg, strlen(cfg), false);
		outer_add(&rd.o, "index.json", M_FILE, NULL, in, n);
		r = oci_plan(&rd, &plan);
		break;
	case 2: {
		char *idx;
		fixed_oci(&rd.o, cfg, strlen(cfg), false);
		add_blob(&rd.o, in, n, hex);
		idx = index_for(hex, n, "application/vnd.oci.image.manifest.v1+json");
		outer_add(&rd.o, "index.json", M_FILE, NULL, idx, strlen(idx));
		free(idx);
		r = oci_plan(&rd, &plan);
		break;
	}
	default: {
		struct imgcfg c;
		if (imgcfg_parse(in, n, &c, &err) == 0)
			imgcfg_free(&c);
		fixed_oci(&rd.o, in, n, true);
		r = oci_plan(&rd, &plan);
		break;
	}
	}
	check(&rd, &plan, r);
	plan_free(&plan);
	outer_close(&rd.o);
	return 0;
}
