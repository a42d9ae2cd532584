/* SPDX-License-Identifier: Apache-2.0 */
/* hyperstart_cmdline.c: the kernel command line's qpod words (hyperstart/cmdline.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hyperstart.h"
#include "tap.h"

static char path[] = "/tmp/hs-cmdline-XXXXXX";

static void load(const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	cmdline_load(path);
}

int main(void)
{
	char v[64];
	plan(11);
	int fd = mkstemp(path);
	close(fd);

	load("console=ttyS0 quiet qpod.net=eth0,10.0.2.15/24,10.0.2.2 qpod.debug loglevel=7\n");
	is_int(cmdline_get("qpod.net", v, sizeof v), 0, "a NAME=VALUE word is found");
	is_str(v, "eth0,10.0.2.15/24,10.0.2.2", "its value, without the newline");
	is_int(cmdline_get("qpod.debug", v, sizeof v), 0, "a bare word is found");
	is_str(v, "", "with an empty value");
	is_int(cmdline_get("quiet", v, sizeof v), 0, "a bare word before others");
	is_int(cmdline_get("qpod", v, sizeof v), -1, "a prefix of a name is not the name");
	is_int(cmdline_get("qpod.ne", v, sizeof v), -1, "nor is a shorter name");
	is_int(cmdline_get("qpod.net", v, 8), -1, "a value longer than the buffer is refused");

	load("qpod.netx=1 qpod.net=last\n");
	is_int(cmdline_get("qpod.net", v, sizeof v), 0, "a longer name before it is passed over");
	is_str(v, "last", "and the right word read");

	unlink(path);
	cmdline_load(path);
	is_int(cmdline_get("qpod.net", v, sizeof v), -1, "no file: nothing is set");
	return done();
}
