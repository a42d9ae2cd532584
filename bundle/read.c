/* SPDX-License-Identifier: Apache-2.0 */
/*
 * read.c: open a bundle and check all of it but the big blobs' hashes.
 *
 * A file is a bundle when qpod wrote it: its first members are oci-layout
 * and index.json behind the very headers bd_tar_header() makes, and the
 * index's nested image index names a qpod manifest (bundle.h). Any other
 * file answers 1 (an OCI archive is the packer's business); past those two
 * headers every fault is an error naming the part, so no changed byte
 * turns a bundle into something else. Checked here: the member list (names oci-layout, index.json,
 * blobs/sha256/<hex> in increasing order: nothing else, nothing twice);
 * every descriptor against a member of its size; no member unreferenced;
 * every header byte against bd_tar_header(), the padding and the end zero,
 * the file size; the JSON blobs and small text parts against their
 * digests, then parsed; the guest's arch (vm.conf's arch=, arch.c) against
 * the image's platform and the parts it has (no kernel-up or firmware for
 * an arch without them); the kernels' ELF or boot image headers for that
 * arch and the squashfs superblock; the launch config parses.
 * bundle_verify() (verify.c) hashes the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle.h"
#include "common/common.h"
#include "io.h"
#include "runner.h"

#define LIST_MAX 4096    /* members read while deciding whether it is a bundle */

struct member_ls {
	char name[112];
	uint64_t size, hdr;
	int64_t mtime;
	bool regular;
};

struct src {
	int fd;
	uint64_t pos, size;
	char buf[65536];
};

static la_ssize_t src_read(struct archive *a, void *ctx, const void **out)
{
	struct src *s = ctx;
	ssize_t n = pread(s->fd, s->buf, sizeof s->buf, (off_t)s->pos);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	s->pos += (uint64_t)n;
	*out = s->buf;
	return n;
}

static la_int64_t src_seek(struct archive *a, void *ctx, la_int64_t off, int whence)
{
	struct src *s = ctx;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)s->pos : (int64_t)s->size;
	if (base + off < 0)
		return ARCHIVE_FATAL;
	s->pos = (uint64_t)(base + off);
	return (la_int64_t)s->pos;
}

static int read_at(struct bundle *b, uint64_t off, uint64_t n, void *buf, const char *what, struct qerr *err)
{
	ssize_t got = pread(b->fd, buf, n, (off_t)off);
	if (got < 0)
		return qerr_sys(err, errno, "%s: read %s", b->shown, what);
	if ((uint64_t)got != n)
		return qerr_set(err, EINVAL, "%s: truncated in %s", b->shown, what);
	return 0;
}

/* The member list, via libarchive. n set; *ls allocated. A damaged or
 * truncated tar ends the list with *damaged set to the last good member. */
static int list(struct bundle *b, struct member_ls **ls, size_t *n, char *damaged, size_t dcap, struct qerr *err)
{
	struct src *s = malloc(sizeof *s);
	struct archive *a = archive_read_new();
	struct member_ls *v = calloc(LIST_MAX, sizeof *v);
	int e = 0;
	*n = 0;
	damaged[0] = '\0';
	if (!s || !a || !v) {
		e = qerr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	*s = (struct src){ .fd = b->fd, .size = (uint64_t)b->st.st_size };
	archive_read_support_format_tar(a);
	archive_read_set_read_callback(a, src_read);
	archive_read_set_seek_callback(a, src_seek);
	archive_read_set_callback_data(a, s);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		snprintf(damaged, dcap, "the start");
		goto out;
	}
	for (;;) {
		struct archive_entry *en;
		int r = archive_read_next_header(a, &en);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || *n == LIST_MAX) {
			snprintf(damaged, dcap, "%s", *n ? v[*n - 1].name : "the start");
			break;
		}
		struct member_ls *m = &v[(*n)++];
		const char *name = archive_entry_pathname(en);
		snprintf(m->name, sizeof m->name, "%s", name ? name : "");
		m->size = (uint64_t)archive_entry_size(en);
		m->hdr = (uint64_t)archive_read_header_position(a);
		m->regular = archive_entry_filetype(en) == AE_IFREG;
		m->mtime = archive_entry_mtime(en);
	}
	/* libarchive takes a file that ends inside a member for a tar without
	 * its end blocks: the sizes tell. */
	if (!*damaged && *n && v[*n - 1].hdr + BD_HDR + v[*n - 1].size > s->size)
		snprintf(damaged, dcap, "%s", *n > 1 ? v[*n - 2].name : "the start");
out:
	if (a)
		archive_read_free(a);
	free(s);
	if (e)
		free(v);
	else
		*ls = v;
	return e;
}

static struct bd_blob *blob_find(struct bundle *b, const char *hex)
{
	for (size_t i = 0; i < b->nblobs; i++)
		if (!strcmp(b->blobs[i].hex, hex))
			return &b->blobs[i];
	return NULL;
}

static const char *short_hex(const char *hex)
{
	static char s[4][20];
	static int k;
	k = (k + 1) % 4;
	snprintf(s[k], sizeof s[k], "sha256:%.12s", hex);
	return s[k];
}

/* The blob a descriptor names, of the size it says. */
static int resolve(struct bundle *b, const struct bd_desc *d, const char *role, struct bd_blob **out,
		   struct qerr *err)
{
	struct bd_blob *bl = blob_find(b, d->hex);
	if (!bl)
		return qerr_set(err, ENOENT, "%s: the %s (%s) is missing", b->shown, role, short_hex(d->hex));
	if (bl->size != d->size)
		return qerr_set(err, EINVAL, "%s: the %s (%s) has %ju bytes, its descriptor says %ju", b->shown, role,
				short_hex(d->hex), (uintmax_t)bl->size, (uintmax_t)d->size);
	if (!bl->role)
		bl->role = role;
	*out = bl;
	return 0;
}

/* Read a small blob and check its digest. */
static int load(struct bundle *b, struct bd_blob *bl, uint64_t max, struct qerr *err)
{
	char hex[HEX64];
	if (bl->data)
		return 0;
	if (bl->size > max)
		return qerr_set(err, EFBIG, "%s: the %s is %ju bytes, more than %ju", b->shown, bl->role,
				(uintmax_t)bl->size, (uintmax_t)max);
	if (!(bl->data = malloc(bl->size + 1)))
		return qerr_set(err, ENOMEM, "out of memory");
	int e = read_at(b, bl->off, bl->size, bl->data, bl->role, err);
	if (e)
		return e;
	bl->data[bl->size] = '\0';
	sha256_hex(bl->data, bl->size, hex);
	if (strcmp(hex, bl->hex))
		return qerr_set(err, EINVAL, "%s: the %s (%s) does not match its digest", b->shown, bl->role,
				short_hex(bl->hex));
	return 0;
}

static int check_members(struct bundle *b, const struct member_ls *ls, size_t n, struct qerr *err)
{
	if (n > BD_MAX_BLOBS + 2)
		return qerr_set(err, E2BIG, "%s: %zu members, more than a bundle has", b->shown, n);
	for (size_t i = 2; i < n; i++) {
		const char *nm = ls[i].name;
		if (strncmp(nm, "blobs/sha256/", 13) || !is_hex64(nm + 13) || !ls[i].regular)
			return qerr_set(err, EINVAL, "%s: member \"%s\" has no place in a bundle", b->shown, pq(nm));
		if (i > 2 && strcmp(nm, ls[i - 1].name) <= 0)
			return qerr_set(err, EINVAL, "%s: member %s is %s", b->shown, pq(nm),
					strcmp(nm, ls[i - 1].name) ? "out of order" : "duplicated");
		struct bd_blob *bl = &b->blobs[b->nblobs++];
		snprintf(bl->hex, sizeof bl->hex, "%s", nm + 13);
		bl->size = ls[i].size;
		bl->off = ls[i].hdr + BD_HDR;
	}
	/* The framing: each header where the canonical layout puts it, and
	 * the file ends with the two zero blocks. */
	uint64_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		if (ls[i].hdr != pos || ls[i].size > BD_FILE_MAX)
			return qerr_set(err, EINVAL, "%s: member %s is not where a bundle puts it", b->shown, pq(ls[i].name));
		pos += BD_HDR + bd_pad(ls[i].size);
	}
	if (pos + 1024 != (uint64_t)b->st.st_size)
		return qerr_set(err, EINVAL, "%s: %ju bytes, a bundle of these members has %ju", b->shown,
				(uintmax_t)b->st.st_size, (uintmax_t)(pos + 1024));
	return 0;
}

/* Every header, the padding after each member and the end, byte for byte. */
static int check_framing(struct bundle *b, const struct member_ls *ls, size_t n, struct qerr *err)
{
	unsigned char want[BD_HDR], have[BD_HDR + 1024];
	static const unsigned char zero[1024];
	for (size_t i = 0; i < n; i++) {
		int e = bd_tar_header(ls[i].name, ls[i].size, b->mtime, want);
		if (e < 0)
			return qerr_sys(err, -e, "%s: member %s", b->shown, pq(ls[i].name));
		if ((e = read_at(b, ls[i].hdr, BD_HDR, have, ls[i].name, err)))
			return e;
		if (memcmp(want, have, BD_HDR))
			return qerr_set(err, EINVAL, "%s: the tar header of %s is not the one qpod writes", b->shown,
					pq(ls[i].name));
		uint64_t end = ls[i].hdr + BD_HDR + ls[i].size, pad = bd_pad(ls[i].size) - ls[i].size;
		if (pad && ((e = read_at(b, end, pad, have, ls[i].name, err)) || memcmp(have, zero, pad)))
			return e ? e : qerr_set(err, EINVAL, "%s: the padding after %s is not zero", b->shown,
						pq(ls[i].name));
	}
	int e = read_at(b, (uint64_t)b->st.st_size - 1024, 1024, have, "the end", err);
	if (e || memcmp(have, zero, 1024))
		return e ? e : qerr_set(err, EINVAL, "%s: the end of the tar is not zero", b->shown);
	return 0;
}

/* The guest's arch, from vm.conf's arch= (x86_64 without one, as conf.c
 * reads it), and the parts it has: exactly those bd_part_file names; the
 * image's platform must be the arch's. */
static int check_arch(struct bundle *b, struct qerr *err)
{
	static struct vmconf c; /* large: not on the stack */
	const struct bd_blob *v = b->part[P_VMCONF];
	char *text = strndup(v->data, v->size);
	memset(&c, 0, sizeof c);
	int e = text ? conf_parse(&c, text, "vm.conf", err) : qerr_set(err, ENOMEM, "out of memory");
	free(text);
	if (e)
		return qerr_wrap(err, "%s", b->shown);
	b->arch = c.arch;
	if (strcmp(b->doc.platform, b->arch->platform))
		return qerr_set(err, EINVAL, "%s: the image is %s, its guest %s", b->shown, pq(b->doc.platform),
				b->arch->platform);
	for (int k = 0; k < P_N; k++)
		if (!bd_part_file(k, b->arch) != !b->part[k])
			return qerr_set(err, EINVAL, b->part[k] ? "%s: an %s guest has no %s part" : "%s: an %s guest needs a %s part",
					b->shown, b->arch->name, bd_parts[k].role);
	return 0;
}

/* The parts' own formats, from their first bytes. */
static int check_contents(struct bundle *b, struct qerr *err)
{
	unsigned char h[0x210];
	const struct arch *a = b->arch;
	for (int k = P_KERNEL; k <= P_KERNEL_UP && b->part[k]; k++) {
		struct bd_blob *bl = b->part[k];
		size_t n = bl->size < sizeof h ? (size_t)bl->size : sizeof h, m = strlen(a->image_magic);
		int e = read_at(b, bl->off, n, h, bl->role, err);
		if (e)
			return e;
		bool elf = n >= 20 && !memcmp(h, "\177ELF\2\1", 6) && h[18] == (a->elf_machine & 0xff) &&
			   h[19] == a->elf_machine >> 8;
		bool img = n >= a->image_magic_at + m && !memcmp(h + a->image_magic_at, a->image_magic, m);
		if (!elf && !img)
			return qerr_set(err, EINVAL, "%s: the %s is neither an ELF nor a boot image of %s", b->shown,
					bl->role, a->name);
	}
	struct bd_blob *in = b->part[P_INITRD];
	int e = read_at(b, in->off, in->size < 6 ? in->size : 6, h, in->role, err);
	if (e)
		return e;
	if (in->size < 6 || (memcmp(h, "\x1f\x8b", 2) && memcmp(h, "\x28\xb5\x2f\xfd", 4) && memcmp(h, "0707", 4)))
		return qerr_set(err, EINVAL, "%s: the initrd is neither a cpio archive nor gzip or zstd", b->shown);
	struct bd_blob *fw = b->part[P_FIRMWARE];
	if (fw && (fw->size < 4096 || fw->size % 4096))
		return qerr_set(err, EINVAL, "%s: the firmware is not a ROM image (4 KiB multiple)", b->shown);
	struct bd_blob *r = b->part[P_ROOTFS];
	unsigned char sb[96];
	if (r->size < sizeof sb || r->size % 4096)
		return qerr_set(err, EINVAL, "%s: the rootfs is not a squashfs image (size)", b->shown);
	if ((e = read_at(b, r->off, sizeof sb, sb, r->role, err)))
		return e;
	uint32_t bs = (uint32_t)sb[12] | (uint32_t)sb[13] << 8 | (uint32_t)sb[14] << 16 | (uint32_t)sb[15] << 24;
	uint64_t used = 0;
	for (int i = 7; i >= 0; i--)
		used = used << 8 | sb[40 + i];
	if (memcmp(sb, "hsqs", 4) || sb[28] != 4 || sb[29] || sb[20] != 1 || sb[21] || bs < 4096 ||
	    bs > (1u << 20) || (bs & (bs - 1)) || used > r->size)
		return qerr_set(err, EINVAL, "%s: the rootfs is not a gzip squashfs 4.0 image that fits its blob", b->shown);
	const struct bd_blob *cl = b->part[P_CMDLINE];
	for (uint64_t i = 0; i < cl->size; i++)
		if ((unsigned char)cl->data[i] < ' ' && cl->data[i] != '\n')
			return qerr_set(err, EINVAL, "%s: the cmdline holds a control byte", b->shown);
	return 0;
}

/* oci-layout and index.json: the bytes qpod writes for them. */
static int check_fixed(struct bundle *b, const struct member_ls *ls, struct qerr *err)
{
	char lay[sizeof BD_OCI_LAYOUT], *idx;
	size_t n;
	if (ls[0].size != sizeof BD_OCI_LAYOUT - 1)
		return qerr_set(err, EINVAL, "%s: oci-layout is not the one qpod writes", b->shown);
	int e = read_at(b, BD_HDR, ls[0].size, lay, "oci-layout", err);
	if (e)
		return e;
	if (memcmp(lay, BD_OCI_LAYOUT, ls[0].size))
		return qerr_set(err, EINVAL, "%s: oci-layout is not the one qpod writes", b->shown);
	if (bd_write_index(&b->doc.nested, &idx, &n) < 0)
		return qerr_set(err, ENOMEM, "out of memory");
	e = n != b->index_size || memcmp(idx, b->index_json, n);
	free(idx);
	return e ? qerr_set(err, EINVAL, "%s: index.json is not the one qpod writes", b->shown) : 0;
}

/* Whether qpod wrote this file: oci-layout and index.json first, behind
 * the headers bd_tar_header() makes (no other tool writes those bytes). */
static bool ours(struct bundle *b, const struct member_ls *ls, size_t n)
{
	unsigned char want[BD_HDR], have[BD_HDR];
	if (n < 2 || strcmp(ls[0].name, "oci-layout") || strcmp(ls[1].name, "index.json"))
		return false;
	for (int i = 0; i < 2; i++)
		if (bd_tar_header(ls[i].name, ls[i].size, ls[0].mtime, want) < 0 ||
		    pread(b->fd, have, BD_HDR, (off_t)ls[i].hdr) != BD_HDR || memcmp(want, have, BD_HDR))
			return false;
	return true;
}

/* index.json, then the nested index and its qpod manifest. 1: the file is
 * no bundle (qpod did not write it: an OCI archive for the packer). From
 * there on every fault is the bundle's. */
static int find_marker(struct bundle *b, const struct member_ls *ls, size_t n, const char *damaged,
		       struct qerr *err)
{
	if (!ours(b, ls, n))
		return 1;
	b->index_size = ls[1].size;
	if (ls[1].size > BD_JSON_MAX)
		return qerr_set(err, EFBIG, "%s: index.json is %ju bytes", b->shown, (uintmax_t)ls[1].size);
	if (!(b->index_json = malloc(ls[1].size + 1)))
		return qerr_set(err, ENOMEM, "out of memory");
	int e = read_at(b, ls[1].hdr + BD_HDR, ls[1].size, b->index_json, "index.json", err);
	if (e)
		return e;
	sha256_hex(b->index_json, ls[1].size, b->digest);
	if ((e = bd_read_index(b->index_json, ls[1].size, &b->doc, err)))
		return qerr_wrap(err, "%s", b->shown);
	if (*damaged)
		return qerr_set(err, EINVAL, "%s: truncated or damaged tar after %s", b->shown, pq(damaged));
	const struct member_ls *nested = NULL;
	for (size_t i = 2; i < n && !nested; i++)
		if (!strncmp(ls[i].name, "blobs/sha256/", 13) && !strcmp(ls[i].name + 13, b->doc.nested.hex))
			nested = &ls[i];
	if (!nested || nested->size != b->doc.nested.size)
		return qerr_set(err, ENOENT, "%s: the image index (sha256:%.12s) is %s", b->shown, b->doc.nested.hex,
				nested ? "not of the size index.json says" : "missing");
	char *buf = malloc(nested->size + 1), hex[HEX64];
	if (!buf)
		return qerr_set(err, ENOMEM, "out of memory");
	if ((e = read_at(b, nested->hdr + BD_HDR, nested->size, buf, "the image index", err))) {
		free(buf);
		return e;
	}
	sha256_hex(buf, nested->size, hex);
	if (strcmp(hex, b->doc.nested.hex))
		e = qerr_set(err, EINVAL, "%s: the image index (sha256:%.12s) does not match its digest", b->shown, hex);
	else if ((e = bd_read_nested(buf, nested->size, &b->doc, err)) == 1)
		e = qerr_set(err, EINVAL, "%s: the image index names no qpod manifest", b->shown);
	else if (e)
		qerr_wrap(err, "%s", b->shown);
	free(buf);
	return e;
}

static int parse(struct bundle *b, const struct member_ls *ls, size_t n, struct qerr *err)
{
	struct bd_doc *d = &b->doc;
	int e;
	if ((e = check_members(b, ls, n, err)) || (e = resolve(b, &d->nested, "image index", &b->nested, err)) ||
	    (e = load(b, b->nested, BD_JSON_MAX, err)) || (e = resolve(b, &d->image, "image manifest", &b->image, err)) ||
	    (e = resolve(b, &d->qpod, "qpod manifest", &b->qpod, err)) || (e = load(b, b->image, BD_JSON_MAX, err)) ||
	    (e = load(b, b->qpod, BD_JSON_MAX, err)))
		return e;
	if ((e = bd_read_image_manifest(b->image->data, b->image->size, d, err)) ||
	    (e = bd_read_qpod_manifest(b->qpod->data, b->qpod->size, d, err)))
		return qerr_wrap(err, "%s", b->shown);
	if (strcmp(d->subject.hex, d->image.hex) || d->subject.size != d->image.size)
		return qerr_set(err, EINVAL, "%s: the qpod manifest's subject is not the image", b->shown);
	if ((e = resolve(b, &d->config, "image config", &b->config, err)) ||
	    (e = resolve(b, &d->layer, "image layer", &b->layer, err)) ||
	    (e = resolve(b, &d->empty, "empty config", &b->empty, err)) || (e = load(b, b->config, BD_JSON_MAX, err)) ||
	    (e = load(b, b->empty, 2, err)))
		return e;
	for (int k = 0; k < P_N; k++)
		if (d->part[k].media[0] && (e = resolve(b, &d->part[k], bd_parts[k].role, &b->part[k], err)))
			return e;
	for (int k = P_CMDLINE; k <= P_LAUNCH; k++)
		if ((e = load(b, b->part[k], bd_parts[k].max, err)))
			return e;
	for (size_t i = 0; i < b->nblobs; i++)
		if (!b->blobs[i].role)
			return qerr_set(err, EINVAL, "%s: blob %s is not part of the bundle", b->shown,
					short_hex(b->blobs[i].hex));
	if ((e = check_framing(b, ls, n, err)) || (e = check_arch(b, err)) || (e = check_contents(b, err)) ||
	    (e = check_fixed(b, ls, err)))
		return e;
	struct opts launch;
	const struct bd_blob *l = b->part[P_LAUNCH];
	if ((e = baked_read(l->data, l->size, &launch, err)))
		return qerr_wrap(err, "%s", b->shown);
	baked_free(&launch);
	if ((e = pack_config_parse(b->config->data, b->config->size, &b->config_run, err)))
		return qerr_wrap(err, "%s: the image config", b->shown);
	return 0;
}

int bundle_open(const char *path, struct bundle *b, struct qerr *err)
{
	memset(b, 0, sizeof *b);
	b->shown = path;
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &b->st) < 0) {
		int e = errno;
		bundle_close(b);
		return e == ENOENT || e == ENOTDIR ? 1 : qerr_sys(err, e, "%s", path);
	}
	unsigned char h[BD_HDR];
	if (!S_ISREG(b->st.st_mode) || b->st.st_size < 3 * BD_HDR || pread(b->fd, h, BD_HDR, 0) != BD_HDR ||
	    memcmp(h, "oci-layout", 11) || memcmp(h + 257, "ustar", 5)) {
		bundle_close(b);
		return 1;
	}
	struct member_ls *ls = NULL;
	size_t n;
	char damaged[112];
	int e = list(b, &ls, &n, damaged, sizeof damaged, err);
	if (!e && (e = find_marker(b, ls, n, damaged, err)) == 0) {
		b->mtime = ls[0].mtime; /* every header carries the oci-layout's */
		e = parse(b, ls, n, err);
	}
	free(ls);
	if (e)
		bundle_close(b);
	return e;
}

void bundle_close(struct bundle *b)
{
	io_close(&b->fd);
	for (size_t i = 0; i < b->nblobs; i++)
		free(b->blobs[i].data);
	free(b->index_json);
	free(b->dir);
	runcfg_free(&b->config_run);
	memset(b, 0, sizeof *b);
	b->fd = -1;
}
