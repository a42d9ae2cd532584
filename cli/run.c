/*
 * run.c: `qpod run [OPTIONS] IMAGE [COMMAND [ARG...]]` (./run; see runner.h
 * and --help). Parse, resolve the image, boot, run the session, report, exit
 * with the command's status; 125 with one line on stderr for qpod's own
 * failures, plus the tail of the guest console when the VM was at fault.
 * SIGPIPE is ignored once the VM starts: a reader of our stdout or stderr
 * that goes away is passed on to the command (relay.c, CLOSEOUTPUT).
 * A bundle (bundle/bundle.h) is known by its content: its signature
 * (--verify-key) and every digest are checked before qemu starts, its
 * launch config goes under the run line's flags, and it boots its own
 * kernel, initrd and firmware with its squashfs as the root disk.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "packer.h"
#include "runner.h"

static void hostname(char *buf, size_t cap)
{
	unsigned char r[6] = { 0 };
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != sizeof r)
		memcpy(r, &(pid_t){ getpid() }, sizeof(pid_t));
	snprintf(buf, cap, "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

struct run {
	struct opts o;
	struct vmconf conf;
	struct settings set;   /* the flags over vm.conf */
	struct image img;
	struct bundle bundle;   /* fd -1: IMAGE is no bundle */
	struct opts baked;      /* a bundle's launch config */
	struct qp_process proc;
	struct vm vm;
	struct session_result res;
	struct qerr err;
	bool vm_failed;     /* the failure is the VM's: show its console */
	char kernel[PATH_MAX], initrd[PATH_MAX], bios[PATH_MAX], cbfs[PATH_MAX];
	char hostname[64], hostenv[80];
};

/* A bundle: signature, then every byte, then its launch config under the
 * run line; its boot parts' directory is the vm.conf directory. */
static int open_bundle(struct run *r)
{
	struct bundle *b = &r->bundle;
	int e;
	if (r->o.verify_key) {
		char sig[4200];
		bundle_sig_path(r->o.image, sig, sizeof sig);
		if ((e = bundle_check_sig(r->o.verify_key, b->digest, sig, &r->err)))
			return e;
	}
	const struct bd_blob *l = b->part[P_LAUNCH];
	if ((e = bundle_verify(b, true, &r->err)))
		return e;
	if ((e = launch_read(l->data, l->size, &r->baked, &r->err)))
		return qerr_wrap(&r->err, "%s", b->shown);
	if ((e = launch_merge(&r->o, &r->baked, &r->err)) || (e = conf_load_dir(&r->conf, b->dir, &r->err)))
		return e;
	r->img.config = b->config_run;
	b->config_run = (struct runcfg){ 0 };
	return 0;
}

static int prepare(struct run *r)
{
	const struct opts *o = &r->o;
	int e = strcmp(o->image, "-") ? bundle_open(o->image, &r->bundle, &r->err) : 1;
	if (e < 0)
		return e;
	if (e == 0 && (e = open_bundle(r)))
		return e;
	if (r->bundle.fd < 0 && o->verify_key)
		return qerr_set(&r->err, EINVAL, "--verify-key: %s is not a bundle (qpod bundle makes one)", o->image);
	if ((r->bundle.fd < 0 && (e = conf_load(&r->conf, &r->err))) ||
	    (e = conf_settings(&r->conf, o, &r->set, &r->err)))
		return e;
	if (!strcmp(r->set.boot, "cbfs")) {
		if ((e = conf_file(&r->conf, "bios-qboot.bin", NULL, r->bios, sizeof r->bios, &r->err)) ||
		    (e = conf_file(&r->conf, "cbfs.rom", NULL, r->cbfs, sizeof r->cbfs, &r->err)))
			return e;
		if (o->kernel || o->initrd)
			return qerr_set(&r->err, EINVAL, "--kernel/--initrd need --boot fwcfg (cbfs.rom holds its own)");
	} else if ((e = conf_file(&r->conf, "qboot.rom", NULL, r->bios, sizeof r->bios, &r->err)) ||
		   (e = conf_kernel(&r->conf, r->set.cpus, o->kernel, r->kernel, sizeof r->kernel, &r->err)) ||
		   (e = conf_file(&r->conf, "initrd.img", o->initrd, r->initrd, sizeof r->initrd, &r->err))) {
		return e;
	}
	if (r->bundle.fd < 0 && (e = image_open(o, &r->img, &r->err)))
		return e;
	char host[16];
	hostname(host, sizeof host);
	snprintf(r->hostname, sizeof r->hostname, "%s", o->hostname ? o->hostname : host);
	snprintf(r->hostenv, sizeof r->hostenv, "HOSTNAME=%s", r->hostname);
	return image_process(o, &r->img, r->hostenv, &r->proc, &r->err);
}

static int boot_and_run(struct run *r)
{
	const struct opts *o = &r->o;
	struct qerr *err = &r->err;
	struct qp_pod pod = { .hostname = r->hostname, .share = VM_ROOT_TAG };
	if (r->bundle.fd >= 0)
		pod = (struct qp_pod){ .hostname = r->hostname, .root_device = "vda", .root_type = "squashfs" };
	struct qp_host hosts[QP_MAX_HOSTS];
	net_guest(o->network, o->dns, o->hosts, o->nhosts, &pod.net, hosts);
	int e = net_check_ports(o->ports, o->nports, err);
	if (e)
		return e;
	struct qp_mount mounts[QP_MAX_MOUNTS];
	char tags[QP_MAX_MOUNTS][VM_TAG_MAX];
	if (o->nvols > QP_MAX_MOUNTS)
		return qerr_set(err, E2BIG, "at most %u volumes", QP_MAX_MOUNTS);
	for (size_t i = 0; i < o->nvols; i++)
		mounts[i] = (struct qp_mount){ .source = vm_vol_tag(i, tags[i]), .path = o->vols[i].guest,
					       .read_only = o->vols[i].read_only, .file = o->vols[i].file };
	struct qp_container c = { .id = "qpod", .mounts = mounts, .nmounts = o->nvols, .proc = r->proc,
				  .tmpfs = o->tmpfs, .ntmpfs = o->ntmpfs, .shm_size = o->shm_size,
				  .read_only = o->read_only };
	if (o->tty)
		tty_size(&c.proc.rows, &c.proc.cols);

	struct vm_spec vs = {
		.conf = &r->conf, .set = &r->set,
		.kernel = r->kernel, .initrd = r->initrd, .bios = r->bios, .cbfs = r->cbfs,
		.rootfs = r->img.rootfs, .vols = o->vols, .nvols = o->nvols, .root_fd = r->bundle.fd,
		.root_off = r->bundle.fd >= 0 ? r->bundle.part[P_ROOTFS]->off : 0,
		.root_size = r->bundle.fd >= 0 ? r->bundle.part[P_ROOTFS]->size : 0,
		.console_path = o->console, .debug = o->debug,
		.network = o->network, .ports = o->ports, .nports = o->nports,
	};
	sigset_t sigs;
	session_signals(&sigs, o->sig_proxy);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if (o->tty)
		tty_raw_host();
	/* A reader of our stdout or stderr that goes away is the relay's
	 * business (EPIPE), not a reason to die; qemu gets SIG_DFL back. */
	signal(SIGPIPE, SIG_IGN);
	r->res.t.qemu_start = now_s();
	e = vm_start(&vs, &r->vm, err);
	if (e)
		return e;
	struct session_spec ss = {
		.vm = &r->vm, .pod = &pod, .container = &c, .set = &r->set,
		.interactive = o->interactive, .tty = o->tty, .sig_proxy = o->sig_proxy,
	};
	e = session_run(&ss, &r->res, err);
	r->vm_failed = e && !r->res.timed_out && e != -EINTR;
	return e;
}

int cmd_run(int argc, char **argv)
{
	static struct run r;
	/* Run in the background of a terminal (under timeout(1), in a script):
	 * reading the terminal then gives EIO, which the relay takes as the end
	 * of stdin, instead of stopping us for ever on SIGTTIN; writing and
	 * setting it do not stop us either. qemu gets SIG_DFL back. */
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	r.vm = (struct vm){ .pid = -1, .ctl = -1, .stream = -1, .console = -1, .qemu_log = -1 };
	r.img.lock_fd = -1;
	r.bundle.fd = -1;
	int e = opts_parse(argc, argv, &r.o);
	if (e)
		return e > 0 ? 0 : EXIT_QPOD;
	if (r.o.cache_cmd)
		return cache_run(r.o.cache_cmd);

	int status;
	if (!(e = prepare(&r)))
		e = boot_and_run(&r);
	tty_restore();
	if (!e) {
		status = r.res.status;
		if (*r.res.exit.error)
			fprintf(stderr, "qpod: %s\n", r.res.exit.error);
		if (r.res.exit.oom)
			fprintf(stderr, "qpod: the guest ran out of memory and killed the command (see --memory)\n");
	} else if (r.res.timed_out) {
		status = EXIT_TIMEOUT;
		fprintf(stderr, "qpod: timed out after %gs; the VM was killed\n", r.o.timeout);
	} else {
		status = e == -EINTR && r.res.status ? r.res.status : EXIT_QPOD;
		fprintf(stderr, "qpod: %s\n", r.err.msg);
		if (r.vm_failed)
			vm_print_tail(&r.vm, stderr);
	}
	r.res.status = status;
	vm_close(&r.vm);
	if (r.o.timings)
		report_timings(&r.res, stderr);
	if (r.o.result && report_result(r.o.result, &r.res, e ? r.err.msg : NULL, &r.err) < 0) {
		fprintf(stderr, "qpod: %s\n", r.err.msg);
		status = EXIT_QPOD;
	}
	image_free(&r.img);
	free(r.proc.args);
	free(r.proc.env);
	opts_free(&r.o);
	launch_free(&r.baked);
	bundle_close(&r.bundle);
	return status;
}
