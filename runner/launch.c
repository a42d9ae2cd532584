/* SPDX-License-Identifier: Apache-2.0 */
/*
 * launch.c: everything a VM needs, resolved before it boots: the image
 * (unpacked by the packer, or a root directory), the guest architecture its
 * platform asks for (arch.c: 125 for one qpod has no guest of), settings
 * (flags over that arch's vm.conf), the boot files, the command and its
 * environment, the pod (hostname,
 * network) and the container (volumes, tmpfs, limits); the published ports
 * are tried. The image root is a directory shared over 9p, or a disk the
 * caller opened (a bundle's squashfs: root_fd, its vm.conf and run config
 * set before). A foreground run (cli/run.c) and a detached VM's monitor
 * (monitor.c) launch from the same struct; launch_boot() starts qemu.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cache/layout.h"
#include "clock.h"
#include "io.h"
#include "packer.h"
#include "runner.h"
#include "trust.h"

static void random_hostname(char *buf, size_t cap)
{
	unsigned char r[6] = { 0 };
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != sizeof r)
		memcpy(r, &(pid_t){ getpid() }, sizeof(pid_t));
	snprintf(buf, cap, "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

static int boot_files(struct launch *l)
{
	const struct opts *o = &l->o;
	int e;
	if (!strcmp(l->set.boot, "cbfs")) {
		if ((e = conf_file(&l->conf, "bios-qboot.bin", NULL, l->bios, sizeof l->bios, &l->err)) ||
		    (e = conf_file(&l->conf, "cbfs.rom", NULL, l->cbfs, sizeof l->cbfs, &l->err)))
			return e;
		if (o->kernel || o->initrd)
			return qerr_set(&l->err, EINVAL, "--kernel/--initrd need --boot fwcfg (cbfs.rom holds its own)");
		return 0;
	}
	if ((l->conf.arch->firmware && (e = conf_file(&l->conf, "qboot.rom", NULL, l->bios, sizeof l->bios, &l->err))) ||
	    (e = conf_kernel(&l->conf, l->set.cpus, o->kernel, l->kernel, sizeof l->kernel, &l->err)))
		return e;
	return conf_file(&l->conf, "initrd.img", o->initrd, l->initrd, sizeof l->initrd, &l->err);
}

/* The pod and the container, pointing into l. */
static int pod_and_container(struct launch *l)
{
	const struct opts *o = &l->o;
	l->pod = (struct qp_pod){ .hostname = l->hostname, .share = VM_ROOT_TAG };
	if (l->root_fd >= 0)
		l->pod = (struct qp_pod){ .hostname = l->hostname, .root_device = (char *)conf_root_dev(&l->conf),
					  .root_type = "squashfs" };
	net_guest(o->network, o->host_loopback, o->dns, o->hosts, o->nhosts, &l->pod.net, l->hosts);
	if (o->nvols > QP_MAX_MOUNTS)
		return qerr_set(&l->err, E2BIG, "at most %u volumes", QP_MAX_MOUNTS);
	for (size_t i = 0; i < o->nvols; i++)
		l->mounts[i] = (struct qp_mount){ .source = vm_vol_tag(i, l->tags[i]), .path = o->vols[i].guest,
						  .read_only = o->vols[i].read_only, .file = o->vols[i].file };
	l->container = (struct qp_container){ .id = "qpod", .mounts = l->mounts, .nmounts = o->nvols,
					      .proc = l->proc, .tmpfs = o->tmpfs, .ntmpfs = o->ntmpfs,
					      .shm_size = o->shm_size, .read_only = o->read_only };
	if (o->tty)
		tty_size(&l->container.proc.rows, &l->container.proc.cols);
	return 0;
}

/* The TSC rate for the guest's command line (tsc.c), kept beside the
 * templates; 0 (the guest measures it) if there is no such directory. */
static unsigned long host_tsc_khz(void)
{
	char *cache = NULL, dir[PATH_MAX];
	struct qerr ignore;
	if (pack_cache_dir(&cache, &ignore))
		return 0;
	snprintf(dir, sizeof dir, "%s/" CACHE_TEMPLATES, cache);
	free(cache);
	return private_dir(dir, &ignore) ? 0 : tsc_khz(dir);
}

/* The guest's arch: the image's platform (its only one, or the one
 * --platform picked), else --platform (a root directory), else the host's. */
static int guest_arch(struct launch *l, const struct arch **out)
{
	const char *plat = l->img.platform[0] ? l->img.platform : l->o.platform;
	char have[160];
	if (!plat) {
		if (!(*out = arch_host()))
			return qerr_set(&l->err, ENOEXEC, "this host is no architecture qpod has a guest for: "
					"name one with --platform");
		return 0;
	}
	if ((*out = arch_by_platform(plat)))
		return 0;
	arch_platforms(have, sizeof have);
	return qerr_set(&l->err, ENOEXEC, "%s is %s: qpod has guests for %s only", l->o.image ? l->o.image : "the image",
			plat, have);
}

/* What a run uses: the flags over vm.conf (runner.h). */
int conf_settings(const struct vmconf *c, const struct opts *o, struct settings *s, struct qerr *err)
{
	*s = (struct settings){
		.boot = o->boot ? o->boot : c->boot,
		.memory_mb = o->memory_mb ? o->memory_mb : c->memory_mb,
		.cpus = o->cpus ? o->cpus : c->cpus,
		.boot_timeout = c->boot_timeout,
		.shutdown_timeout = c->shutdown_timeout,
		.timeout = o->timeout,
	};
	if (conf_boot_check(c->arch, s->boot, err) || !(s->accel = accel_pick(o->accel ? o->accel : c->accel, c->arch, err)))
		return -EINVAL;
	return 0;
}

/* Settings and boot files: the VM without its image. */
static int launch_vm(struct launch *l)
{
	const struct arch *arch;
	int e;
	if ((e = pack_cache_trust(&l->err)) ||
	    (!l->conf_ready && ((e = guest_arch(l, &arch)) || (e = conf_load(&l->conf, arch, &l->err)))))
		return e;
	if ((e = conf_settings(&l->conf, &l->o, &l->set, &l->err)) || (e = boot_files(l)))
		return e;
	l->tsc_khz = l->conf.arch->tsc && strcmp(l->set.boot, "cbfs") ? host_tsc_khz() : 0;
	return 0;
}

/* Why this run boots cold whatever the cache holds, or NULL. */
static const char *snapshot_off(const struct launch *l)
{
	const char *env = getenv("QPOD_NO_SNAPSHOT");
	if (l->o.no_snapshot)
		return "off: --no-snapshot";
	if (env && *env && strcmp(env, "0"))
		return "off: QPOD_NO_SNAPSHOT";
	if (strcmp(l->set.accel, "tcg"))
		return "off: KVM boots cold (templates are verified under TCG only)";
	if (!strcmp(l->set.boot, "cbfs"))
		return "off: --boot cbfs boots cold";
	return NULL;
}

/* The command's name a template reads ahead (warm.c): argv[0] of the
 * image's own command, if it is a plain word or path. */
static void warm_name(struct launch *l)
{
	const struct runcfg *c = &l->img.config;
	const char *n = c->entrypoint && c->entrypoint[0] ? c->entrypoint[0] : c->cmd && c->cmd[0] ? c->cmd[0] : "";
	size_t len = strlen(n);
	l->warm[0] = '\0';
	if (len == 0 || len >= sizeof l->warm || strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
							 "0123456789._/+-") != len)
		return;
	memcpy(l->warm, n, len + 1);
}

/* A cache entry's root goes on a disk (rootdisk.c) where a template will
 * hold it mounted; a bundle brought its own; a root directory stays on 9p,
 * and so does a run that boots cold whatever the cache holds: under TCG a
 * guest's first reads through the block layer cost more than 9p's
 * (docs/performance.md), which only a template's page cache repays. */
static int root_disk(struct launch *l)
{
	struct rootdisk d;
	struct qerr why;
	const char *off = snapshot_off(l);
	int e;
	if (l->root_fd >= 0) {
		snprintf(l->root_note, sizeof l->root_note, "disk");
		return 0;
	}
	if (off) {
		snprintf(l->root_note, sizeof l->root_note, "9p: no template (%s)", off);
		return 0;
	}
	if ((e = rootdisk_open(&l->img, &d, &why)) == -EPERM) /* a disk that is not trusted (lib/trust.h) */
		return qerr_set(&l->err, EPERM, "%s", why.msg);
	if (e < 0) {
		snprintf(l->root_note, sizeof l->root_note, "9p: %s", why.msg);
		return 0;
	}
	l->root_fd = l->disk_fd = d.fd;
	l->root_off = 0;
	l->root_size = d.size;
	snprintf(l->root_digest, sizeof l->root_digest, "%s", d.hex);
	snprintf(l->root_note, sizeof l->root_note, "disk");
	return 0;
}

int launch_prepare(struct launch *l)
{
	const struct opts *o = &l->o;
	int e;
	if ((o->result && (e = report_check(o->result, &l->err))) ||
	    (l->root_fd < 0 && (e = image_open(o, &l->img, &l->err))) || (e = launch_vm(l)))
		return e;
	if ((e = root_disk(l)))
		return e;
	warm_name(l);
	char host[16];
	random_hostname(host, sizeof host);
	snprintf(l->hostname, sizeof l->hostname, "%s", o->hostname ? o->hostname : host);
	snprintf(l->hostenv, sizeof l->hostenv, "HOSTNAME=%s", l->hostname);
	if ((e = image_process(o, &l->img, l->hostenv, &l->proc, &l->err)) || (e = pod_and_container(l)))
		return e;
	l->stop_signal = o->stop_signal ? o->stop_signal : l->img.config.stop_signal ? l->img.config.stop_signal : SIGTERM;
	l->stop_timeout = o->stop_timeout >= 0 ? o->stop_timeout : 10;
	return net_check_ports(o->ports, o->nports, o->host_loopback, &l->err);
}

#define RESTORE_TIMEOUT 10.0  /* s; a restore that works takes well under one */

/* Restore the template of vs if there is one. 1: the VM runs; 0: none
 * there; -errno (in terr): it failed, and is removed. */
static int try_restore(struct launch *l, struct vm_spec vs, struct qerr *terr)
{
	int k = tmpl_find(&l->tmpl, terr);
	if (k <= 0)
		return k;
	vs.mode = VM_RESTORE;
	vs.ram_path = l->tmpl.ram_path;
	vs.state_fd = l->tmpl.state_fd;
	double deadline = now_s() + fmin(l->set.boot_timeout, RESTORE_TIMEOUT);
	if (!(k = vm_start(&vs, &l->vm, terr)) && !(k = tmpl_resume(&l->tmpl, &l->vm, deadline, &l->boot, terr))) {
		l->boot.restored = true;
		snprintf(l->boot.snapshot, sizeof l->boot.snapshot, "restored");
		io_close(&l->tmpl.state_fd);
		io_close(&l->vm.qmp);
		return 1;
	}
	vm_close(&l->vm);
	return k < 0 ? k : -EIO;
}

static struct vm_spec spec_of(const struct launch *l)
{
	const struct opts *o = &l->o;
	return (struct vm_spec){
		.conf = &l->conf, .set = &l->set,
		.kernel = l->kernel, .initrd = l->initrd, .bios = l->bios, .cbfs = l->cbfs,
		.rootfs = l->root_fd >= 0 ? NULL : l->img.rootfs, .root_mapped = l->img.mapped, .vols = o->vols, .nvols = o->nvols,
		.root_fd = l->root_fd, .root_off = l->root_off, .root_size = l->root_size,
		.root_digest = l->root_digest, .warm = l->warm,
		.console_path = o->console, .debug = o->debug,
		.network = o->network, .host_loopback = o->host_loopback, .ports = o->ports, .nports = o->nports,
		.tsc_khz = l->tsc_khz, .ram_fd = -1, .state_fd = -1,
	};
}

int launch_warm(struct launch *l, bool image)
{
	int e = image ? launch_prepare(l) : launch_vm(l);
	const char *off = e ? NULL : snapshot_off(l);
	struct vm_spec vs = spec_of(l);
	if (e)
		return e;
	if (off)
		return qerr_set(&l->err, ENOTSUP, "no template: %s", off + 5);
	if (!image)
		vs.rootfs = "/"; /* any directory: the template is saved before the guest mounts it */
	if ((e = tmpl_prepare(&l->tmpl, &vs, &l->err)))
		return e;
	static char empty[PATH_MAX + 8];
	snprintf(empty, sizeof empty, "%s/empty", l->tmpl.dir);
	if (!image && (e = private_dir(empty, &l->err)))
		return e;
	if (!image) /* shared, never mounted: an empty directory, not the templates beside it */
		vs.rootfs = empty;
	if ((e = tmpl_find(&l->tmpl, &l->err)) == 1)
		return 0;
	if (e < 0)
		tmpl_discard(&l->tmpl);
	if ((e = tmpl_begin(&l->tmpl, &l->err)) == 1)
		return qerr_set(&l->err, EBUSY, "another qpod is saving this template now");
	if (e)
		return e;
	vs.mode = VM_SAVE;
	vs.ram_fd = l->tmpl.ram_fd;
	if (!(e = vm_start(&vs, &l->vm, &l->err)))
		e = tmpl_warm(&l->tmpl, &l->vm, now_s() + l->set.boot_timeout, &l->err);
	vm_close(&l->vm);
	return e;
}

static int boot(struct launch *l);

int launch_boot(struct launch *l)
{
	int e = boot(l);
	snprintf(l->boot.cgroup, sizeof l->boot.cgroup, "%s", l->vm.cg.why);
	return e;
}

static int boot(struct launch *l)
{
	struct vm_spec vs = spec_of(l);
	struct qerr terr;
	const char *off = snapshot_off(l);
	int k;
	l->vm = VM_NONE;
	l->boot = (struct bootinfo){ 0 };
	snprintf(l->boot.root, sizeof l->boot.root, "%s", l->root_note);
	l->saving = false;
	tmpl_close(&l->tmpl);
	if (off) {
		snprintf(l->boot.snapshot, sizeof l->boot.snapshot, "%s", off);
		return vm_start(&vs, &l->vm, &l->err);
	}
	if ((k = tmpl_prepare(&l->tmpl, &vs, &terr)) < 0) {
		snprintf(l->boot.snapshot, sizeof l->boot.snapshot, "cold: no template: %s", terr.msg);
		return vm_start(&vs, &l->vm, &l->err);
	}
	if ((k = try_restore(l, vs, &terr)) == 1)
		return 0;
	if (k < 0) {
		snprintf(l->boot.snapshot, sizeof l->boot.snapshot, "cold: template removed: %s", terr.msg);
		tmpl_discard(&l->tmpl);
	}
	if ((k = tmpl_begin(&l->tmpl, &terr)) == 0) {
		vs.mode = VM_SAVE;
		vs.ram_fd = l->tmpl.ram_fd;
		if (!vm_start(&vs, &l->vm, &terr)) {
			l->saving = true;
			return 0;
		}
		vs.mode = VM_COLD;
	}
	if (!l->boot.snapshot[0])
		snprintf(l->boot.snapshot, sizeof l->boot.snapshot, "cold: %s",
			 k == 1 ? "another run saves the template" : terr.msg);
	tmpl_close(&l->tmpl);
	return vm_start(&vs, &l->vm, &l->err);
}

void launch_spec(const struct launch *l, struct session_spec *ss, const struct relay_spec *init_io)
{
	*ss = (struct session_spec){
		.vm = (struct vm *)&l->vm, .pod = &l->pod, .container = &l->container, .set = &l->set,
		.init_io = *init_io, .tty = l->o.tty, .sig_proxy = l->o.sig_proxy,
		.stop_signal = l->stop_signal, .stop_timeout = l->stop_timeout,
		.boot = &l->boot, .save = l->saving ? (struct tmpl *)&l->tmpl : NULL,
	};
}

void launch_free(struct launch *l)
{
	vm_close(&l->vm);
	io_close(&l->disk_fd);
	tmpl_close(&l->tmpl);
	image_free(&l->img);
	free(l->proc.args);
	free(l->proc.env);
	opts_free(&l->o);
}
