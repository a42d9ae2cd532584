/* SPDX-License-Identifier: Apache-2.0 */
/*
 * digest.c: sha256 through nettle (SHA-NI when the CPU has it), hex forms,
 * and the digest strings of image manifests. Nettle, not OpenSSL's EVP:
 * EVP's first digest loads a provider and its algorithm tables, 2-3 ms of
 * every qpod process that hashes anything (every run does), where nettle
 * has no set-up at all; both hash about 1.3 GB/s here.
 *
 * Only sha256 is accepted: it is what docker and every OCI tool write. A
 * descriptor with sha512 is refused with -ENOTSUP rather than trusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "common/common.h"

struct sha {
	struct sha256_ctx ctx;
};

struct sha *sha_new(void)
{
	struct sha *s = malloc(sizeof *s);
	if (s)
		sha256_init(&s->ctx);
	return s;
}

void sha_update(struct sha *s, const void *p, size_t n)
{
	if (n)
		sha256_update(&s->ctx, n, p);
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void sha_hex(struct sha *s, char out[HEX64])
{
	unsigned char d[SHA256_DIGEST_SIZE];
	sha256_digest(&s->ctx, sizeof d, d);
	to_hex(d, sizeof d, out);
}

void sha_free(struct sha *s)
{
	free(s);
}

void sha256_hex(const void *p, size_t n, char out[HEX64])
{
	struct sha256_ctx c;
	unsigned char d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, sizeof d, d);
	to_hex(d, sizeof d, out);
}

static bool is_hexn(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool is_hex64(const char *s)
{
	return strlen(s) == 64 && is_hexn(s, 64);
}

int digest_parse(const char *d, char out[HEX64])
{
	out[0] = '\0';
	if (!d)
		return -EINVAL;
	const char *colon = strchr(d, ':');
	if (!colon)
		return -EINVAL;
	if ((size_t)(colon - d) != 6 || strncmp(d, "sha256", 6))
		return -ENOTSUP;
	if (!is_hex64(colon + 1))
		return -EINVAL;
	memcpy(out, colon + 1, HEX64);
	return 0;
}

void name_digest(const char *name, char out[HEX64])
{
	static const char *const suffix[] = { ".json", ".tar", ".tar.gz", ".tgz", ".tar.zst" };
	out[0] = '\0';
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	bool bare_ok = !strncmp(name, "blobs/sha256/", 13) && base == name + 13;
	if (!strncmp(base, "sha256:", 7)) {
		base += 7;
		bare_ok = true;
	}
	if (!is_hexn(base, 64))
		return;
	bool ok = bare_ok && base[64] == '\0';
	for (size_t i = 0; !ok && i < sizeof suffix / sizeof *suffix; i++)
		ok = !strcmp(base + 64, suffix[i]);
	if (ok) {
		memcpy(out, base, 64);
		out[64] = '\0';
	}
}
