/* SPDX-License-Identifier: Apache-2.0 */
/* packer_paths.c: the packer's pure string logic: path cleaning, digests in
 * names, platforms, image names; and what IMAGE is (source_parse), over
 * real files and directories in a scratch directory. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/formats.h"
#include "packer.h"
#include "tap.h"

static const char *clean(const char *in)
{
	static char out[PATH_MAX];
	int r = path_clean(in, out, sizeof out);
	if (r == -EXDEV)
		return "EXDEV";
	if (r == -ENAMETOOLONG)
		return "ENAMETOOLONG";
	return r < 0 ? "ERR" : out;
}

static void cleaning(void)
{
	is_str(clean("./bin/sh"), "bin/sh", "leading ./ is dropped");
	is_str(clean("/etc//passwd/"), "etc/passwd", "leading /, doubled and trailing / are dropped");
	is_str(clean("./"), "", "./ is the root");
	is_str(clean("a/./b/../c"), "a/c", ". and .. inside are applied");
	is_str(clean("bin/../etc/x"), "etc/x", ".. that stays inside is fine");
	is_str(clean("../x"), "EXDEV", ".. above the root is refused");
	is_str(clean("a/../../x"), "EXDEV", ".. that climbs later is refused");
	is_str(clean("/../../etc/passwd"), "EXDEV", "absolute with .. is refused");
	is_str(clean(".wh...") , ".wh...", "a name made of dots is just a name");
	char longc[300];
	memset(longc, 'x', 299);
	longc[299] = '\0';
	is_str(clean(longc), "ENAMETOOLONG", "a component over NAME_MAX is refused");
	char *longp = malloc(PATH_MAX + 10);
	for (int i = 0; i < PATH_MAX + 8; i += 2)
		memcpy(longp + i, "a/", 2);
	longp[PATH_MAX + 8] = '\0';
	is_str(clean(longp), "ENAMETOOLONG", "a path over PATH_MAX is refused");
	free(longp);
	char out[64];
	is_int(path_join_clean("blobs/sha256", "../x", true, out, sizeof out), 0, "join: .. inside the archive");
	is_str(out, "blobs/x", "join result");
	is_int(path_join_clean("a", "/etc/passwd", true, out, sizeof out), -EXDEV, "join: absolute refused when strict");
	is_int(path_join_clean("a", "../../x", true, out, sizeof out), -EXDEV, "join: climbing out refused");
	char parent[64];
	is_str(path_split("a/b/c", parent, sizeof parent), "c", "split base");
	is_str(parent, "a/b", "split parent");
	is_str(path_split("c", parent, sizeof parent), "c", "split top-level base");
	is_str(parent, "", "split top-level parent is the root");
}

static void digests(void)
{
	char h[HEX64];
	const char *hex = "ae16a51058a758c7963b2f9b23d1acfa201ce9cbefc8cb93845f8cd934fb144d";
	char d[100];
	snprintf(d, sizeof d, "sha256:%s", hex);
	ok(digest_parse(d, h) == 0 && !strcmp(h, hex), "sha256 digest parses");
	is_int(digest_parse("sha512:abcd", h), -ENOTSUP, "other algorithms are unsupported");
	is_int(digest_parse("sha256:ABCD", h), -EINVAL, "short or upper-case hex is malformed");
	is_int(digest_parse("nocolon", h), -EINVAL, "no algorithm is malformed");
	static const char *const claims[] = { "blobs/sha256/%s", "sha256:%s", "%s.json", "%s.tar", "%s.tar.gz", "x/%s.tar.zst" };
	for (size_t i = 0; i < sizeof claims / sizeof *claims; i++) {
		char n[200];
		snprintf(n, sizeof n, claims[i], hex);
		name_digest(n, h);
		is_str(h, hex, claims[i]);
	}
	static const char *const none[] = { "%s/layer.tar", "%s", "x/%s", "%s.txt", "blobs/sha256/%s.gz" };
	for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
		char n[200];
		snprintf(n, sizeof n, none[i], hex);
		name_digest(n, h);
		is_str(h, "", none[i]);
	}
	sha256_hex("", 0, h);
	is_str(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing");
}

static void platforms(void)
{
	struct platform want, have;
	ok(platform_parse("linux/amd64", &want) == 0, "linux/amd64 parses");
	ok(platform_parse("linux", &have) < 0 && platform_parse("linux/", &have) < 0 && platform_parse("/x", &have) < 0 &&
	   platform_parse("a/b/c/d", &have) < 0, "malformed platforms are refused");
	have = (struct platform){ "linux", "x86_64", "v3" };
	ok(platform_match(&want, &have), "x86_64 is amd64, its variant is ignored");
	have = (struct platform){ "linux", "arm64", "v8" };
	ok(!platform_match(&want, &have), "arm64 is not amd64");
	platform_parse("linux/arm64", &want);
	ok(platform_match(&want, &have), "arm64 matches arm64/v8");
	platform_parse("linux/arm/v7", &want);
	have = (struct platform){ "linux", "arm", "v6" };
	ok(!platform_match(&want, &have), "arm/v7 is not arm/v6");
	have = (struct platform){ "linux", "armhf", "" };
	ok(platform_match(&want, &have), "armhf is arm/v7");
	char s[64];
	platform_parse("linux/arm64/v8", &want);
	platform_format(&want, s, sizeof s);
	is_str(s, "linux/arm64", "arm64/v8 is shown as linux/arm64");
}

static void names(void)
{
	char n[256];
	ref_normalize("busybox", n, sizeof n);
	is_str(n, "docker.io/library/busybox:latest", "short name");
	ref_normalize("qpod/one:1", n, sizeof n);
	is_str(n, "docker.io/qpod/one:1", "user/repo:tag");
	ref_normalize("localhost:5000/x", n, sizeof n);
	is_str(n, "localhost:5000/x:latest", "registry with a port");
	ok(ref_match("busybox", "docker.io/library/busybox:latest"), "containerd's full name matches the short one");
	ok(ref_match("alpine:3.14", "alpine:3.14"), "equal names match");
	ok(!ref_match("alpine:3.14", "alpine:3.10"), "other tags do not");
	ok(ref_match("latest", "latest"), "a bare OCI ref.name matches itself");
}

/* kind of image, or -errno */
static int kind(const char *image, struct source *s)
{
	struct qerr err;
	int e = source_parse(image, s, &err);
	return e ? e : (int)s->kind;
}

static void images(void)
{
	char dir[] = "/tmp/qpod-unit-XXXXXX", p[200];
	struct source s;
	ok(mkdtemp(dir) != NULL, "scratch dir");
	snprintf(p, sizeof p, "%s/root", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/layout", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/layout/oci-layout", dir);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof p, "%s/a.tar", dir);
	fclose(fopen(p, "w"));
	is_int(kind("-", &s), SOURCE_STDIN, "- is an archive on stdin");
	source_free(&s);
	snprintf(p, sizeof p, "%s/root", dir);
	is_int(kind(p, &s), SOURCE_ROOT, "a directory without oci-layout or manifest.json is a root");
	is_str(s.path, p, "a root's path is its real path");
	source_free(&s);
	snprintf(p, sizeof p, "%s/layout", dir);
	is_int(kind(p, &s), SOURCE_LOCAL, "an OCI layout directory is an image, never a root");
	source_free(&s);
	snprintf(p, sizeof p, "%s/a.tar", dir);
	is_int(kind(p, &s), SOURCE_LOCAL, "an existing file is local (an archive, or a bundle by content)");
	ok(s.ref == NULL, "with no NAME in it");
	source_free(&s);
	snprintf(p, sizeof p, "%s/a.tar:repo:tag", dir);
	is_int(kind(p, &s), SOURCE_LOCAL, "FILE:NAME is local");
	is_str(s.ref, "repo:tag", "and names the image in it");
	source_free(&s);
	is_int(kind("busybox", &s), SOURCE_REGISTRY, "a bare name is a registry reference");
	is_str(s.canon, "docker.io/library/busybox:latest", "as docker reads it");
	source_free(&s);
	is_int(kind("dir:/x", &s), SOURCE_SKOPEO, "dir: goes through skopeo");
	source_free(&s);
	is_int(kind("docker-daemon:x", &s), -ENOTSUP, "docker-daemon: is refused");
	source_free(&s);
	snprintf(p, sizeof p, "%s/missing.tar", dir);
	is_int(kind(p, &s), -ENOENT, "a missing archive is not a reference");
	source_free(&s);
	is_int(kind("Upper/Case", &s), -ENOENT, "neither a file nor a valid reference");
	source_free(&s);
	snprintf(p, sizeof p, "rm -rf %s", dir);
	ok(system(p) == 0, "scratch dir removed");
}

int main(void)
{
	plan(66);
	cleaning();
	digests();
	platforms();
	names();
	images();
	return done();
}
