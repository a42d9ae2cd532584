/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index.c: the readers of a bundle's JSON documents: index.json, the nested
 * image index, the image manifest and the qpod manifest (bundle.h draws
 * them). Input is untrusted bytes: every field used is type-checked, every
 * size bounded, every digest parsed as sha256:<64 lowercase hex> (so no
 * descriptor names a path), and a document larger than BD_JSON_MAX or
 * deeper than the JSON reader's limit is refused. Unknown keys are ignored,
 * as OCI asks; missing or repeated qpod parts are errors (kernel-up and
 * firmware may be absent: read.c checks them against the guest's arch).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "common/common.h"
#include "json.h"
#include "vm/vm.h"

const struct bd_part_info bd_parts[P_N] = {
	[P_KERNEL]    = { "kernel",     "application/vnd.qpod.kernel.v1",          "vmlinux",         256u << 20 },
	[P_KERNEL_UP] = { "kernel-up",  "application/vnd.qpod.kernel.up.v1",       "vmlinux-up",      256u << 20 },
	[P_INITRD]    = { "initrd",     "application/vnd.qpod.initrd.v1",          "initrd.img",      512u << 20 },
	[P_FIRMWARE]  = { "firmware",   "application/vnd.qpod.firmware.qboot.v1",  "qboot.rom",       8u << 20 },
	[P_CMDLINE]   = { "cmdline",    "application/vnd.qpod.cmdline.v1",         "cmdline",         2047 },
	[P_VMCONF]    = { "vm.conf",    "application/vnd.qpod.vmconf.v1",          "vm.conf",         8191 },
	[P_SBOM]      = { "sbom",       "application/spdx+json",                   "sbom.spdx.json",  BD_JSON_MAX },
	[P_LAUNCH]    = { "launch",     "application/vnd.qpod.launch.v1+json",     "launch.json",     64u << 10 },
	[P_ROOTFS]    = { "rootfs",     "application/vnd.qpod.rootfs.squashfs.v1", "rootfs.squashfs", BD_FILE_MAX },
};

const char *bd_part_file(int k, const struct arch *arch)
{
	switch (k) {
	case P_KERNEL: return arch->pvh ? bd_parts[k].file : arch->kernel;
	case P_KERNEL_UP: return arch->pvh ? bd_parts[k].file : NULL;
	case P_FIRMWARE: return arch->firmware ? bd_parts[k].file : NULL;
	default: return bd_parts[k].file;
	}
}

struct rd {
	struct json j;
	const char *what;        /* the document, for messages */
	struct qerr *err;
};

static int rd_open(struct rd *r, const char *buf, size_t n, const char *what, struct qerr *err)
{
	r->what = what;
	r->err = err;
	if (n > BD_JSON_MAX)
		return qerr_set(err, EFBIG, "%s: %zu bytes is more than %u", what, n, BD_JSON_MAX);
	if (json_parse_alloc(&r->j, buf, n) < 0)
		return qerr_set(err, EINVAL, "%s: not valid JSON", what);
	if (json_type(&r->j, 0) != JSON_OBJECT) {
		json_free(&r->j);
		return qerr_set(err, EINVAL, "%s: not a JSON object", what);
	}
	return 0;
}

static int bad(struct rd *r, const char *field, const char *why)
{
	return qerr_set(r->err, EINVAL, "%s: %s %s", r->what, field, why);
}

static int get_str(struct rd *r, int obj, const char *key, char *out, size_t cap, bool need)
{
	int v = json_get(&r->j, obj, key);
	out[0] = '\0';
	if (v < 0)
		return need ? bad(r, key, "is missing") : 0;
	if (json_str(&r->j, v, out, cap) < 0)
		return bad(r, key, "is not a short string");
	return 0;
}

static int schema(struct rd *r, const char *media)
{
	int64_t v;
	char mt[128];
	int k = json_get(&r->j, 0, "schemaVersion");
	if (k < 0 || json_int(&r->j, k, &v) < 0 || v != 2)
		return bad(r, "schemaVersion", "is not 2");
	if (get_str(r, 0, "mediaType", mt, sizeof mt, true))
		return -EINVAL;
	if (strcmp(mt, media))
		return bad(r, "mediaType", "is not the expected one");
	return 0;
}

/* A descriptor: mediaType, sha256 digest, size in 0..max; title if any. */
static int desc(struct rd *r, int obj, const char *what, uint64_t max, struct bd_desc *d)
{
	char dig[80];
	int64_t size;
	memset(d, 0, sizeof *d);
	if (json_type(&r->j, obj) != JSON_OBJECT)
		return bad(r, what, "is not an object");
	if (get_str(r, obj, "mediaType", d->media, sizeof d->media, true) ||
	    get_str(r, obj, "digest", dig, sizeof dig, true))
		return qerr_wrap(r->err, "%s", what);
	if (digest_parse(dig, d->hex) < 0)
		return bad(r, what, "has a digest that is not sha256:<64 lowercase hex>");
	int s = json_get(&r->j, obj, "size");
	if (s < 0 || json_int(&r->j, s, &size) < 0 || size < 0 || (uint64_t)size > max)
		return bad(r, what, "has a missing, negative or absurd size");
	d->size = (uint64_t)size;
	int ann = json_get(&r->j, obj, "annotations");
	if (ann >= 0) {
		if (json_type(&r->j, ann) != JSON_OBJECT)
			return bad(r, what, "has annotations that are not an object");
		if (get_str(r, ann, "org.opencontainers.image.title", d->title, sizeof d->title, false))
			return -EINVAL;
	}
	return 0;
}

static int array(struct rd *r, const char *key, uint32_t min, uint32_t max)
{
	int a = json_get(&r->j, 0, key);
	if (json_type(&r->j, a) != JSON_ARRAY)
		return bad(r, key, "is missing or not an array");
	if (r->j.t[a].size < min || r->j.t[a].size > max)
		return bad(r, key, "has the wrong number of entries");
	return a;
}

int bd_read_index(const char *buf, size_t n, struct bd_doc *d, struct qerr *err)
{
	struct rd r;
	int e = rd_open(&r, buf, n, "index.json", err), a;
	if (e)
		return e;
	if (!(e = schema(&r, BD_MT_INDEX)) && (a = e = array(&r, "manifests", 1, 1)) >= 0) {
		e = desc(&r, json_at(&r.j, a, 0), "manifests[0]", BD_JSON_MAX, &d->nested);
		if (!e && strcmp(d->nested.media, BD_MT_INDEX))
			e = bad(&r, "manifests[0]", "is not an image index");
	}
	json_free(&r.j);
	return e < 0 ? e : 0;
}

/* A linux platform: "linux/ARCH" into plat (read.c checks ARCH against the guest's). */
static bool platform_linux(struct rd *r, int obj, char *plat, size_t cap)
{
	char o[32], a[32];
	int p = json_get(&r->j, obj, "platform");
	if (json_type(&r->j, p) != JSON_OBJECT)
		return false;
	struct qerr keep = *r->err;
	bool ok = !get_str(r, p, "os", o, sizeof o, true) && !get_str(r, p, "architecture", a, sizeof a, true) &&
		  !strcmp(o, "linux") && a[0];
	*r->err = keep;
	if (ok)
		snprintf(plat, cap, "linux/%s", a);
	return ok;
}

int bd_read_nested(const char *buf, size_t n, struct bd_doc *d, struct qerr *err)
{
	struct rd r;
	int e = rd_open(&r, buf, n, "the image index", err), a, it;
	uint32_t k;
	if (e)
		return e;
	bool have_image = false, have_qpod = false;
	if ((e = schema(&r, BD_MT_INDEX)) || (a = e = array(&r, "manifests", 1, 16)) < 0)
		goto out;
	JSON_EACH(&r.j, a, it, k) {
		char what[32], art[128];
		struct bd_desc dd;
		snprintf(what, sizeof what, "manifests[%u]", k);
		if ((e = desc(&r, it, what, BD_JSON_MAX, &dd)) || (e = get_str(&r, it, "artifactType", art, sizeof art, false)))
			goto out;
		if (strcmp(dd.media, BD_MT_MANIFEST))
			continue;
		bool q = !strcmp(art, BD_ARTIFACT);
		char plat[sizeof d->platform];
		if (q ? have_qpod : (!platform_linux(&r, it, plat, sizeof plat) || have_image)) {
			if (q || have_image) {
				e = bad(&r, what, q ? "is a second qpod manifest" : "is a second linux image");
				goto out;
			}
			continue;
		}
		if (!q)
			snprintf(d->platform, sizeof d->platform, "%s", plat);
		*(q ? &d->qpod : &d->image) = dd;
		*(q ? &have_qpod : &have_image) = true;
	}
	e = !have_qpod ? 1 : !have_image ? bad(&r, "manifests", "has no linux image") : 0;
out:
	json_free(&r.j);
	return e;
}

int bd_read_image_manifest(const char *buf, size_t n, struct bd_doc *d, struct qerr *err)
{
	struct rd r;
	int e = rd_open(&r, buf, n, "the image manifest", err), a;
	if (e)
		return e;
	if ((e = schema(&r, BD_MT_MANIFEST)) ||
	    (e = desc(&r, json_get(&r.j, 0, "config"), "config", BD_JSON_MAX, &d->config)))
		goto out;
	if (strcmp(d->config.media, BD_MT_CONFIG)) {
		e = bad(&r, "config", "is not an OCI image config");
		goto out;
	}
	if ((a = e = array(&r, "layers", 1, 1)) < 0)
		goto out;
	if ((e = desc(&r, json_at(&r.j, a, 0), "layers[0]", BD_FILE_MAX, &d->layer)))
		goto out;
	if (strcmp(d->layer.media, BD_MT_LAYER))
		e = bad(&r, "layers[0]", "is not an uncompressed OCI layer");
out:
	json_free(&r.j);
	return e < 0 ? e : 0;
}

int bd_read_qpod_manifest(const char *buf, size_t n, struct bd_doc *d, struct qerr *err)
{
	struct rd r;
	char art[128];
	int e = rd_open(&r, buf, n, "the qpod manifest", err), a, it;
	uint32_t k;
	if (e)
		return e;
	if ((e = schema(&r, BD_MT_MANIFEST)) || (e = get_str(&r, 0, "artifactType", art, sizeof art, true)))
		goto out;
	if (strcmp(art, BD_ARTIFACT)) {
		e = bad(&r, "artifactType", "is not " BD_ARTIFACT);
		goto out;
	}
	if ((e = desc(&r, json_get(&r.j, 0, "config"), "config", 2, &d->empty)))
		goto out;
	if (strcmp(d->empty.media, BD_MT_EMPTY) || strcmp(d->empty.hex, BD_EMPTY_HEX) || d->empty.size != 2) {
		e = bad(&r, "config", "is not the empty descriptor");
		goto out;
	}
	if ((e = desc(&r, json_get(&r.j, 0, "subject"), "subject", BD_JSON_MAX, &d->subject)))
		goto out;
	if ((a = e = array(&r, "layers", P_N - 2, P_N)) < 0)
		goto out;
	/* The parts in their order; only kernel-up and firmware may be left out. */
	int p = 0;
	memset(d->part, 0, sizeof d->part);
	JSON_EACH(&r.j, a, it, k) {
		char mt[128] = "";
		get_str(&r, it, "mediaType", mt, sizeof mt, false);
		while (p < P_N - 1 && strcmp(mt, bd_parts[p].media_type) && (p == P_KERNEL_UP || p == P_FIRMWARE))
			p++;
		if (p == P_N || strcmp(mt, bd_parts[p].media_type)) {
			e = qerr_set(err, EINVAL, "the qpod manifest: layers[%u] is not the %s (%s)", k,
				     bd_parts[p < P_N ? p : P_N - 1].role, bd_parts[p < P_N ? p : P_N - 1].media_type);
			goto out;
		}
		if ((e = desc(&r, it, bd_parts[p].role, bd_parts[p].max, &d->part[p])))
			goto out;
		p++;
	}
	if (p != P_N) {
		e = qerr_set(err, EINVAL, "the qpod manifest: the %s (%s) is missing", bd_parts[p].role,
			     bd_parts[p].media_type);
		goto out;
	}
	int ann = json_get(&r.j, 0, "annotations");
	d->kernel_version[0] = '\0';
	if (ann >= 0 && json_type(&r.j, ann) == JSON_OBJECT)
		e = get_str(&r, ann, "org.qpod.kernel.version", d->kernel_version, sizeof d->kernel_version, false);
out:
	json_free(&r.j);
	return e < 0 ? e : 0;
}
