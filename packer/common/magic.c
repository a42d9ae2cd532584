/* SPDX-License-Identifier: Apache-2.0 */
/*
 * magic.c: name a compression qpod does not read from its first bytes, so
 * that an archive or a layer compressed with lz4, lzip, compress, lzma, zip
 * or 7z is refused by name instead of as "not a tar". Only magic bytes
 * decide: never a file name or a media type.
 */
#include <string.h>

#include "common/common.h"

const char *sniff_unsupported(const unsigned char *p, size_t n)
{
	static const struct { const char *name, *magic; size_t len; } known[] = {
		{ "lz4", "\x04\x22\x4d\x18", 4 }, { "lzip", "LZIP", 4 },
		{ "compress (.Z)", "\x1f\x9d", 2 }, { "lzma", "\x5d\x00\x00", 3 },
		{ "zip", "PK\x03\x04", 4 }, { "7z", "7z\xbc\xaf", 4 },
	};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (n >= known[i].len && !memcmp(p, known[i].magic, known[i].len))
			return known[i].name;
	return NULL;
}
