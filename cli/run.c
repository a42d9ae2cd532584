/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.c: `qpod run [OPTIONS] IMAGE [COMMAND [ARG...]]` (./run; see runner.h
 * and --help). Parse, launch (launch.c: settings, image, command, pod,
 * container), boot, run the session, report, exit with the command's
 * status; 125 with one line on stderr for qpod's own failures, plus the
 * tail of the guest console when the VM was at fault. With -d the VM goes
 * to a monitor of its own (monitor.c) and this prints its id.
 *
 * SIGPIPE is ignored once the VM starts: a reader of our stdout or stderr
 * that goes away is passed on to the command (relay.c, CLOSEOUTPUT).
 * SIGTERM starts a graceful stop, as a supervisor expects (session.c).
 * A bundle (bundle/bundle.h) is known by its content: its signature
 * (--verify-key, and the policy.json's keys: policy.c) and every digest are
 * checked before qemu starts, its launch config goes under the run line's
 * flags, what it asks of the host is bounded (bounds.c), and it boots its
 * own kernel, initrd and firmware with its squashfs as the root disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "clock.h"
#include "io.h"
#include "registry.h"
#include "runner.h"

/* IMAGE a bundle? Then its signature (--verify-key), every byte, then its
 * launch config under the run line; its boot parts' directory is the
 * vm.conf directory and its squashfs the root disk. 0 also for no bundle. */
static int attach_bundle(struct launch *l, struct bundle *b, struct opts *baked)
{
	struct opts *o = &l->o;
	const char *file = o->image;
	static char pulled[4200]; /* b->shown points here */
	struct source src;
	struct qerr ignored;
	/* What IMAGE is (packer.h); one it cannot be is not a bundle, and
	 * image_open says why. */
	int e = source_parse(o->image, &src, &ignored) ? 1 : 0;
	enum source_kind kind = src.kind;
	bool ref_in_file = !e && src.ref;
	source_free(&src);
	if (!e && kind == SOURCE_REGISTRY) { /* a bundle pushed there (bundle/registry.h)? */
		struct reg_opts ro = { .no_tls_verify = o->no_tls_verify, .creds = o->creds, .authfile = o->authfile,
				       .quiet = true };
		e = o->pull == PULL_ALWAYS ? 1 : registry_cached(o->image, pulled, sizeof pulled, &l->err);
		if (e == 1 && o->pull != PULL_NEVER)
			e = registry_pull(o->image, &ro, true, pulled, sizeof pulled, &l->err);
		if (e < 0)
			return e;
		if (e == 0)
			file = pulled;
		e = e == 0 ? bundle_open(file, b, &l->err) : 1;
	} else if (!e) { /* a file is a bundle by its content */
		e = kind == SOURCE_LOCAL && !ref_in_file ? bundle_open(file, b, &l->err) : 1;
	}
	if (e < 0)
		return e;
	if (e == 1) {
		if (o->verify_key)
			return qerr_set(&l->err, EINVAL, "--verify-key: %s is not a bundle (qpod bundle makes one)", o->image);
		return 0;
	}
	char sig[4200];
	bundle_sig_path(file, sig, sizeof sig);
	if (o->verify_key && (e = bundle_check_sig(o->verify_key, b->digest, sig, &l->err)))
		return e;
	if ((e = bundle_policy(b->shown, b->digest, sig, &l->err)))
		return e;
	const struct bd_blob *lb = b->part[P_LAUNCH];
	if ((e = bundle_verify(b, true, &l->err)))
		return e;
	if ((e = baked_read(lb->data, lb->size, baked, &l->err)))
		return qerr_wrap(&l->err, "%s", b->shown);
	bool mem_asked = !o->memory_mb, cpus_asked = !o->cpus; /* not the run line's */
	if ((e = conf_load_dir(&l->conf, b->dir, &l->err)))
		return qerr_wrap(&l->err, "%s", b->shown);
	if ((e = baked_merge(o, baked, &l->err)) ||
	    (e = bundle_bounds(b, o->memory_mb ? o->memory_mb : l->conf.memory_mb, mem_asked,
			       o->cpus ? o->cpus : l->conf.cpus, cpus_asked, &l->err)))
		return e;
	l->img.config = b->config_run;
	b->config_run = (struct runcfg){ 0 };
	l->conf_ready = true;
	l->root_fd = b->fd;
	l->root_off = b->part[P_ROOTFS]->off;
	l->root_size = b->part[P_ROOTFS]->size;
	snprintf(l->root_digest, sizeof l->root_digest, "%s", b->part[P_ROOTFS]->hex);
	return 0;
}

/* The command's stdio: ours, or /dev/null for a stream --attach leaves out. */
static struct relay_spec attached(const struct opts *o, int *null)
{
	bool all = !o->attach;
	if (!all && (o->attach & 6) != 6)
		*null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return (struct relay_spec){ .in = o->interactive && (all || (o->attach & 1)) ? 0 : -1,
				    .out = all || (o->attach & 2) ? 1 : *null, .err = all || (o->attach & 4) ? 2 : *null,
				    .seq = QP_SEQ_STDIO, .seq_err = QP_SEQ_STDERR, .tty = o->tty };
}

static int foreground(struct launch *l, struct session_result *res, bool *vm_failed)
{
	const struct opts *o = &l->o;
	sigset_t sigs;
	int null = -1, e;
	session_signals(&sigs, o->sig_proxy);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if (o->tty)
		tty_raw_host();
	/* A reader of our stdout or stderr that goes away is the relay's
	 * business (EPIPE), not a reason to die; qemu gets SIG_DFL back. */
	signal(SIGPIPE, SIG_IGN);
	struct relay_spec io = attached(o, &null);
	res->t.qemu_start = now_s();
	if (o->name) {
		e = named_run(l, &io, res);
	} else if (!(e = launch_boot(l))) {
		struct session_spec ss;
		launch_spec(l, &ss, &io);
		e = session_run(&ss, res, &l->err);
	}
	io_close(&null);
	*vm_failed = e && !res->timed_out && e != -EINTR;
	return e;
}

static int run(int argc, char **argv, const struct vm_ref *again)
{
	static struct launch l;
	static struct session_result res;
	bool vm_failed = false;
	/* Run in the background of a terminal (under timeout(1), in a script):
	 * reading the terminal then gives EIO, which the relay takes as the end
	 * of stdin, instead of stopping us for ever on SIGTTIN; writing and
	 * setting it do not stop us either. qemu gets SIG_DFL back. */
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	static struct bundle b;
	static struct opts baked;
	/* Afresh at each call: qpod restart boots several ended VMs in a row. */
	memset(&l, 0, sizeof l);
	memset(&res, 0, sizeof res);
	memset(&b, 0, sizeof b);
	memset(&baked, 0, sizeof baked);
	l.vm = VM_NONE;
	l.img.lock_fd = -1;
	l.root_fd = -1;
	l.disk_fd = -1;
	b.fd = -1;
	int e = opts_parse(argc, argv, &l.o);
	if (e)
		return e > 0 ? 0 : e == -EEXIST ? 1 : EXIT_QPOD;
	if (l.o.cache_cmd)
		return cache_run(l.o.cache_cmd);
	e = attach_bundle(&l, &b, &baked);
	if (!e && l.o.detach)
		return detach_run(&l, again);

	int status;
	if (!e && !(e = launch_prepare(&l)))
		e = foreground(&l, &res, &vm_failed);
	tty_restore();
	if (!e) {
		status = res.status;
		if (*res.exit.error)
			fprintf(stderr, "qpod: %s\n", res.exit.error);
		if (res.exit.oom)
			fprintf(stderr, "qpod: the guest ran out of memory and killed the command (see --memory)\n");
	} else if (res.timed_out) {
		status = EXIT_TIMEOUT;
		fprintf(stderr, "qpod: timed out after %gs; the VM was killed\n", l.o.timeout);
	} else {
		status = e == -EINTR && res.status ? res.status : EXIT_QPOD;
		fprintf(stderr, "qpod: %s\n", l.err.msg);
		if (vm_failed)
			vm_print_tail(&l.vm, stderr);
	}
	res.status = status;
	vm_close(&l.vm);
	if (l.o.timings)
		report_timings(&res, stderr);
	/* --result's file is written only where it may be (else that was the error) */
	if (l.o.result && report_check(l.o.result, NULL) == 0 &&
	    report_result(l.o.result, &res, e ? l.err.msg : NULL, &l.err) < 0) {
		fprintf(stderr, "qpod: %s\n", l.err.msg);
		status = EXIT_QPOD;
	}
	launch_free(&l);
	baked_free(&baked);
	bundle_close(&b);
	return status;
}

int cmd_run(int argc, char **argv)
{
	return run(argc, argv, NULL);
}

int run_again(struct vm_ref *v, int argc, char **argv)
{
	return run(argc, argv, v);
}
