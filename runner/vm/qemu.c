/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qemu.c: build the qemu command line and start it, jailed (jail.c).
 *
 * qemu's program, CPU, kernel file and boot path are the guest arch's
 * (arch.c, vm.conf's arch=): qboot and the pc machine for x86_64; for arm64
 * the virt machine with its kernel loaded directly (no -bios), the same
 * virtio-*-pci devices on its PCIe bus, the console on its PL011.
 *
 * The two ports are socketpairs whose far ends qemu inherits
 * (-chardev socket,fd=N): no socket files, no connect polling, and the guest
 * sees the host connected from its first instruction. The image root is a
 * 9p share of a directory, or a squashfs disk: a byte range of a file we
 * opened (an image's root disk, or a bundle), handed over as an fd
 * (-add-fd, /dev/fdset/N), as is the console. The console and qemu's own
 * stderr go to memfds (or the --console file), kept bounded
 * (vm_console_trim), so a run leaves nothing on disk. qemu gets
 * PR_SET_PDEATHSIG: if the runner is killed, even by SIGKILL, qemu goes too.
 *
 * What qemu opens by path is bound into its jail under /vm: kernel, initrd,
 * firmware, a template's RAM, the 9p shares (a single-file volume alone in
 * a directory of its own, so the guest sees no sibling). Volumes are shared
 * with security_model=mapped-xattr: what the guest makes of owners, modes,
 * devices and links stays in xattrs, and the host holds plain files of the
 * caller. Without --network user:allow_host_loopback=true, qemu has a
 * network namespace of its own, which pasta connects to the outside
 * (pasta.c), and the guest reaches no service of the host's loopback.
 * qemu's own seccomp filter (-sandbox) denies it new privileges, new
 * processes and resource control.
 *
 * Three ways to start (vm_spec.mode): a cold boot (RAM from qemu's own
 * memfd); a cold boot that saves a template at READY (VM_SAVE: RAM in the
 * runner's memfd, shared, so migration skips it and the runner copies it;
 * a QMP socketpair); a restore (VM_RESTORE: RAM mapped private,
 * copy-on-write, from the template's file; QMP; -incoming defer, the state
 * follows over QMP from the runner's fd). The device set is the same in
 * all three: vm_key_args() is the line without what differs per run (fds,
 * paths, published ports), which templates are keyed by.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/virtfs.h"
#include "io.h"
#include "jail.h"
#include "vm.h"

/* The fdsets of what qemu gets as an fd (-add-fd). */
#define FDSET_CONSOLE 1
#define FDSET_ROOT    2
#define SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

#define MAX_ARGS 128

struct argv {
	char *v[MAX_ARGS];
	int n;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void arg(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (a->n >= MAX_ARGS - 1 || vasprintf(&s, fmt, ap) < 0) {
		a->err = -E2BIG;
		s = NULL;
	}
	va_end(ap);
	if (s)
		a->v[a->n++] = s;
}

static void argv_free(struct argv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
}

/* The guest RAM backend and the mode's extra arguments. */
static void build_mode(struct argv *a, const struct vm_spec *s, int qmp, bool key)
{
	arg(a, "-object");
	if (key)
		arg(a, "memory-backend,id=ram,size=%ldM", s->set->memory_mb);
	else if (s->mode == VM_SAVE)
		arg(a, "memory-backend-file,id=ram,size=%ldM,mem-path=/proc/self/fd/%d,share=on",
		    s->set->memory_mb, s->ram_fd);
	else if (s->mode == VM_RESTORE)
		arg(a, "memory-backend-file,id=ram,size=%ldM,mem-path=/vm/ram,share=off", s->set->memory_mb);
	else
		/* Guest RAM from a memfd: shmem gets 4 KiB pages (the host's THP
		 * setting for shmem is "never" by default) where anonymous RAM gets
		 * 2 MiB ones, which the guest touches sparsely: 7 MiB less qemu
		 * RSS, no slower. */
		arg(a, "memory-backend-memfd,id=ram,size=%ldM", s->set->memory_mb);
	if (key || s->mode == VM_COLD)
		return;
	arg(a, "-chardev");
	arg(a, "socket,id=qmp,fd=%d", qmp);
	arg(a, "-mon");
	arg(a, "chardev=qmp,mode=control");
	if (s->mode == VM_RESTORE) {
		arg(a, "-incoming");
		arg(a, "defer");
	}
}

/* The fds qemu inherits; -1 where none. */
struct vmfds {
	int ctl, stream, console, qmp;
};

/* key: the line a template is keyed by (no fds, no paths of shares, no ports). */
static void qemu_argv(struct argv *a, const struct vm_spec *s, const struct vmfds *f, bool key)
{
	const struct arch *arch = s->conf->arch;
	const char *cpu = !strcmp(s->set->accel, "kvm") ? arch->cpu_kvm : arch->cpu_tcg;
	arg(a, "%s", arch->qemu);
	arg(a, "-nodefaults");
	arg(a, "-no-user-config");
	arg(a, "-display");
	arg(a, "none");
	arg(a, "-no-reboot");
	arg(a, "-sandbox");
	arg(a, SANDBOX);
	if (!key) {
		arg(a, "-add-fd");
		arg(a, "fd=%d,set=%d", f->console, FDSET_CONSOLE);
		if (!s->rootfs) {
			arg(a, "-add-fd");
			arg(a, "fd=%d,set=%d", s->root_fd, FDSET_ROOT);
		}
	}
	build_mode(a, s, f->qmp, key);
	arg(a, "-machine");
	arg(a, "%s,memory-backend=ram,accel=%s", s->conf->machine, s->set->accel);
	arg(a, "-m");
	arg(a, "%ld", s->set->memory_mb);
	arg(a, "-smp");
	arg(a, "%ld", s->set->cpus);
	if (cpu) {
		arg(a, "-cpu");
		arg(a, "%s", cpu);
	}
	if (!strcmp(s->set->boot, "cbfs")) {
		arg(a, "-drive");
		arg(a, "if=pflash,format=raw,readonly=on,file=/vm/bios");
		arg(a, "-drive");
		arg(a, "if=pflash,format=raw,readonly=on,file=/vm/cbfs");
	} else {
		if (arch->firmware) {
			arg(a, "-bios");
			arg(a, "/vm/bios");
		}
		arg(a, "-kernel");
		arg(a, "/vm/kernel");
		arg(a, "-initrd");
		arg(a, "/vm/initrd");
		char net[128] = "";
		if (s->network && net_kernel_arg(net + 1, sizeof net - 1) == 0)
			net[0] = ' ';
		arg(a, "-append");
		/* A disk root is mounted at setup, its default command read: a
		 * template holds both (the key has the disk's digest). */
		char root[160] = "";
		if (!s->rootfs)
			snprintf(root, sizeof root, " qpod.root=%s%s%s", conf_root_dev(s->conf),
				 s->warm && *s->warm ? " qpod.warm=" : "", s->warm ? s->warm : "");
		char tsc[40] = "";
		if (s->tsc_khz)
			snprintf(tsc, sizeof tsc, " tsc_early_khz=%lu", s->tsc_khz);
		arg(a, "%s%s%s%s%s", s->conf->cmdline, tsc, net, root, s->debug ? " qpod.debug loglevel=7" : "");
	}
	arg(a, "-chardev");
	arg(a, "file,id=con,path=/dev/fdset/%d,append=on", FDSET_CONSOLE);
	arg(a, "-serial");
	arg(a, "chardev:con");
	/* max_ports=3: port 0 (kept for a console) and our two. The default, 31,
	 * has the guest set up 64 virtqueues at boot (1 ms more under TCG). */
	arg(a, "-device");
	arg(a, "virtio-serial-pci,id=vs0,max_ports=3");
	arg(a, "-chardev");
	arg(a, "socket,id=ctl,fd=%d", f->ctl);
	arg(a, "-device");
	arg(a, "virtserialport,bus=vs0.0,chardev=ctl,name=%s", QP_PORT_CTL);
	arg(a, "-chardev");
	arg(a, "socket,id=stream,fd=%d", f->stream);
	arg(a, "-device");
	arg(a, "virtserialport,bus=vs0.0,chardev=stream,name=%s", QP_PORT_STREAM);
	if (s->network) {
		char nd[4096];
		if (net_netdev(s->ports, key ? 0 : s->nports, !s->host_loopback, nd, sizeof nd) < 0)
			a->err = -E2BIG;
		arg(a, "-netdev");
		arg(a, "%s", nd);
		arg(a, "-device");
		/* No option ROM: qboot does not boot from the network, and a ROM
		 * is one more RAM block to load and to save in a template. */
		arg(a, "virtio-net-pci,netdev=n0,romfile=,guest_announce=off,status=off");
	}
	/* The shares' paths and modes are the backend's, not in the saved
	 * state: a restored VM gets this run's. So is the owner model: a root
	 * that a user unpacked keeps the image's owners in xattrs. */
	if (s->rootfs) {
		arg(a, "-fsdev");
		arg(a, "local,id=root,path=/vm/root,security_model=%s,readonly=on,multidevs=remap",
		    key ? "-" : s->root_mapped ? VIRTFS_MODEL : "none");
		arg(a, "-device");
		arg(a, "virtio-9p-pci,fsdev=root,mount_tag=%s", VM_ROOT_TAG);
	} else {
		/* A disk root (an image's, rootdisk.c, or a bundle's squashfs), read
		 * in place from the file we opened (verified; /dev/fd/N: the same
		 * inode, whatever the path does). It never changes, so a restore
		 * keeps the host's page cache of it (qemu drops it by default when
		 * a migration comes in), which concurrent VMs share. */
		arg(a, "-blockdev");
		arg(a, "driver=raw,node-name=root,read-only=on,offset=%ju,size=%ju,file.driver=file,"
		    "file.filename=/dev/fdset/%d,file.drop-cache=off", key ? 0 : (uintmax_t)s->root_off,
		    (uintmax_t)s->root_size, FDSET_ROOT);
		arg(a, "-device");
		arg(a, "virtio-blk-pci,drive=root");
	}
	for (size_t i = 0; i < s->nvols; i++) {
		char tag[VM_TAG_MAX];
		vm_vol_tag(i, tag);
		arg(a, "-fsdev");
		arg(a, "local,id=%s,path=/vm/%s,security_model=%s,multidevs=remap%s", tag, tag, VIRTFS_MODEL,
		    s->vols[i].read_only && !key ? ",readonly=on" : "");
		arg(a, "-device");
		arg(a, "virtio-9p-pci,fsdev=%s,mount_tag=%s", tag, tag);
	}
}

int vm_key_args(const struct vm_spec *s, char *out, size_t cap)
{
	struct argv a = { .n = 0 };
	size_t o = 0;
	qemu_argv(&a, s, &(struct vmfds){ -1, -1, -1, -1 }, true);
	for (int i = 0; !a.err && i < a.n; i++) {
		int n = snprintf(out + o, cap - o, "%s\n", a.v[i]);
		if (n < 0 || (size_t)n >= cap - o)
			a.err = -E2BIG;
		else
			o += (size_t)n;
	}
	argv_free(&a);
	return a.err;
}

char *vm_vol_tag(size_t i, char tag[VM_TAG_MAX])
{
	snprintf(tag, VM_TAG_MAX, "vol%zu", i);
	return tag;
}

int vm_qemu_exe(const struct arch *arch, char *out, size_t cap, struct qerr *err)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		char cand[PATH_MAX];
		snprintf(cand, sizeof cand, "%.*s/%s", (int)n, n ? p : ".", arch->qemu);
		if (access(cand, X_OK) == 0 && realpath(cand, out)) /* cap: PATH_MAX, as realpath wants */
			return 0;
		p += n + (p[n] == ':');
	}
	return qerr_set(err, ENOENT, "%s is not in PATH", arch->qemu);
}

/* Everything qemu opens by path, bound where qemu_argv() names it. As root,
 * what it reads through the VM's id mapping (it is not other-readable
 * where the cache is private), and what a guest may write always. */
static void jail_of(struct jail *j, const struct vm_spec *s)
{
	jail_init(j);
	j->netns = !(s->network && s->host_loopback);
	/* slirp forwards the guest's DNS to its namespace's resolver: the
	 * host's own, or pasta's forward to it. */
	if (!j->netns && access("/etc/resolv.conf", R_OK) == 0)
		jail_add(j, "/etc/resolv.conf", JAIL_FILE, "/etc/resolv.conf");
	else if (s->network)
		snprintf(j->resolv, sizeof j->resolv, "nameserver %s\n", NET_DNS_FWD);
	if ((j->kvm = !strcmp(s->set->accel, "kvm")))
		jail_add(j, "/dev/kvm", JAIL_DEV | JAIL_RW | JAIL_FILE, "/dev/kvm");
	if (s->conf->arch->firmware)
		jail_add(j, s->bios, JAIL_FILE | JAIL_MAP, "/vm/bios");
	if (!strcmp(s->set->boot, "cbfs")) {
		jail_add(j, s->cbfs, JAIL_FILE | JAIL_MAP, "/vm/cbfs");
	} else {
		jail_add(j, s->kernel, JAIL_FILE | JAIL_MAP, "/vm/kernel");
		jail_add(j, s->initrd, JAIL_FILE | JAIL_MAP, "/vm/initrd");
	}
	if (s->mode == VM_RESTORE)
		jail_add(j, s->ram_path, JAIL_FILE | JAIL_RW | JAIL_MAP, "/vm/ram");
	if (s->rootfs)
		jail_add(j, s->rootfs, JAIL_MAP, "/vm/root");
	for (size_t i = 0; i < s->nvols; i++) {
		const struct volume *v = &s->vols[i];
		char tag[VM_TAG_MAX];
		unsigned rw = v->read_only ? 0 : JAIL_RW;
		vm_vol_tag(i, tag);
		/* A file goes alone into a directory of the jail's (read-only):
		 * the share holds nothing else, and nothing can be made beside it. */
		if (v->file)
			jail_add(j, v->path, rw | JAIL_MAP | JAIL_FILE, "/vm/%s/%s", tag, v->file);
		else
			jail_add(j, v->path, rw | JAIL_MAP, "/vm/%s", tag);
	}
}

/* The console's file for qemu: the same file, write-only (-add-fd wants the
 * access mode qemu asks for), appending whatever vm_console_trim did. */
static int console_for_qemu(int console)
{
	char p[32];
	snprintf(p, sizeof p, "/proc/self/fd/%d", console);
	return open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
}

static int placed(void *ctx, pid_t pid)
{
	return cgroup_enter(ctx, pid);
}

int vm_start(const struct vm_spec *s, struct vm *vm, struct qerr *err)
{
	static struct jail j; /* large: not on the stack */
	int ctl[2] = { -1, -1 }, st[2] = { -1, -1 }, qmp[2] = { -1, -1 }, con = -1, e = 0;
	struct argv a = { .n = 0 };
	char exe[PATH_MAX];
	*vm = VM_NONE;

	/* --console FILE: never through a link, never what is not a file of ours */
	if (s->console_path)
		vm->console = io_create_own(s->console_path, O_RDWR, 0600);
	else if ((vm->console = memfd_create("qpod-console", MFD_CLOEXEC)) < 0)
		vm->console = -errno;
	if (vm->console == -EPERM || vm->console == -ELOOP) {
		e = qerr_set(err, EPERM, "--console %s: %s", s->console_path, NOT_OURS);
		goto fail;
	}
	if (vm->console < 0) {
		e = qerr_sys(err, -vm->console, "--console %s", s->console_path ? s->console_path : "(memfd)");
		goto fail;
	}
	if ((con = console_for_qemu(vm->console)) < 0 || (vm->qemu_log = memfd_create("qpod-qemu", MFD_CLOEXEC)) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st) < 0) {
		e = qerr_sys(err, errno, "set up the VM's channels");
		goto fail;
	}
	if (s->mode != VM_COLD && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp) < 0) {
		e = qerr_sys(err, errno, "set up the VM's monitor");
		goto fail;
	}
	qemu_argv(&a, s, &(struct vmfds){ ctl[1], st[1], con, qmp[1] }, false);
	if (a.err) {
		e = qerr_set(err, E2BIG, "qemu command line too long");
		goto fail;
	}
	if ((e = vm_qemu_exe(s->conf->arch, exe, sizeof exe, err)))
		goto fail;
	jail_of(&j, s);
	char parent[PATH_MAX];
	if (cgroup_parent(parent, sizeof parent, vm->cg.why, sizeof vm->cg.why) == 0)
		cgroup_make(&vm->cg, parent, s->set->memory_mb);
	int fds[] = { ctl[1], st[1], con, qmp[1], s->mode == VM_SAVE ? s->ram_fd : -1,
		      s->mode == VM_RESTORE ? s->state_fd : -1, s->rootfs ? -1 : s->root_fd };
	struct jail_exec x = { .exe = exe, .argv = a.v, .out_fd = vm->qemu_log, .keep = fds,
			       .nkeep = sizeof fds / sizeof *fds, .placed = placed, .ctx = &vm->cg };
	if ((e = jail_start(&j, &x, &vm->pid, err)))
		goto fail;
	if (s->network && !s->host_loopback && pasta_way_out() &&
	    (e = pasta_start(vm->pid, s->ports, s->nports, &vm->pasta, err)))
		goto fail;
	vm->ctl = ctl[0];
	vm->stream = st[0];
	vm->qmp = qmp[0];
	ctl[0] = st[0] = qmp[0] = -1;
fail:
	io_close(&con);
	io_close(&ctl[0]);
	io_close(&ctl[1]);
	io_close(&st[0]);
	io_close(&st[1]);
	io_close(&qmp[0]);
	io_close(&qmp[1]);
	argv_free(&a);
	if (e)
		vm_close(vm);
	return e;
}

int vm_net_ready(struct vm *vm, double deadline, struct qerr *err)
{
	return pasta_ready(&vm->pasta, deadline, err);
}

/* The first `cut` bytes of a log let go: taken out of a file (collapse),
 * or, where the filesystem cannot (a memfd), punched (bytes read as
 * zeros, blocks freed; the tail keeps its offsets). */
static void trim(int fd)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_blocks * 512 <= 2 * VM_LOG_KEEP)
		return;
	off_t cut = (st.st_size - VM_LOG_KEEP) & ~(off_t)(st.st_blksize > 4096 ? st.st_blksize - 1 : 4095);
	if (cut > 0 && fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, cut) < 0)
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, cut);
}

void vm_console_trim(struct vm *vm, double now)
{
	if (now - vm->console_trimmed < 1.0)
		return;
	vm->console_trimmed = now;
	trim(vm->console);
	trim(vm->qemu_log);
	trim(vm->pasta.log);
}

void vm_kill(struct vm *vm)
{
	if (vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		while (waitpid(vm->pid, NULL, 0) < 0 && errno == EINTR)
			;
		vm->pid = -1;
	}
}

/* Print the last lines of a log fd, each prefixed. */
static void tail(int fd, const char *prefix, int lines, FILE *out)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0)
		return;
	size_t n = st.st_size > 16384 ? 16384 : (size_t)st.st_size;
	char *buf = malloc(n + 1);
	if (!buf)
		return;
	ssize_t got = pread(fd, buf, n, st.st_size - (off_t)n);
	if (got <= 0) {
		free(buf);
		return;
	}
	buf[got] = '\0';
	char *start = buf + got;
	if (start > buf && start[-1] == '\n')
		start--;
	for (int k = 0; start > buf && k < lines; k++)
		while (--start > buf && start[-1] != '\n')
			;
	for (char *line = strtok(start, "\n"); line; line = strtok(NULL, "\n")) {
		line[strcspn(line, "\r")] = '\0';
		fprintf(out, "%s%s\n", prefix, line);
	}
	free(buf);
}

void vm_last_error(const struct vm *vm, struct qerr *err)
{
	char buf[256];
	ssize_t n = pread(vm->qemu_log, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	size_t m = strlen(err->msg);
	snprintf(err->msg + m, sizeof err->msg - m, " (%s)", buf);
}

void vm_print_tail(const struct vm *vm, FILE *out)
{
	struct stat st;
	tail(vm->qemu_log, "[qemu] ", 10, out);
	tail(vm->pasta.log, "[pasta] ", 5, out);
	tail(vm->console, "[console] ", 20, out);
	if (vm->console >= 0 && fstat(vm->console, &st) == 0 && st.st_size == 0)
		fprintf(out, "[console] (empty: the guest prints only errors; --debug shows its boot log)\n");
}

void vm_close(struct vm *vm)
{
	vm_kill(vm);
	pasta_stop(&vm->pasta);
	cgroup_remove(&vm->cg);
	io_close(&vm->ctl);
	io_close(&vm->stream);
	io_close(&vm->console);
	io_close(&vm->qemu_log);
	io_close(&vm->qmp);
}
