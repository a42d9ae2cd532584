/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.c: where detached VMs live. No daemon keeps a list: the list is a
 * directory, private to its user:
 *
 *   ROOT             /run/qpod for root, else $XDG_RUNTIME_DIR/qpod, else
 *                    /tmp/qpod-UID; 0700, owned by the user (checked)
 *   ROOT/ID/         one VM (ID: 64 hex digits), 0700
 *     state.json     what ps and inspect show, rewritten whole (tmp + rename)
 *     lock           flock'd by the VM's monitor while it lives: a lock
 *                    that can be taken means the monitor is gone, whatever
 *                    state.json says (a crash is detected, not trusted)
 *     ctl.sock       the monitor's control socket
 *     config.json    what it was started with, docker's shape (vmconfig.c)
 *     health.json    its health check's last results (monhealth.c)
 *     events         docker's events of its life, one JSON object a line
 *     log, log.1     the command's output (log.c)
 *   ROOT/names/NAME  a symlink to ID: symlink() is the atomic claim of a name
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "json.h"
#include "detached.h"
#include "trust.h"

int state_root(char *out, size_t cap, struct qerr *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;
	if (getenv("QPOD_STATE") && *getenv("QPOD_STATE"))
		n = snprintf(out, cap, "%s", getenv("QPOD_STATE"));
	else if (geteuid() == 0)
		n = snprintf(out, cap, "/run/qpod");
	else if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode))
		n = snprintf(out, cap, "%s/qpod", xdg);
	else
		n = snprintf(out, cap, "/tmp/qpod-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= cap - 80)
		return qerr_set(err, ENAMETOOLONG, "the state directory's path is too long");
	int e = private_dir(out, err);
	if (e)
		return e;
	char names[4200];
	snprintf(names, sizeof names, "%s/names", out);
	return private_dir(names, err);
}

static void new_id(char id[65])
{
	unsigned char r[32];
	if (getrandom(r, sizeof r, 0) != sizeof r)
		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
}

/* docker's generated names are adjective_name; ours say what they are. */
static void new_name(const char *id, char *name, size_t cap)
{
	snprintf(name, cap, "qpod_%.12s", id);
}

int state_new(const char *name, struct vmstate *st, char *dir, size_t cap, struct qerr *err)
{
	char root[4096], link[4200];
	int e = state_root(root, sizeof root, err);
	if (e)
		return e;
	new_id(st->id);
	if (name)
		snprintf(st->name, sizeof st->name, "%s", name);
	else
		new_name(st->id, st->name, sizeof st->name);
	snprintf(link, sizeof link, "%s/names/%s", root, st->name);
	if (symlink(st->id, link) < 0) {
		if (errno == EEXIST)
			return qerr_set(err, EEXIST, "the name %s is in use by another VM (qpod rm %s frees it)",
					st->name, st->name);
		return qerr_sys(err, errno, "claim the name %s", st->name);
	}
	snprintf(dir, cap, "%s/%s", root, st->id);
	if ((e = private_dir(dir, err)) < 0) {
		unlink(link);
		return e;
	}
	return 0;
}

static bool is_id(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int state_find(const char *ref, char *dir, size_t cap, struct vmstate *st, struct qerr *err)
{
	char root[4096], link[4200], target[128];
	int e = state_root(root, sizeof root, err);
	if (e)
		return e;
	snprintf(link, sizeof link, "%s/names/%s", root, ref);
	ssize_t n = strchr(ref, '/') ? -1 : readlink(link, target, sizeof target - 1);
	if (n > 0) {
		target[n] = '\0';
		if (!is_id(target))
			return qerr_set(err, EINVAL, "%s: a bad name entry", link);
	} else {
		/* An id, or a unique prefix of one (docker's way). */
		size_t len = strlen(ref), hits = 0;
		if (!len || len > 64 || strspn(ref, "0123456789abcdef") != len)
			return qerr_set(err, ENOENT, "No such container: %s", ref);
		DIR *d = opendir(root);
		if (!d)
			return qerr_sys(err, errno, "%s", root);
		for (struct dirent *de; (de = readdir(d));)
			if (is_id(de->d_name) && !strncmp(de->d_name, ref, len) && hits++ == 0)
				snprintf(target, sizeof target, "%s", de->d_name);
		closedir(d);
		if (hits != 1)
			return qerr_set(err, hits ? EINVAL : ENOENT, hits ? "%s names more than one VM" : "No such container: %s", ref);
	}
	snprintf(dir, cap, "%s/%s", root, target);
	return state_load(dir, st, err);
}

static void kv_time(struct jw *w, const char *key, int64_t ns)
{
	jw_kv_int(w, key, ns);
}

int state_json(struct jw *w, const struct vmstate *st)
{
	jw_obj(w);
	jw_kv_str(w, "id", st->id);
	jw_kv_str(w, "name", st->name);
	jw_kv_str(w, "image", st->image);
	jw_kv_str(w, "command", st->command);
	jw_kv_str(w, "status", st->status);
	jw_kv_int(w, "exitCode", st->exit_code);
	jw_kv_int(w, "signal", st->signal);
	jw_kv_bool(w, "oom", st->oom);
	jw_kv_bool(w, "monitorLost", st->monitor_lost);
	jw_kv_bool(w, "paused", st->paused);
	jw_kv_bool(w, "stoppedByUser", st->stopped_by_user);
	jw_kv_str(w, "health", st->health);
	jw_kv_int(w, "failingStreak", st->failing_streak);
	jw_kv_int(w, "restartCount", st->restarts);
	jw_kv_str(w, "restartPolicy", st->restart);
	jw_kv_str(w, "boot", st->boot);
	jw_kv_int(w, "monitorPid", st->monitor_pid);
	jw_kv_int(w, "qemuPid", st->qemu_pid);
	kv_time(w, "createdNs", st->created);
	kv_time(w, "startedNs", st->started);
	kv_time(w, "finishedNs", st->finished);
	jw_kv_str(w, "error", st->error);
	jw_end(w);
	return w->err;
}

int state_save(const char *dir, const struct vmstate *st, struct qerr *err)
{
	char path[4200], tmp[4220];
	struct jw w;
	const char *json;
	size_t len;
	snprintf(path, sizeof path, "%s/state.json", dir);
	snprintf(tmp, sizeof tmp, "%s/.state.json.%d", dir, (int)getpid());
	jw_init(&w);
	state_json(&w, st);
	int e = jw_done(&w, &json, &len);
	int fd = e ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || io_write_all(fd, json, len) < 0 || io_write_all(fd, "\n", 1) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		e = qerr_sys(err, errno ? errno : ENOMEM, "write %s", path);
		unlink(tmp);
	}
	jw_free(&w);
	return e;
}

static void get_s(struct json *j, const char *key, char *out, size_t cap)
{
	if (json_str(j, json_get(j, 0, key), out, cap) < 0)
		*out = '\0';
}

static int64_t get_i(struct json *j, const char *key)
{
	int64_t v = 0;
	json_int(j, json_get(j, 0, key), &v);
	return v;
}

int state_load(const char *dir, struct vmstate *st, struct qerr *err)
{
	char path[4200], buf[16384];
	struct json j;
	memset(st, 0, sizeof *st);
	snprintf(path, sizeof path, "%s/state.json", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : io_read_full(fd, buf, sizeof buf);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return qerr_sys(err, errno, "%s", path);
	if (json_parse_alloc(&j, buf, (size_t)n) < 0 || j.t[0].type != JSON_OBJECT) {
		if (j.t)
			json_free(&j);
		return qerr_set(err, EINVAL, "%s is not a VM's state", path);
	}
	get_s(&j, "id", st->id, sizeof st->id);
	get_s(&j, "name", st->name, sizeof st->name);
	get_s(&j, "image", st->image, sizeof st->image);
	get_s(&j, "command", st->command, sizeof st->command);
	get_s(&j, "status", st->status, sizeof st->status);
	get_s(&j, "restartPolicy", st->restart, sizeof st->restart);
	get_s(&j, "boot", st->boot, sizeof st->boot);
	get_s(&j, "error", st->error, sizeof st->error);
	st->exit_code = (int)get_i(&j, "exitCode");
	st->signal = (int)get_i(&j, "signal");
	json_bool(&j, json_get(&j, 0, "oom"), &st->oom);
	json_bool(&j, json_get(&j, 0, "paused"), &st->paused);
	json_bool(&j, json_get(&j, 0, "stoppedByUser"), &st->stopped_by_user);
	get_s(&j, "health", st->health, sizeof st->health);
	st->failing_streak = (int)get_i(&j, "failingStreak");
	st->restarts = (unsigned)get_i(&j, "restartCount");
	st->monitor_pid = (pid_t)get_i(&j, "monitorPid");
	st->qemu_pid = (pid_t)get_i(&j, "qemuPid");
	st->created = get_i(&j, "createdNs");
	st->started = get_i(&j, "startedNs");
	st->finished = get_i(&j, "finishedNs");
	json_free(&j);
	/* Not exited, and nobody holds the lock: the monitor died. */
	if (strcmp(st->status, "exited") && strcmp(st->status, "created") && !state_alive(dir)) {
		st->monitor_lost = true;
		st->paused = false;
		snprintf(st->status, sizeof st->status, "exited");
	}
	return 0;
}

int state_lock(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		io_close(&fd);
	return fd;
}

bool state_alive(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/lock", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	bool alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

int state_each(int (*fn)(void *ctx, const char *dir, const struct vmstate *st), void *ctx, struct qerr *err)
{
	char root[4096], dir[4200];
	struct vmstate st;
	struct qerr ignore;
	int e = state_root(root, sizeof root, err);
	if (e)
		return e;
	DIR *d = opendir(root);
	if (!d)
		return qerr_sys(err, errno, "%s", root);
	for (struct dirent *de; !e && (de = readdir(d));) {
		if (!is_id(de->d_name))
			continue;
		snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
		if (state_load(dir, &st, &ignore) == 0)
			e = fn(ctx, dir, &st);
	}
	closedir(d);
	return e;
}

int state_remove(const char *dir, const struct vmstate *st, struct qerr *err)
{
	static const char *const files[] = { "state.json", "config.json", "health.json", "events", "lock", "ctl.sock",
					     "log", "log.1", "monitor.log" };
	char path[4200], root[4096];
	int e = state_root(root, sizeof root, err);
	if (e)
		return e;
	snprintf(path, sizeof path, "%s/names/%s", root, st->name);
	char target[128];
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n > 0 && (target[n] = '\0', !strcmp(target, st->id)))
		unlink(path);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	if (rmdir(dir) < 0)
		return qerr_sys(err, errno, "remove %s", dir);
	return 0;
}
