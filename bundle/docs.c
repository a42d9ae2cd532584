/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docs.c: the JSON documents of a bundle, written one way only: compact,
 * keys in a fixed order, so the same inputs give the same bytes (and
 * read.c can ask whether index.json is exactly what qpod writes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "json.h"

static void digest(struct jw *w, const char *hex)
{
	char d[80];
	snprintf(d, sizeof d, "sha256:%s", hex);
	jw_kv_str(w, "digest", d);
}

/* {"mediaType","artifactType"?,"digest","size","annotations"?{title},"platform"?} */
static void desc(struct jw *w, const struct bd_desc *d, const char *artifact, const char *os, const char *arch)
{
	jw_obj(w);
	jw_kv_str(w, "mediaType", d->media);
	if (artifact)
		jw_kv_str(w, "artifactType", artifact);
	digest(w, d->hex);
	jw_kv_int(w, "size", (int64_t)d->size);
	if (d->title[0]) {
		jw_key(w, "annotations");
		jw_obj(w);
		jw_kv_str(w, "org.opencontainers.image.title", d->title);
		jw_end(w);
	}
	if (os) {
		jw_key(w, "platform");
		jw_obj(w);
		jw_kv_str(w, "architecture", arch);
		jw_kv_str(w, "os", os);
		jw_end(w);
	}
	jw_end(w);
}

static int done(struct jw *w, char **out, size_t *len)
{
	const char *s;
	*out = NULL;
	if (jw_done(w, &s, len) < 0 || !(*out = malloc(*len + 1))) {
		jw_free(w);
		return -ENOMEM;
	}
	memcpy(*out, s, *len);
	(*out)[*len] = '\0';
	jw_free(w);
	return 0;
}

static void head(struct jw *w, const char *media)
{
	jw_init(w);
	jw_obj(w);
	jw_kv_int(w, "schemaVersion", 2);
	jw_kv_str(w, "mediaType", media);
}

int bd_write_index(const struct bd_desc *nested, char **out, size_t *len)
{
	struct jw w;
	head(&w, BD_MT_INDEX);
	jw_key(&w, "manifests");
	jw_arr(&w);
	jw_obj(&w);
	jw_kv_str(&w, "mediaType", nested->media);
	digest(&w, nested->hex);
	jw_kv_int(&w, "size", (int64_t)nested->size);
	jw_key(&w, "annotations");
	jw_obj(&w);
	jw_kv_str(&w, "org.opencontainers.image.ref.name", BD_REF_NAME);
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	return done(&w, out, len);
}

/* platform: "linux/ARCH", the guest's */
int bd_write_nested(const struct bd_desc *image, const char *platform, const struct bd_desc *qpod, char **out,
		    size_t *len)
{
	struct jw w;
	const char *arch = strchr(platform, '/');
	head(&w, BD_MT_INDEX);
	jw_key(&w, "manifests");
	jw_arr(&w);
	desc(&w, image, NULL, "linux", arch ? arch + 1 : platform);
	/* unknown/unknown: what BuildKit gives attestations, so that tools
	 * picking a platform (skopeo, docker, the packer) pass over it */
	desc(&w, qpod, BD_ARTIFACT, "unknown", "unknown");
	jw_end(&w);
	jw_end(&w);
	return done(&w, out, len);
}

int bd_write_image_manifest(const struct bd_desc *config, const struct bd_desc *layer, char **out, size_t *len)
{
	struct jw w;
	head(&w, BD_MT_MANIFEST);
	jw_key(&w, "config");
	desc(&w, config, NULL, NULL, NULL);
	jw_key(&w, "layers");
	jw_arr(&w);
	desc(&w, layer, NULL, NULL, NULL);
	jw_end(&w);
	jw_end(&w);
	return done(&w, out, len);
}

int bd_write_qpod_manifest(const struct bd_doc *d, const char *created, char **out, size_t *len)
{
	struct jw w;
	head(&w, BD_MT_MANIFEST);
	jw_kv_str(&w, "artifactType", BD_ARTIFACT);
	jw_key(&w, "config");
	desc(&w, &d->empty, NULL, NULL, NULL);
	jw_key(&w, "layers");
	jw_arr(&w);
	for (int k = 0; k < P_N; k++)
		if (d->part[k].media[0]) /* a part the guest's arch has */
			desc(&w, &d->part[k], NULL, NULL, NULL);
	jw_end(&w);
	jw_key(&w, "subject");
	desc(&w, &d->subject, NULL, NULL, NULL);
	jw_key(&w, "annotations");
	jw_obj(&w);
	jw_kv_str(&w, "org.opencontainers.image.created", created);
	jw_kv_str(&w, "org.qpod.kernel.version", d->kernel_version);
	jw_end(&w);
	jw_end(&w);
	return done(&w, out, len);
}
