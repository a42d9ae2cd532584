/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c: which bundles this host runs, as containers' policy.json says
 * which images it pulls. The file is the user's own
 * (${XDG_CONFIG_HOME:-~/.config}/qpod/policy.json) if there is one, else
 * the host's (/etc/qpod/policy.json), else there is no policy (any bundle
 * runs; --verify-key still asks for one signer). Its one key:
 *
 *   {"bundles": {"type": "insecureAcceptAnything"}}
 *   {"bundles": {"type": "signedBy", "keyPaths": ["/etc/qpod/ci.pub", ...]}}
 *   {"bundles": {"type": "reject"}}
 *
 * signedBy: the bundle's APP.qpod.sig (ssh-keygen -Y, sign.c) must verify
 * with one of the listed ssh public keys (absolute paths, at most
 * POLICY_KEYS), whatever the run line says; else 125 before boot. The file
 * must be trusted as a cache is (lib/trust.h; root may own it), and any
 * other shape of it is refused: a policy that cannot be read is no policy
 * to fall back from.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "io.h"
#include "json.h"
#include "trust.h"

#define POLICY_KEYS 16
#define POLICY_MAX  65536

/* The policy file in force, or "" for none. */
static int policy_path(char *out, size_t cap, struct qerr *err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	if (!home || !*home)
		home = (pw = getpwuid(geteuid())) ? pw->pw_dir : NULL;
	if (xdg && xdg[0] == '/')
		snprintf(out, cap, "%s/qpod/policy.json", xdg);
	else if (home)
		snprintf(out, cap, "%s/.config/qpod/policy.json", home);
	else
		out[0] = '\0';
	if (out[0] && access(out, F_OK) == 0)
		return 0;
	snprintf(out, cap, "%s", BD_POLICY_HOST);
	if (access(out, F_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return qerr_sys(err, errno, "policy %s", out);
	out[0] = '\0';
	return 0;
}

int bundle_policy(const char *shown, const char *digest_hex, const char *sig_path, struct qerr *err)
{
	char path[4200], text[POLICY_MAX + 1], type[32], key[4200];
	struct json j = { 0 };
	int e = policy_path(path, sizeof path, err), fd;
	if (e || !path[0])
		return e;
	if ((fd = trust_file(path, TRUST_ROOT, err)) < 0)
		return qerr_wrap(err, "policy");
	ssize_t n = io_read_full(fd, text, sizeof text);
	close(fd);
	if (n < 0 || n > POLICY_MAX)
		return n < 0 ? qerr_sys(err, (int)-n, "policy %s", path)
			     : qerr_set(err, EFBIG, "policy %s: larger than %d bytes", path, POLICY_MAX);
	int b = -1, k = -1;
	if (json_parse_alloc(&j, text, (size_t)n) >= 0 && json_type(&j, 0) == JSON_OBJECT && j.t[0].size == 1)
		b = json_get(&j, 0, "bundles");
	if (b >= 0 && json_type(&j, b) == JSON_OBJECT)
		k = json_get(&j, b, "keyPaths");
	else
		b = -1;
	if (b < 0 || json_str(&j, json_get(&j, b, "type"), type, sizeof type) < 0 || j.t[b].size != 1u + (k >= 0)) {
		e = qerr_set(err, EINVAL, "policy %s: not {\"bundles\": {\"type\": ...[, \"keyPaths\": [...]]}}", path);
		goto out;
	}
	if (!strcmp(type, "insecureAcceptAnything") && k < 0)
		goto out;
	if (!strcmp(type, "reject") && k < 0) {
		e = qerr_set(err, EPERM, "%s: policy %s rejects every bundle", shown, path);
		goto out;
	}
	if (strcmp(type, "signedBy") || json_type(&j, k) != JSON_ARRAY || !j.t[k].size || j.t[k].size > POLICY_KEYS) {
		e = qerr_set(err, EINVAL, "policy %s: \"type\" is insecureAcceptAnything, reject, or signedBy with "
			     "\"keyPaths\" (1 to %d ssh public keys)", path, POLICY_KEYS);
		goto out;
	}
	e = -EPERM;
	for (uint32_t i = 0; e && i < j.t[k].size; i++) {
		if (json_str(&j, json_at(&j, k, i), key, sizeof key) < 0 || key[0] != '/') {
			e = qerr_set(err, EINVAL, "policy %s: keyPaths[%u] is not an absolute path", path, i);
			goto out;
		}
		e = bundle_check_sig(key, digest_hex, sig_path, err);
		if (e && e != -EPERM)
			goto out;
	}
	if (e) {
		char why[QERR_MSG_MAX];
		snprintf(why, sizeof why, "%s", err->msg);
		e = qerr_set(err, EPERM, "%s: policy %s requires a signature by one of its keys: %s", shown, path, why);
	}
out:
	json_free(&j);
	return e;
}
