/*
 * qemu.c: build the qemu command line and start it.
 *
 * The two ports are socketpairs whose far ends qemu inherits
 * (-chardev socket,fd=N): no socket files, no connect polling, and the guest
 * sees the host connected from its first instruction. The image root is a
 * 9p share of a directory, or a bundle's squashfs: a byte range of the
 * bundle file as a read-only virtio disk (-blockdev raw offset/size). The console and
 * qemu's own stderr go to memfds (or the --console file), so a run leaves
 * nothing on disk. qemu gets PR_SET_PDEATHSIG: if the runner is killed,
 * even by SIGKILL, qemu goes too.
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
#include "runner.h"

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

/* qemu option values escape a comma by doubling it. */
static char *esc(const char *s, char *buf, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 2 < cap; s++) {
		if (*s == ',')
			buf[o++] = ',';
		buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

/* The guest RAM backend and the mode's extra arguments. */
static void build_mode(struct argv *a, const struct vm_spec *s, int qmp, bool key)
{
	char e1[8192];
	arg(a, "-object");
	if (key)
		arg(a, "memory-backend,id=ram,size=%ldM", s->set->memory_mb);
	else if (s->mode == VM_SAVE)
		arg(a, "memory-backend-file,id=ram,size=%ldM,mem-path=/proc/self/fd/%d,share=on",
		    s->set->memory_mb, s->ram_fd);
	else if (s->mode == VM_RESTORE)
		arg(a, "memory-backend-file,id=ram,size=%ldM,mem-path=%s,share=off", s->set->memory_mb,
		    esc(s->ram_path, e1, sizeof e1));
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

/* key: the line a template is keyed by (no fds, no paths of shares, no ports). */
static void build(struct argv *a, const struct vm_spec *s, int ctl, int stream, int console, int qmp, bool key)
{
	char e1[8192];
	arg(a, "qemu-system-x86_64");
	arg(a, "-nodefaults");
	arg(a, "-no-user-config");
	arg(a, "-display");
	arg(a, "none");
	arg(a, "-no-reboot");
	build_mode(a, s, qmp, key);
	arg(a, "-machine");
	arg(a, "%s,memory-backend=ram,accel=%s", s->conf->machine, s->set->accel);
	arg(a, "-m");
	arg(a, "%ld", s->set->memory_mb);
	arg(a, "-smp");
	arg(a, "%ld", s->set->cpus);
	if (!strcmp(s->set->boot, "cbfs")) {
		arg(a, "-drive");
		arg(a, "if=pflash,format=raw,readonly=on,file=%s", esc(s->bios, e1, sizeof e1));
		arg(a, "-drive");
		arg(a, "if=pflash,format=raw,readonly=on,file=%s", esc(s->cbfs, e1, sizeof e1));
	} else {
		arg(a, "-bios");
		arg(a, "%s", s->bios);
		arg(a, "-kernel");
		arg(a, "%s", s->kernel);
		arg(a, "-initrd");
		arg(a, "%s", s->initrd);
		char net[128] = "";
		if (s->network && net_kernel_arg(net + 1, sizeof net - 1) == 0)
			net[0] = ' ';
		arg(a, "-append");
		/* A disk root is mounted at setup, its default command read: a
		 * template holds both (the key has the disk's digest). */
		char root[160] = "";
		if (!s->rootfs)
			snprintf(root, sizeof root, " qpod.root=vda%s%s", s->warm && *s->warm ? " qpod.warm=" : "",
				 s->warm ? s->warm : "");
		char tsc[40] = "";
		if (s->tsc_khz)
			snprintf(tsc, sizeof tsc, " tsc_early_khz=%lu", s->tsc_khz);
		arg(a, "%s%s%s%s%s", s->conf->cmdline, tsc, net, root, s->debug ? " qpod.debug loglevel=7" : "");
	}
	arg(a, "-chardev");
	arg(a, "file,id=con,path=/proc/self/fd/%d", console);
	arg(a, "-serial");
	arg(a, "chardev:con");
	/* max_ports=3: port 0 (kept for a console) and our two. The default, 31,
	 * has the guest set up 64 virtqueues at boot (1 ms more under TCG). */
	arg(a, "-device");
	arg(a, "virtio-serial-pci,id=vs0,max_ports=3");
	arg(a, "-chardev");
	arg(a, "socket,id=ctl,fd=%d", ctl);
	arg(a, "-device");
	arg(a, "virtserialport,bus=vs0.0,chardev=ctl,name=%s", QP_PORT_CTL);
	arg(a, "-chardev");
	arg(a, "socket,id=stream,fd=%d", stream);
	arg(a, "-device");
	arg(a, "virtserialport,bus=vs0.0,chardev=stream,name=%s", QP_PORT_STREAM);
	if (s->network) {
		char nd[4096];
		if (net_netdev(s->ports, key ? 0 : s->nports, nd, sizeof nd) < 0)
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
		arg(a, "local,id=root,path=%s,security_model=%s,readonly=on", key ? "-" : esc(s->rootfs, e1, sizeof e1),
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
		    "file.filename=/dev/fd/%d,file.drop-cache=off", key ? 0 : (uintmax_t)s->root_off, (uintmax_t)s->root_size,
		    key ? -1 : s->root_fd);
		arg(a, "-device");
		arg(a, "virtio-blk-pci,drive=root");
	}
	for (size_t i = 0; i < s->nvols; i++) {
		char tag[VM_TAG_MAX];
		vm_vol_tag(i, tag);
		arg(a, "-fsdev");
		arg(a, "local,id=%s,path=%s,security_model=none%s", tag, key ? "-" : esc(s->vols[i].host, e1, sizeof e1),
		    s->vols[i].read_only && !key ? ",readonly=on" : "");
		arg(a, "-device");
		arg(a, "virtio-9p-pci,fsdev=%s,mount_tag=%s", tag, tag);
	}
}

int vm_key_args(const struct vm_spec *s, char *out, size_t cap)
{
	struct argv a = { .n = 0 };
	size_t o = 0;
	build(&a, s, -1, -1, -1, -1, true);
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

static int keep(int fd)
{
	return fcntl(fd, F_SETFD, 0);
}

__attribute__((noreturn))
static void child(char **argv, int log, const int *fds, size_t nfds)
{
	/* Die with the runner; and if it is already gone, do not start at all. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL); /* the runner ignores these */
	signal(SIGTTIN, SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] >= 0 && keep(fds[i]) < 0)
			_exit(127);
	/* qemu must not take over the runner's terminal job control. */
	setpgid(0, 0);
	execvp(argv[0], argv);
	dprintf(2, "qpod: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int vm_start(const struct vm_spec *s, struct vm *vm, struct qerr *err)
{
	int ctl[2] = { -1, -1 }, st[2] = { -1, -1 }, qmp[2] = { -1, -1 }, e = 0;
	struct argv a = { .n = 0 };
	*vm = VM_NONE;

	if (s->console_path)
		vm->console = open(s->console_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	else
		vm->console = memfd_create("qpod-console", MFD_CLOEXEC);
	if (vm->console < 0) {
		e = qerr_sys(err, errno, "console log %s", s->console_path ? s->console_path : "(memfd)");
		goto fail;
	}
	if ((vm->qemu_log = memfd_create("qpod-qemu", MFD_CLOEXEC)) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st) < 0) {
		e = qerr_sys(err, errno, "set up the VM's channels");
		goto fail;
	}
	if (s->mode != VM_COLD && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp) < 0) {
		e = qerr_sys(err, errno, "set up the VM's monitor");
		goto fail;
	}
	build(&a, s, ctl[1], st[1], vm->console, qmp[1], false);
	if (a.err) {
		e = qerr_set(err, E2BIG, "qemu command line too long");
		goto fail;
	}
	if ((vm->pid = fork()) < 0) {
		e = qerr_sys(err, errno, "fork");
		goto fail;
	}
	if (vm->pid == 0) {
		int fds[] = { ctl[1], st[1], vm->console, qmp[1], s->mode == VM_SAVE ? s->ram_fd : -1,
			      s->mode == VM_RESTORE ? s->state_fd : -1, s->rootfs ? -1 : s->root_fd };
		child(a.v, vm->qemu_log, fds, sizeof fds / sizeof *fds);
	}
	vm->ctl = ctl[0];
	vm->stream = st[0];
	vm->qmp = qmp[0];
	ctl[0] = st[0] = qmp[0] = -1;
fail:
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
	tail(vm->console, "[console] ", 20, out);
	if (vm->console >= 0 && fstat(vm->console, &st) == 0 && st.st_size == 0)
		fprintf(out, "[console] (empty: the guest prints only errors; --debug shows its boot log)\n");
}

void vm_close(struct vm *vm)
{
	vm_kill(vm);
	io_close(&vm->ctl);
	io_close(&vm->stream);
	io_close(&vm->console);
	io_close(&vm->qemu_log);
	io_close(&vm->qmp);
}
