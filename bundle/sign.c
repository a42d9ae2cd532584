/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.c: bundle signatures, made and checked by ssh-keygen -Y (OpenSSH's
 * SSHSIG; no crypto of our own). The message is the text "sha256:<hex>" of
 * the bundle's index.json digest, the namespace "qpod-bundle"; the
 * signature is detached, in APP.qpod.sig next to the bundle, so signing
 * never changes the bundle's bytes (a signed and an unsigned build are the
 * same file) and a CI step holding the key may sign later.
 *
 * The message goes to ssh-keygen on stdin from a memfd, the allowed-signers
 * line made from the public key and the signature as /dev/fd/N of fds we
 * opened, so no path is read twice. ssh-keygen's own words, its first
 * line, end up in the one-line error.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle.h"
#include "io.h"

extern char **environ;

void bundle_sig_path(const char *bundle_path, char *out, size_t cap)
{
	snprintf(out, cap, "%s.sig", bundle_path);
}

static int memfd_with(const char *text)
{
	int fd = memfd_create("qpod-sig", 0); /* no CLOEXEC: ssh-keygen reads it */
	if (fd < 0)
		return -errno;
	if (io_write_all(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

int bd_run(char **argv, int in, int out, char *why, size_t cap)
{
	int errfd = memfd_create("qpod-sig-err", MFD_CLOEXEC), st = -1;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	why[0] = '\0';
	if (errfd < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		snprintf(why, cap, "cannot run %s: %s (toolchain/packages names its package)", argv[0], strerror(e));
		close(errfd);
		return -e;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	ssize_t n = pread(errfd, why, cap - 1, 0);
	why[n > 0 ? n : 0] = '\0';
	why[strcspn(why, "\r\n")] = '\0';
	close(errfd);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EPERM;
}

int bundle_sign(const char *key, const char *digest_hex, const char *sig_path, struct qerr *err)
{
	char msg[80], tmp[4200], why[256];
	snprintf(msg, sizeof msg, "sha256:%s", digest_hex);
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", sig_path);
	int in = memfd_with(msg), out = mkostemp(tmp, O_CLOEXEC), e;
	if (in < 0 || out < 0) {
		e = qerr_sys(err, errno ? errno : EIO, "sign: %s", out < 0 ? tmp : "memfd");
		goto out;
	}
	char *argv[] = { "ssh-keygen", "-q", "-Y", "sign", "-f", (char *)key, "-n", BD_NAMESPACE, NULL };
	if ((e = bd_run(argv, in, out, why, sizeof why))) {
		e = qerr_set(err, EPERM, "sign with %s: %s", key, *why ? why : "ssh-keygen failed");
		goto out;
	}
	if (fchmod(out, 0644) < 0 || rename(tmp, sig_path) < 0)
		e = qerr_sys(err, errno, "write %s", sig_path);
out:
	if (out >= 0) {
		close(out);
		if (e)
			unlink(tmp);
	}
	if (in >= 0)
		close(in);
	return e;
}

/* The first line of a public key file: "TYPE BASE64 [COMMENT]". */
static int pubkey_line(const char *path, char *out, size_t cap, struct qerr *err)
{
	ssize_t n = io_read_text(open(path, O_RDONLY | O_CLOEXEC), out, cap);
	if (n < 0)
		return qerr_sys(err, (int)-n, "--verify-key %s", path);
	out[strcspn(out, "\r\n")] = '\0';
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < ' ' || *p == '"')
			return qerr_set(err, EINVAL, "--verify-key %s: not an ssh public key", path);
	if (strncmp(out, "ssh-", 4) && strncmp(out, "ecdsa-", 6) && strncmp(out, "sk-", 3))
		return qerr_set(err, EINVAL, "--verify-key %s: not an ssh public key", path);
	return 0;
}

int bundle_check_sig(const char *pubkey, const char *digest_hex, const char *sig_path, struct qerr *err)
{
	char key[8192], signers[8300], msg[80], why[256], fsig[32], fsign[32];
	int in = -1, al = -1, sig = -1, e;
	struct stat st;
	if ((e = pubkey_line(pubkey, key, sizeof key, err)))
		return e;
	if ((sig = open(sig_path, O_RDONLY)) < 0) /* inherited by ssh-keygen */
		return qerr_set(err, EPERM, "%s: the bundle is not signed (no %s)", sig_path, sig_path);
	if (fstat(sig, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 65536) {
		e = qerr_set(err, EPERM, "%s: not a signature file", sig_path);
		goto out;
	}
	snprintf(msg, sizeof msg, "sha256:%s", digest_hex);
	snprintf(signers, sizeof signers, "qpod namespaces=\"%s\" %s\n", BD_NAMESPACE, key);
	if ((in = memfd_with(msg)) < 0 || (al = memfd_with(signers)) < 0) {
		e = qerr_sys(err, EIO, "verify: memfd");
		goto out;
	}
	snprintf(fsign, sizeof fsign, "/dev/fd/%d", al);
	snprintf(fsig, sizeof fsig, "/dev/fd/%d", sig);
	char *argv[] = { "ssh-keygen", "-Y", "verify", "-f", fsign, "-I", "qpod", "-n", BD_NAMESPACE, "-s", fsig, NULL };
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	e = bd_run(argv, in, null, why, sizeof why);
	io_close(&null);
	if (e)
		e = qerr_set(err, EPERM, "%s: bad signature for this bundle and %s (%s)", sig_path, pubkey,
			     *why ? why : "ssh-keygen -Y verify failed");
out:
	io_close(&in);
	io_close(&al);
	io_close(&sig);
	return e;
}
