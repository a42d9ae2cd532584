/* SPDX-License-Identifier: Apache-2.0 */
/*
 * template.c: boot once, restore per run. A template is a VM saved at
 * READY (hyperstart up, the ports open, no 9p share mounted; an image's
 * root disk mounted with the overlay, rootdisk.c), in the cache:
 *
 *   $QPOD_CACHE/templates/          0700, this user's (checked: never shared)
 *     KEY/key                       the text KEY is the sha256 of
 *     KEY/ram                       guest RAM, a sparse file of the VM's size
 *     KEY/state                     qemu's device state (a migration stream
 *                                   with x-ignore-shared: RAM is not in it)
 *     KEY.lock                      flock'ed by the run that saves KEY
 *     digests/                      sha256 of boot files and root disks by
 *                                   their identity (digest.c)
 *
 * KEY covers everything the saved state depends on: the template format,
 * the protocol, the qemu binary (path, size, mtime, inode), the sha256 of
 * kernel, initrd, firmware and a root disk, and the qemu line without fds,
 * share paths and published ports (vm_key_args: machine, memory, vCPUs, the
 * device set: the number of 9p shares, the NIC, the disk, the kernel
 * command line). Any change is
 * another KEY, so another template; the 16 newest are kept.
 *
 * Saving (tmpl_begin, then tmpl_save from the session at the first reply
 * after READY): the run that finds no template takes KEY.lock without
 * waiting (others boot cold and leave it to the holder), boots with RAM in
 * a memfd of ours (VM_SAVE), and at READY migrates the running VM into
 * KEY.tmp/state over QMP (getfd), copies the memfd's data ranges into
 * KEY.tmp/ram, lets the VM go on (cont) and renames KEY.tmp to KEY. The
 * run itself goes on as a cold boot, 10-20 ms later.
 *
 * Restoring (tmpl_find, vm_start VM_RESTORE, tmpl_resume): the RAM file is
 * mapped private (copy-on-write: concurrent VMs share its page cache), the
 * state comes in over QMP (migrate-incoming fd:N), qemu resumes the guest
 * (it was running when saved); a PING wakes hyperstart, then RESUME gives it
 * host entropy and the host's clock. A template that is missing, unreadable,
 * not ours, of the wrong size or key, refused by qemu, or whose guest does
 * not answer is removed, and the run boots cold (and saves a new one).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache/layout.h"
#include "clock.h"
#include "common/common.h"
#include "io.h"
#include "vm.h"
#include "trust.h"

#define TMPL_FORMAT 1
#define TMPL_KEEP   16

/* ---- the key ------------------------------------------------------------ */

int tmpl_prepare(struct tmpl *t, const struct vm_spec *vs, struct qerr *err)
{
	char *cache = NULL, qemu[PATH_MAX], dk[HEX64], di[HEX64], db[HEX64], sub[PATH_MAX + 16];
	struct stat st;
	int e;
	*t = (struct tmpl){ .lock_fd = -1, .ram_fd = -1, .state_fd = -1, .memory_mb = vs->set->memory_mb };
	if ((e = pack_cache_dir(&cache, err)))
		return e;
	snprintf(t->dir, sizeof t->dir, "%s/" CACHE_TEMPLATES, cache);
	free(cache);
	snprintf(sub, sizeof sub, "%s/" TEMPLATES_DIGESTS, t->dir);
	if ((e = private_dir(t->dir, err)) || (e = private_dir(sub, err)))
		return e;
	if ((e = vm_qemu_exe(vs->conf->arch, qemu, sizeof qemu, err)))
		return e;
	if (stat(qemu, &st) < 0)
		return qerr_sys(err, errno, "%s", qemu);
	if ((e = file_sha256(t->dir, vs->kernel, dk, err)) || (e = file_sha256(t->dir, vs->initrd, di, err)) ||
	    (vs->conf->arch->firmware && (e = file_sha256(t->dir, vs->bios, db, err))))
		return e;
	if (!vs->conf->arch->firmware)
		snprintf(db, sizeof db, "-");
	size_t cap = 16384, o;
	if (!(t->text = malloc(cap)))
		return qerr_set(err, ENOMEM, "out of memory");
	o = (size_t)snprintf(t->text, cap, "qpod template %d\nprotocol %u\nqemu %s %lld %lld.%09ld %lu\n"
			     "kernel %s\ninitrd %s\nbios %s\n", TMPL_FORMAT, QP_VERSION, qemu, (long long)st.st_size,
			     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (unsigned long)st.st_ino, dk, di, db);
	if (!vs->rootfs && o < cap) /* a disk root, mounted in the template */
		o += (size_t)snprintf(t->text + o, cap - o, "root %s\n", vs->root_digest ? vs->root_digest : "-");
	if (o >= cap || vm_key_args(vs, t->text + o, cap - o) < 0)
		return qerr_set(err, E2BIG, "template key too long");
	sha256_hex(t->text, strlen(t->text), t->key);
	return 0;
}

/* ---- finding and removing ---------------------------------------------- */

static void path_of(const struct tmpl *t, const char *suffix, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s%s", t->dir, t->key, suffix);
}

static bool owned_file(int dfd, const char *name, off_t size, struct stat *st)
{
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode) &&
	       st->st_uid == geteuid() && (size < 0 ? st->st_size > 0 : st->st_size == size);
}

/* A template's RAM is mapped by a qemu that could write it (7.2 opens it
 * read-write even to map it private): its seal is the file's change time,
 * which only a write or a change of its attributes moves, and no
 * unprivileged process can set. A RAM that is not as it was saved is
 * never restored. */
static int seal_of(const char *path, char *out, size_t cap, struct qerr *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return qerr_sys(err, errno, "%s", path);
	snprintf(out, cap, "%llu %lld.%09ld %lld\n", (unsigned long long)st.st_ino, (long long)st.st_ctim.tv_sec,
		 st.st_ctim.tv_nsec, (long long)st.st_size);
	return 0;
}

/* KEY/ram is as its seal says (seal_of). */
static bool sealed(int dfd, const char *dir)
{
	char want[64], have[64], ram[PATH_MAX + 8];
	ssize_t n = io_read_text(openat(dfd, "seal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC), want, sizeof want);
	snprintf(ram, sizeof ram, "%s/ram", dir);
	if (n <= 0 || seal_of(ram, have, sizeof have, NULL) < 0)
		return false;
	return !strcmp(want, have);
}

int tmpl_find(struct tmpl *t, struct qerr *err)
{
	char p[PATH_MAX], text[16384];
	struct stat st;
	path_of(t, "", p, sizeof p);
	int dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), e = 0;
	if (dfd < 0)
		return errno == ENOENT ? 0 : qerr_sys(err, errno, "template %s", p);
	ssize_t n = io_read_text(openat(dfd, "key", O_RDONLY | O_NOFOLLOW | O_CLOEXEC), text, sizeof text);
	if (fstat(dfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077))
		e = qerr_set(err, EPERM, "template %s is not private to this user", p);
	else if (n <= 0 || strcmp(text, t->text))
		e = qerr_set(err, EINVAL, "template %s: its key file does not match", p);
	else if (!owned_file(dfd, "ram", (off_t)t->memory_mb << 20, &st))
		e = qerr_set(err, EINVAL, "template %s: ram is not %ld MiB", p, t->memory_mb);
	else if (!sealed(dfd, p))
		e = qerr_set(err, EINVAL, "template %s: ram changed since it was saved", p);
	else if (!owned_file(dfd, "state", -1, &st) ||
		 (t->state_fd = openat(dfd, "state", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		e = qerr_set(err, EINVAL, "template %s: no state", p);
	close(dfd);
	if (e)
		return e;
	path_of(t, "/ram", t->ram_path, sizeof t->ram_path);
	return 1;
}

/* Remove templates/name (renamed away first: a restore that has its files
 * open keeps them). */
static void remove_entry(const char *dir, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];
	snprintf(from, sizeof from, "%s/%s", dir, name);
	snprintf(to, sizeof to, "%s/%.64s.gone.%d", dir, name, (int)getpid());
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (rename(from, to) == 0)
		rmtree_at(dfd, strrchr(to, '/') + 1, NULL);
	close(dfd);
}

void tmpl_discard(struct tmpl *t)
{
	io_close(&t->state_fd);
	remove_entry(t->dir, t->key);
}

/* Keep the TMPL_KEEP newest templates. */
static void evict(const struct tmpl *t)
{
	struct dirent **ents;
	int n = scandir(t->dir, &ents, NULL, NULL);
	struct { char name[HEX64]; time_t mtime; } all[64];
	int k = 0;
	for (int i = 0; i < n; i++) {
		struct stat st;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", t->dir, ents[i]->d_name);
		if (k < 64 && is_hex64(ents[i]->d_name) && lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(all[k].name, HEX64, "%s", ents[i]->d_name);
			all[k++].mtime = st.st_mtime;
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	while (k > TMPL_KEEP) {
		int old = 0;
		for (int i = 1; i < k; i++)
			if (all[i].mtime < all[old].mtime)
				old = i;
		if (strcmp(all[old].name, t->key)) {
			char lock[PATH_MAX];
			remove_entry(t->dir, all[old].name);
			snprintf(lock, sizeof lock, "%s/%s.lock", t->dir, all[old].name);
			unlink(lock);
		}
		all[old] = all[--k];
	}
}

/* ---- saving -------------------------------------------------------------- */

int tmpl_begin(struct tmpl *t, struct qerr *err)
{
	char p[PATH_MAX];
	path_of(t, ".lock", p, sizeof p);
	if ((t->lock_fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return qerr_sys(err, errno, "%s", p);
	if (flock(t->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		io_close(&t->lock_fd);
		return errno == EWOULDBLOCK ? 1 : qerr_sys(err, errno, "lock %s", p);
	}
	path_of(t, "", p, sizeof p);
	if (access(p, F_OK) == 0) { /* saved while we looked */
		io_close(&t->lock_fd);
		return 1;
	}
	path_of(t, ".tmp", p, sizeof p);
	int dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		rmtree_at(dfd, strrchr(p, '/') + 1, NULL); /* a crashed save's */
		close(dfd);
	}
	if (mkdir(p, 0700) < 0)
		return qerr_sys(err, errno, "%s", p);
	if ((t->ram_fd = memfd_create("qpod-ram", MFD_CLOEXEC)) < 0 || ftruncate(t->ram_fd, (off_t)t->memory_mb << 20) < 0)
		return qerr_sys(err, errno, "guest RAM (memfd)");
	return 0;
}

/* The memfd's data ranges into a new sparse file of the same size. */
static int copy_ram(int from, const char *path, off_t size, struct qerr *err)
{
	int to = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), e = 0;
	if (to < 0 || ftruncate(to, size) < 0)
		e = qerr_sys(err, errno, "%s", path);
	for (off_t off = 0; !e && off < size;) {
		off_t data = lseek(from, off, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0 || (hole = lseek(from, data, SEEK_HOLE)) < 0 || lseek(to, data, SEEK_SET) < 0) {
			e = qerr_sys(err, errno, "copy guest RAM");
			break;
		}
		for (off = data; !e && off < hole;) {
			ssize_t n = sendfile(to, from, &off, (size_t)(hole - off));
			if (n <= 0 && errno != EINTR)
				e = qerr_sys(err, n < 0 ? errno : EIO, "copy guest RAM to %s", path);
		}
	}
	if (to >= 0)
		close(to);
	return e;
}

static int write_file(const char *path, const char *text, struct qerr *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), e = 0;
	if (fd < 0 || io_write_all(fd, text, strlen(text)) < 0)
		e = qerr_sys(err, errno, "%s", path);
	if (fd >= 0)
		close(fd);
	return e;
}

static const char *const save_cmds[] = {
	"{\"execute\":\"qmp_capabilities\"}\n",
	"{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":["
	"{\"capability\":\"x-ignore-shared\",\"state\":true},{\"capability\":\"events\",\"state\":true}]}}\n",
};

/* Migrate the running VM into tmp/state; qemu stops it at the end. */
static int migrate_out(struct qmp *q, const char *tmp, double deadline, struct qerr *err)
{
	char p[PATH_MAX + 8];
	struct qmp_msg m;
	int e = 0;
	snprintf(p, sizeof p, "%s/state", tmp);
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return qerr_sys(err, errno, "%s", p);
	for (size_t i = 0; !e && i < sizeof save_cmds / sizeof *save_cmds; i++)
		e = qmp_call(q, save_cmds[i], -1, deadline, err);
	if (!e)
		e = qmp_call(q, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"tmpl\"}}\n", fd, deadline, err);
	close(fd);
	if (!e)
		e = qmp_call(q, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"fd:tmpl\"}}\n", -1, deadline, err);
	while (!e && !(e = qmp_next(q, deadline, &m, err))) {
		if (m.kind != QMP_EVENT || strcmp(m.event, "MIGRATION"))
			continue;
		if (!strcmp(m.text, "completed"))
			return 0;
		if (!strcmp(m.text, "failed") || !strcmp(m.text, "cancelled"))
			e = qerr_set(err, EIO, "qemu could not save the VM (migration %s)", m.text);
	}
	return e;
}

/* qemu sends MIGRATION "completed" from its migration thread before it
 * leaves the finish-migrate run state: a cont in between is refused with
 * "Migration is not finalized yet" (seen on a busy host). Ask again. */
static int resume(struct qmp *q, double deadline, struct qerr *err)
{
	const struct timespec pause = { 0, 2000000 };
	for (;;) {
		int e = qmp_call(q, "{\"execute\":\"cont\"}\n", -1, deadline, err);
		if (!e || !strstr(err->msg, "Migration is not finalized yet") || now_s() >= deadline)
			return e;
		nanosleep(&pause, NULL);
	}
}

int tmpl_save(struct tmpl *t, struct vm *vm, double deadline, bool *running, struct qerr *err)
{
	char tmp[PATH_MAX], p[PATH_MAX + 8];
	struct qmp q = { .fd = vm->qmp };
	*running = true;
	path_of(t, ".tmp", tmp, sizeof tmp);
	int e = migrate_out(&q, tmp, deadline, err);
	if (!e) {
		snprintf(p, sizeof p, "%s/ram", tmp);
		e = copy_ram(t->ram_fd, p, (off_t)t->memory_mb << 20, err);
	}
	if (!e) {
		snprintf(p, sizeof p, "%s/ram", tmp);
		char seal[64];
		e = seal_of(p, seal, sizeof seal, err);
		snprintf(p, sizeof p, "%s/seal", tmp);
		if (!e)
			e = write_file(p, seal, err);
	}
	if (!e) {
		snprintf(p, sizeof p, "%s/key", tmp);
		e = write_file(p, t->text, err);
	}
	/* Whatever happened, the VM goes on: this run needs it. */
	struct qerr cerr;
	if (resume(&q, deadline, &cerr) < 0) {
		*running = false;
		if (!e)
			e = qerr_set(err, EIO, "%s", cerr.msg);
	}
	io_close(&t->ram_fd);
	path_of(t, "", p, sizeof p);
	if (!e && rename(tmp, p) < 0)
		e = qerr_sys(err, errno, "publish %s", p);
	if (e) {
		int dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			rmtree_at(dfd, strrchr(tmp, '/') + 1, NULL);
			close(dfd);
		}
	} else {
		evict(t);
	}
	io_close(&t->lock_fd);
	return e;
}

/* ---- restoring ------------------------------------------------------------ */

/* Exactly one control frame (no more: the session reads on from there). */
static int port_frame(int fd, double deadline, uint32_t *type, uint8_t *data, size_t cap, size_t *n,
		     struct qerr *err)
{
	uint8_t hdr[QP_CTL_HDR];
	for (size_t want = sizeof hdr, got = 0, stage = 0; stage < 2; stage++, got = 0) {
		uint8_t *buf = stage ? data : hdr;
		if (stage) {
			want = qp_be32(hdr + 4) - QP_CTL_HDR;
			if (qp_be32(hdr + 4) < QP_CTL_HDR || want > cap)
				return qerr_set(err, EPROTO, "the restored guest sent a bad frame");
			*type = qp_be32(hdr);
			*n = want;
		}
		while (got < want) {
			double left = deadline - now_s();
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			if (left <= 0)
				return qerr_set(err, ETIMEDOUT, "the restored guest did not answer in time");
			if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
				continue;
			ssize_t r = read(fd, buf + got, want - got);
			if (r == 0)
				return qerr_set(err, EPIPE, "qemu exited while the guest resumed");
			if (r < 0 && errno != EINTR && errno != EAGAIN)
				return qerr_sys(err, errno, "read the control port");
			got += r > 0 ? (size_t)r : 0;
		}
	}
	return 0;
}

static int port_send(int fd, uint32_t type, const void *payload, size_t len, struct qerr *err)
{
	struct qp_queue q = { 0 };
	int e = 0;
	if (qp_put_ctl(&q, type, payload, len) < 0 || qp_queue_flush(&q, fd) != 0)
		e = qerr_set(err, EIO, "write to the control port failed");
	qp_queue_free(&q);
	return e;
}

/* The reply to the request of type sent: 0 for ACK (its u32, a version,
 * in *ack if asked), else the guest's reason. */
static int port_ack(int fd, uint32_t type, double deadline, uint32_t *ack, struct qerr *err)
{
	uint8_t data[512];
	uint32_t got = 0;
	size_t n = 0;
	int e = port_frame(fd, deadline, &got, data, sizeof data, &n, err);
	if (!e && got != QP_ACK) {
		char msg[QERR_MSG_MAX] = "";
		if (got == QP_ERROR)
			qp_error_read(data, n, msg, sizeof msg);
		return qerr_set(err, EPROTO, "the restored guest refused %s: %s", qp_type_name(type),
				*msg ? msg : "no reason given");
	}
	if (!e && ack)
		*ack = n >= 4 ? qp_be32(data) : 0;
	return e;
}

int tmpl_resume_msg(struct jw *w, const char **json, size_t *len, struct qerr *err)
{
	uint8_t entropy[QP_ENTROPY_MIN];
	struct timespec ts;
	jw_init(w);
	if (getrandom(entropy, sizeof entropy, 0) != sizeof entropy)
		return qerr_sys(err, errno, "getrandom");
	clock_gettime(CLOCK_REALTIME, &ts);
	qp_resume_write(w, entropy, sizeof entropy, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	explicit_bzero(entropy, sizeof entropy);
	if (jw_done(w, json, len) < 0)
		return qerr_set(err, ENOMEM, "cannot encode RESUME");
	return 0;
}

int tmpl_resume(const struct tmpl *t, struct vm *vm, double deadline, struct bootinfo *b, struct qerr *err)
{
	char cmds[512];
	struct qmp q = { .fd = vm->qmp };
	struct qmp_msg m;
	snprintf(cmds, sizeof cmds, "%s%s{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"fd:%d\"}}\n",
		 save_cmds[0], "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":["
		 "{\"capability\":\"x-ignore-shared\",\"state\":true}]}}\n", t->state_fd);
	/* PING waits in the port for the guest to run; once hyperstart answers
	 * (its paths translated again), RESUME is quick and so carries the clock. */
	int e = qmp_send(q.fd, cmds, -1, err);
	if (!e)
		e = port_send(vm->ctl, QP_PING, NULL, 0, err);
	for (int i = 0; !e && i < 3; i++)
		e = qmp_reply(&q, deadline, err);
	/* qemu loads the state, then runs the guest: its RESUME event. A state
	 * it cannot load makes it exit (its reason is in its log). */
	while (!e && !(e = qmp_next(&q, deadline, &m, err)))
		if (m.kind == QMP_EVENT && !strcmp(m.event, "RESUME"))
			break;
	if (e == -EPIPE)
		vm_last_error(vm, err);
	if (e)
		return e;
	b->restored_at = now_s();
	uint32_t version = 0;
	struct jw w;
	const char *json;
	size_t len;
	if ((e = port_ack(vm->ctl, QP_PING, deadline, NULL, err)))
		return e;
	if (!(e = tmpl_resume_msg(&w, &json, &len, err)) && !(e = port_send(vm->ctl, QP_RESUME, json, len, err)))
		e = port_ack(vm->ctl, QP_RESUME, deadline, &version, err);
	jw_free(&w);
	if (!e && version < QP_VERSION_MIN)
		e = qerr_set(err, EPROTO, "the template's guest speaks protocol %u", version);
	b->resumed_at = now_s();
	return e;
}

int tmpl_warm(struct tmpl *t, struct vm *vm, double deadline, struct qerr *err)
{
	uint8_t data[512], v[4];
	uint32_t type = 0, version = 0;
	size_t n;
	bool running;
	int e;
	while (!(e = port_frame(vm->ctl, deadline, &type, data, sizeof data, &n, err)) && type != QP_READY)
		;
	/* Host entropy before the save, as a saving run gives it (session.c). */
	struct jw w;
	jw_init(&w);
	const char *json;
	size_t len;
	if (!e && !(e = tmpl_resume_msg(&w, &json, &len, err)) && !(e = port_send(vm->ctl, QP_RESUME, json, len, err)))
		e = port_ack(vm->ctl, QP_RESUME, deadline, NULL, err);
	jw_free(&w);
	qp_put_be32(v, QP_VERSION);
	if (!e && !(e = port_send(vm->ctl, QP_GETVERSION, v, sizeof v, err)))
		e = port_ack(vm->ctl, QP_GETVERSION, deadline, &version, err);
	if (!e && version < QP_VERSION_MIN)
		e = qerr_set(err, EPROTO, "the guest speaks protocol %u: rebuild the images with `make image`", version);
	if (e == -EPIPE)
		vm_print_tail(vm, stderr);
	return e ? e : tmpl_save(t, vm, deadline, &running, err);
}

void tmpl_close(struct tmpl *t)
{
	if (!t->text)
		return; /* never prepared (its fds are not ours) */
	io_close(&t->lock_fd);
	io_close(&t->ram_fd);
	io_close(&t->state_fd);
	free(t->text);
	t->text = NULL;
}
