/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c: find the boot images and read the VM defaults. The runner holds
 * no defaults of its own: memory, cpus, machine, deadlines and the kernel
 * command line come from vm.conf and cmdline next to the images (from
 * configs/ at build time). The images are looked for in $QPOD_IMAGES, then
 * next to the binary: ../images (the build tree, out/bin -> out/images) and
 * ../share/qpod/images (an installed runner); that is the host's
 * architecture's, another's is beside it as DIR-NAME (arch.c), and its
 * vm.conf must say arch=NAME. launch.c's conf_settings puts the flags over
 * vm.conf once; everything after reads the merged settings. A bundle brings its own
 * directory of them (conf_load_dir), never the build tree's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "vm.h"

static int exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, R_OK) == 0;
}

/* The images directory with suffix ("" for the host's arch, "-NAME") into c->dir. */
static int find_dir(struct vmconf *c, const char *suffix, struct qerr *err)
{
	const char *env = getenv("QPOD_IMAGES");
	if (env && *env) {
		snprintf(c->dir, sizeof c->dir, "%s%s", env, suffix);
		if (!exists(c->dir, "vm.conf"))
			return qerr_set(err, ENOENT, "QPOD_IMAGES=%s: %s has no vm.conf (run `make image%s%s`)", env, c->dir,
					*suffix ? " ARCH=" : "", suffix + !!*suffix);
		return 0;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return qerr_sys(err, errno, "readlink /proc/self/exe");
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	static const char *const rel[] = { "/../images", "/../share/qpod/images" };
	for (size_t i = 0; i < 2; i++) {
		char dir[PATH_MAX + 64];
		snprintf(dir, sizeof dir, "%s%s%s", exe, rel[i], suffix);
		if (exists(dir, "vm.conf") && realpath(dir, c->dir))
			return 0;
	}
	if (*suffix)
		return qerr_set(err, ENOENT, "no %s guest: no boot images next to %s (../images%s or "
				"../share/qpod/images%s); run `make image ARCH=%s`", suffix + 1, exe, suffix, suffix, suffix + 1);
	return qerr_set(err, ENOENT, "no boot images next to %s (../images or ../share/qpod/images); "
			"run `make image`, or set QPOD_IMAGES", exe);
}

/* The directory of arch's images: the host's, or DIR-NAME beside it. */
static int arch_dir(struct vmconf *c, const struct arch *arch, struct qerr *err)
{
	char suffix[40] = "";
	if (arch != arch_host())
		snprintf(suffix, sizeof suffix, "-%s", arch->name);
	return find_dir(c, suffix, err);
}

static int read_small(const char *path, char *buf, size_t cap, struct qerr *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return qerr_sys(err, errno, "open %s", path);
	ssize_t n = io_read_text(fd, buf, cap);
	if (n < 0)
		return qerr_sys(err, (int)-n, "read %s", path);
	if ((size_t)n == cap - 1)
		return qerr_set(err, EFBIG, "%s is larger than %zu bytes", path, cap - 2);
	return 0;
}

static int conf_read(struct vmconf *c, struct qerr *err);

/* Whether s is one of the words of list ("a|b|c"). */
static bool one_of(const char *s, const char *list)
{
	size_t n = strlen(s);
	for (const char *p = list; *p; p += strcspn(p, "|"), p += *p == '|')
		if (n && strcspn(p, "|") == n && !strncmp(p, s, n))
			return true;
	return false;
}

/* What vm.conf may say to qemu: a bundle brings its own vm.conf, so every
 * value that reaches qemu's command line is one of a known few, never text
 * pasted in (-machine pc,acpi=off; never pc,mem-merge=on,...): the arch's
 * machines and machine options (arch.c), the boot paths qpod has. */
#define CONF_BOOTS     "fwcfg|cbfs|direct"
#define CONF_MAX_MB    (1L << 20)  /* 1 TiB: a bundle's own is bounded by the host (bundle/bounds.c) */
#define CONF_MAX_CPUS  255         /* qemu's pc machine */
#define CONF_MAX_WAIT  3600.0      /* s */

static bool machine_ok(const char *m, const struct arch *a)
{
	char buf[sizeof ((struct vmconf *)0)->machine];
	snprintf(buf, sizeof buf, "%s", m);
	char *save = NULL, *w = strtok_r(buf, ",", &save);
	if (!w || !one_of(w, a->machines))
		return false;
	while ((w = strtok_r(NULL, ",", &save)))
		if (!one_of(w, a->machine_opts))
			return false;
	return m[strlen(m) - 1] != ',';
}

static int set(struct vmconf *c, const char *key, const char *val)
{
	char *end;
	if (!strcmp(key, "memory") || !strcmp(key, "cpus")) {
		long v = strtol(val, &end, 10);
		if (*end || v <= 0 || v > (key[0] == 'm' ? CONF_MAX_MB : CONF_MAX_CPUS))
			return -EINVAL;
		*(key[0] == 'm' ? &c->memory_mb : &c->cpus) = v;
	} else if (!strcmp(key, "boot_timeout") || !strcmp(key, "shutdown_timeout")) {
		double v = strtod(val, &end);
		if (*end || !(v > 0 && v <= CONF_MAX_WAIT))
			return -EINVAL;
		*(key[0] == 'b' ? &c->boot_timeout : &c->shutdown_timeout) = v;
	} else if (!strcmp(key, "machine")) {
		if (strlen(val) >= sizeof c->machine) /* checked against arch= after the file */
			return -EINVAL;
		snprintf(c->machine, sizeof c->machine, "%s", val);
	} else if (!strcmp(key, "accel")) {
		if (!one_of(val, "auto|kvm|tcg"))
			return -EINVAL;
		snprintf(c->accel, sizeof c->accel, "%s", val);
	} else if (!strcmp(key, "boot")) {
		if (!one_of(val, CONF_BOOTS))
			return -EINVAL;
		snprintf(c->boot, sizeof c->boot, "%s", val);
	} else if (!strcmp(key, "arch")) {
		if (!(c->arch = arch_by_name(val)))
			return -EINVAL;
	} else {
		return -ENOENT;
	}
	return 0;
}

int conf_parse(struct vmconf *c, char *text, const char *path, struct qerr *err)
{
	int lineno = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		lineno++;
		line[strcspn(line, "#")] = '\0';
		char *key = line + strspn(line, " \t"), *eq = strchr(key, '=');
		if (!*key)
			continue;
		if (!eq)
			return qerr_set(err, EINVAL, "%s:%d: expected key=value", path, lineno);
		*eq = '\0';
		char *val = eq + 1 + strspn(eq + 1, " \t");
		key[strcspn(key, " \t")] = '\0';
		val[strcspn(val, " \t")] = '\0';
		int e = set(c, key, val);
		if (e == -ENOENT)
			return qerr_set(err, EINVAL, "%s:%d: unknown key \"%s\"", path, lineno, key);
		if (e)
			return qerr_set(err, EINVAL, "%s:%d: bad value \"%s\" for %s", path, lineno, val, key);
	}
	if (!c->memory_mb || !c->cpus || !c->boot_timeout || !c->shutdown_timeout || !*c->machine ||
	    !*c->accel || !*c->boot)
		return qerr_set(err, EINVAL, "%s: needs memory, cpus, machine, accel, boot, "
				"boot_timeout and shutdown_timeout", path);
	if (!c->arch) /* from before there was another arch */
		c->arch = arch_by_name("x86_64");
	if (!machine_ok(c->machine, c->arch))
		return qerr_set(err, EINVAL, "%s: bad value \"%s\" for machine (an %s guest: %s)", path, c->machine,
				c->arch->name, c->arch->machines);
	return 0;
}

/* The boot paths an arch has: qboot's two, or the kernel loaded directly. */
int conf_boot_check(const struct arch *a, const char *boot, struct qerr *err)
{
	if (a->firmware ? !strcmp(boot, "fwcfg") || !strcmp(boot, "cbfs") : !strcmp(boot, "direct"))
		return 0;
	return qerr_set(err, EINVAL, "boot \"%s\": an %s guest boots %s", boot, a->name,
			a->firmware ? "fwcfg or cbfs (qboot)" : "direct (qemu loads its kernel)");
}

const char *conf_root_dev(const struct vmconf *c)
{
	return strstr(c->cmdline, " dm-mod.create=\"" VM_VERITY_NAME ",") ? "dm-0" : "vda";
}

int conf_load(struct vmconf *c, const struct arch *arch, struct qerr *err)
{
	memset(c, 0, sizeof *c);
	int e = arch_dir(c, arch, err);
	if (e || (e = conf_read(c, err)))
		return e;
	if (c->arch != arch)
		return qerr_set(err, EINVAL, "%s/vm.conf: arch=%s, not %s", c->dir, c->arch->name, arch->name);
	return 0;
}

/* A bundle's boot parts, extracted into the cache, are such a directory. */
int conf_load_dir(struct vmconf *c, const char *dir, struct qerr *err)
{
	memset(c, 0, sizeof *c);
	if (snprintf(c->dir, sizeof c->dir, "%s", dir) >= (int)sizeof c->dir)
		return qerr_set(err, ENAMETOOLONG, "%s: path too long", dir);
	return conf_read(c, err);
}

static int conf_read(struct vmconf *c, struct qerr *err)
{
	char path[PATH_MAX + 16], text[8192];
	int e;
	snprintf(path, sizeof path, "%s/vm.conf", c->dir);
	if ((e = read_small(path, text, sizeof text, err)) || (e = conf_parse(c, text, path, err)))
		return e;
	snprintf(path, sizeof path, "%s/cmdline", c->dir);
	if ((e = read_small(path, c->cmdline, sizeof c->cmdline, err)))
		return e;
	c->cmdline[strcspn(c->cmdline, "\n")] = '\0';
	return 0;
}

/*
 * The kernel to boot: the arch's (vmlinuz; arm64's Image). Without --kernel,
 * x86_64's vmlinuz has twins built from the same source: vmlinux, an
 * uncompressed ELF with a PVH entry note that qemu copies straight into
 * guest RAM (the guest skips decompressing itself, 35 ms under TCG), and
 * vmlinux-up, the same without SMP, for one vCPU (another 35-40 ms;
 * docs/performance.md). A missing twin falls back to vmlinuz.
 */
int conf_kernel(const struct vmconf *c, long cpus, const char *override, char *out, size_t cap,
		struct qerr *err)
{
	if (!override && c->arch->pvh) {
		snprintf(out, cap, "%s/%s", c->dir, cpus == 1 ? "vmlinux-up" : "vmlinux");
		if (access(out, R_OK) == 0)
			return 0;
	}
	return conf_file(c, c->arch->kernel, override, out, cap, err);
}

int conf_file(const struct vmconf *c, const char *name, const char *override, char *out, size_t cap,
	      struct qerr *err)
{
	if (override)
		snprintf(out, cap, "%s", override);
	else
		snprintf(out, cap, "%s/%s", c->dir, name);
	if (access(out, R_OK) < 0)
		return qerr_sys(err, errno, "%s %s", override ? "file" : "boot image", out);
	return 0;
}
