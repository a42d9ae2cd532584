/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle_index.c: fuzz the readers of a bundle's documents (bundle/index.c):
 * index.json, the nested image index, the image manifest and the qpod
 * manifest, from bytes. Byte 0 picks the reader; the rest is the document.
 * Checks: no crash, no leak, a one-line message on failure; and a document
 * that reads back is written again by docs.c and reads back the same
 * (index.json and the qpod manifest: what read.c compares and build.c writes).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

static void same_desc(const struct bd_desc *a, const struct bd_desc *b)
{
	assert(!strcmp(a->media, b->media) && !strcmp(a->hex, b->hex) && a->size == b->size);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 1)
		return 0;
	struct bd_doc d, again;
	struct qerr err = { 0 };
	const char *in = (const char *)data + 1;
	size_t n = size - 1;
	char *out = NULL;
	size_t len;
	int r;
	memset(&d, 0, sizeof d);
	memset(&again, 0, sizeof again);
	switch (data[0] % 4) {
	case 0:
		if ((r = bd_read_index(in, n, &d, &err)) == 0 && bd_write_index(&d.nested, &out, &len) == 0) {
			assert(bd_read_index(out, len, &again, &err) == 0);
			same_desc(&d.nested, &again.nested);
		}
		break;
	case 1:
		r = bd_read_nested(in, n, &d, &err);
		assert(r <= 1);
		if (r == 0) {
			assert(d.image.hex[0] && d.qpod.hex[0]);
			if (bd_write_nested(&d.image, d.platform, &d.qpod, &out, &len) == 0) {
				assert(bd_read_nested(out, len, &again, &err) == 0);
				assert(!strcmp(d.platform, again.platform));
				same_desc(&d.qpod, &again.qpod);
			}
		}
		break;
	case 2:
		r = bd_read_image_manifest(in, n, &d, &err);
		break;
	default:
		if ((r = bd_read_qpod_manifest(in, n, &d, &err)) == 0 &&
		    bd_write_qpod_manifest(&d, "1970-01-01T00:00:00Z", &out, &len) == 0) {
			assert(bd_read_qpod_manifest(out, len, &again, &err) == 0);
			for (int k = 0; k < P_N; k++)
				same_desc(&d.part[k], &again.part[k]);
			same_desc(&d.subject, &again.subject);
		}
		break;
	}
	if (r < 0)
		assert(err.msg[0] && !strchr(err.msg, '\n'));
	free(out);
	return 0;
}
