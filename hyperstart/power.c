/* SPDX-License-Identifier: Apache-2.0 */
/*
 * power.c: the one way the VM ends. Everything else is killed, the
 * filesystems are synced, the last control replies are flushed (the host is
 * reading; its own deadline covers a host that is not), and the kernel
 * reboots: qemu runs with -no-reboot, so a reboot ends qemu. A reboot needs
 * no ACPI, unlike power-off.
 */
#include <signal.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

void power_off(struct hs *hs)
{
	kill(-1, SIGKILL);
	sync();
	if (hs && hs->ctl >= 0) {
		io_nonblock(hs->ctl, 0);
		qp_queue_flush(&hs->ctl_q, hs->ctl);
	}
	for (;;) {
		reboot(RB_AUTOBOOT);
		pause(); /* PID 1 must not return; reboot only fails without privilege */
	}
}
