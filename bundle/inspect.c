/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inspect.c: `qpod inspect APP.qpod` as one JSON object:
 *
 *   {"bundle","digest","size","platform","verified",
 *    "parts":[{"part","mediaType","digest","size","offset"}...],
 *    "kernel":{"version","cmdline"},
 *    "image":{"manifest","config":{Entrypoint,Cmd,Env,WorkingDir,User}},
 *    "sbom":{"listed":[parts],"not_listed":[parts],"document":{SPDX}},
 *    "launch":{...the launch config...},
 *    "signature":{"file","state":"unsigned"|"present"|"good"|"bad","detail"?}}
 *
 * "verified": every byte of this very file (same identity) was checked by
 * an earlier run or `qpod verify`; inspect itself checks the structure,
 * the JSON documents and the small parts, and hashes nothing large.
 * "present": a signature file exists; --verify-key checks it (good/bad).
 * "sbom": the bundle's SBOM part, and which parts it lists by sha256 (the
 * boot parts); the launch config is the bundle's own and the image's root
 * (layer, rootfs) the image's: qpod carries no SBOM of the image yet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "json.h"
#include "runner.h"

static void part(struct jw *w, const char *name, const char *media, const char *hex, uint64_t size, uint64_t off)
{
	char d[80];
	snprintf(d, sizeof d, "sha256:%s", hex);
	jw_obj(w);
	jw_kv_str(w, "part", name);
	jw_kv_str(w, "mediaType", media);
	jw_kv_str(w, "digest", d);
	jw_kv_int(w, "size", (int64_t)size);
	jw_kv_int(w, "offset", (int64_t)off);
	jw_end(w);
}

int bundle_inspect(struct bundle *b, const char *pubkey, FILE *out, struct qerr *err)
{
	struct jw w;
	struct opts launch;
	const struct bd_doc *d = &b->doc;
	const struct bd_blob *lb = b->part[P_LAUNCH];
	int e = baked_read(lb->data, lb->size, &launch, err);
	if (e)
		return qerr_wrap(err, "%s", b->shown);
	baked_free(&launch);
	char sig[4200], dig[80], why[QERR_MSG_MAX] = "";
	const char *state = "unsigned";
	bundle_sig_path(b->shown, sig, sizeof sig);
	if (pubkey) {
		struct qerr se;
		state = bundle_check_sig(pubkey, b->digest, sig, &se) ? "bad" : "good";
		if (*state == 'b')
			snprintf(why, sizeof why, "%s", se.msg);
	} else if (access(sig, F_OK) == 0) {
		state = "present";
	}
	jw_init(&w);
	jw_obj(&w);
	jw_kv_str(&w, "bundle", b->shown);
	snprintf(dig, sizeof dig, "sha256:%s", b->digest);
	jw_kv_str(&w, "digest", dig);
	jw_kv_int(&w, "size", (int64_t)b->st.st_size);
	jw_kv_str(&w, "platform", b->arch->platform);
	jw_kv_bool(&w, "verified", bundle_recorded(b));
	jw_key(&w, "parts");
	jw_arr(&w);
	part(&w, "index.json", BD_MT_INDEX, b->digest, b->index_size, 2 * BD_HDR + bd_pad(sizeof BD_OCI_LAYOUT - 1));
	part(&w, "image index", BD_MT_INDEX, b->nested->hex, b->nested->size, b->nested->off);
	part(&w, "image manifest", BD_MT_MANIFEST, b->image->hex, b->image->size, b->image->off);
	part(&w, "image config", d->config.media, b->config->hex, b->config->size, b->config->off);
	part(&w, "image layer", d->layer.media, b->layer->hex, b->layer->size, b->layer->off);
	part(&w, "qpod manifest", BD_MT_MANIFEST, b->qpod->hex, b->qpod->size, b->qpod->off);
	part(&w, "empty config", BD_MT_EMPTY, b->empty->hex, b->empty->size, b->empty->off);
	for (int k = 0; k < P_N; k++)
		if (b->part[k])
			part(&w, bd_parts[k].role, bd_parts[k].media_type, b->part[k]->hex, b->part[k]->size, b->part[k]->off);
	jw_end(&w);
	jw_key(&w, "kernel");
	jw_obj(&w);
	jw_kv_str(&w, "version", d->kernel_version);
	const struct bd_blob *cl = b->part[P_CMDLINE];
	jw_key(&w, "cmdline");
	jw_strn(&w, cl->data, strcspn(cl->data, "\n"));
	jw_end(&w);
	jw_key(&w, "image");
	jw_obj(&w);
	snprintf(dig, sizeof dig, "sha256:%s", b->image->hex);
	jw_kv_str(&w, "manifest", dig);
	jw_key(&w, "config");
	jw_obj(&w);
	const struct runcfg *c = &b->config_run;
	jw_kv_strv(&w, "Entrypoint", c->entrypoint);
	jw_kv_strv(&w, "Cmd", c->cmd);
	jw_kv_strv(&w, "Env", c->env);
	jw_kv_str(&w, "WorkingDir", c->workdir);
	jw_kv_str(&w, "User", c->user);
	jw_end(&w);
	jw_end(&w);
	/* The SBOM (an SPDX document) lists a part if it has the part's sha256;
	 * a part the bundle has not (an arm64 one's kernel-up, firmware) is in
	 * neither list. */
	const struct bd_blob *sb = b->part[P_SBOM];
	jw_key(&w, "sbom");
	jw_obj(&w);
	for (int listed = 1; listed >= 0; listed--) {
		jw_key(&w, listed ? "listed" : "not_listed");
		jw_arr(&w);
		for (int k = 0; k < P_N; k++)
			if (k != P_SBOM && b->part[k] && !!memmem(sb->data, sb->size, b->part[k]->hex, 64) == listed)
				jw_str(&w, bd_parts[k].role);
		if (!listed)
			jw_str(&w, "image layer");
		jw_end(&w);
	}
	jw_key(&w, "document");
	jw_raw(&w, sb->data, sb->size);
	jw_end(&w);
	jw_key(&w, "launch");
	jw_raw(&w, lb->data, lb->size);
	jw_key(&w, "signature");
	jw_obj(&w);
	jw_kv_str(&w, "file", sig);
	jw_kv_str(&w, "state", state);
	if (*why)
		jw_kv_str(&w, "detail", why);
	jw_end(&w);
	jw_end(&w);
	const char *text;
	size_t n;
	if (jw_done(&w, &text, &n) < 0) {
		jw_free(&w);
		return qerr_set(err, ENOMEM, "out of memory");
	}
	fprintf(out, "%s\n", text);
	jw_free(&w);
	return 0;
}
