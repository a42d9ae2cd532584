/*
 * digest.c: sha256 through OpenSSL's EVP interface (SHA-NI when the CPU has
 * it), hex forms, and the digest strings of image manifests.
 *
 * Only sha256 is accepted: it is what docker and every OCI tool write. A
 * descriptor with sha512 is refused with -ENOTSUP rather than trusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/common.h"

struct sha {
	EVP_MD_CTX *ctx;
};

struct sha *sha_new(void)
{
	struct sha *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL)) {
		sha_free(s);
		return NULL;
	}
	return s;
}

void sha_update(struct sha *s, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(s->ctx, p, n);
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
	unsigned char d[32];
	unsigned n = 0;
	EVP_DigestFinal_ex(s->ctx, d, &n);
	to_hex(d, 32, out);
}

void sha_free(struct sha *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void sha256_hex(const void *p, size_t n, char out[HEX64])
{
	unsigned char d[32];
	unsigned dn = 0;
	EVP_Digest(p, n, d, &dn, EVP_sha256(), NULL);
	to_hex(d, 32, out);
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
