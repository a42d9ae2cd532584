/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verity.c: a bundle's root stays verified for the VM's whole life. At
 * `qpod bundle` time the rootfs part becomes the squashfs followed by its
 * dm-verity hash tree (Debian's veritysetup, cryptsetup-bin: no superblock,
 * no salt, sha256, 4 KiB blocks, so the same squashfs always gives the same
 * tree), and the bundle's kernel command line gains the mapping with the
 * root hash:
 *
 *   dm-mod.create="qpod-root,,,ro,0 SECTORS verity 1 /dev/vda /dev/vda
 *                  4096 4096 N N sha256 ROOTHASH -"
 *
 * (N data blocks, the tree from block N of the same disk). The command line
 * is a part the index digest covers, so the signature covers the root hash;
 * the guest's kernel makes /dev/dm-0 from it (DM_INIT,
 * configs/kernel/verity.config) and hyperstart mounts that, not the disk
 * (qpod.root=dm-0: runner/vm/conf.c). A block of the file that qemu reads for
 * the VM's life, changed after the check, fails its hash: an I/O error in
 * the guest, never other data; the next run's check refuses the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "common/common.h"
#include "io.h"

int bd_verity(const char *sqfs, char *word, size_t cap, struct qerr *err)
{
	struct stat st;
	char off[32], blocks[32], why[256], text[4096], hex[HEX64] = "";
	if (stat(sqfs, &st) < 0)
		return qerr_sys(err, errno, "%s", sqfs);
	if (st.st_size <= 0 || st.st_size % 4096)
		return qerr_set(err, EINVAL, "%s: %jd bytes, not whole 4 KiB blocks", sqfs, (intmax_t)st.st_size);
	uint64_t n = (uint64_t)st.st_size / 4096;
	snprintf(off, sizeof off, "--hash-offset=%jd", (intmax_t)st.st_size);
	snprintf(blocks, sizeof blocks, "--data-blocks=%ju", (uintmax_t)n);
	/* /usr/sbin may not be on a user's PATH */
	char *argv[] = { access("/usr/sbin/veritysetup", X_OK) ? "veritysetup" : "/usr/sbin/veritysetup", "format", "--no-superblock", "--salt=-", "--hash=sha256",
			 "--data-block-size=4096", "--hash-block-size=4096", off, blocks, (char *)sqfs, (char *)sqfs, NULL };
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC), out = memfd_create("qpod-verity", MFD_CLOEXEC), e;
	if (in < 0 || out < 0) {
		e = qerr_sys(err, errno, "veritysetup: %s", in < 0 ? "/dev/null" : "memfd");
		goto out;
	}
	if ((e = bd_run(argv, in, out, why, sizeof why))) {
		e = qerr_set(err, EIO, "veritysetup format %s: %s", sqfs,
			     *why ? why : e == -EPERM ? "failed" : "cannot run it (install cryptsetup-bin)");
		goto out;
	}
	ssize_t k = pread(out, text, sizeof text - 1, 0);
	text[k > 0 ? k : 0] = '\0';
	const char *r = strstr(text, "Root hash:");
	if (r)
		sscanf(r + 10, " %64[0-9a-f]", hex);
	if (!is_hex64(hex)) {
		e = qerr_set(err, EIO, "veritysetup format %s: no root hash in its output", sqfs);
		goto out;
	}
	if (snprintf(word, cap, " dm-mod.create=\"" BD_VERITY_NAME ",,,ro,0 %ju verity 1 /dev/vda /dev/vda 4096 4096 %ju %ju sha256 %s -\"",
		     (uintmax_t)n * 8, (uintmax_t)n, (uintmax_t)n, hex) >= (int)cap)
		e = qerr_set(err, ENAMETOOLONG, "the dm-verity command line word is too long");
out:
	io_close(&in);
	io_close(&out);
	return e;
}
