/* SPDX-License-Identifier: Apache-2.0 */
/*
 * warm.c: `qpod warm [OPTIONS] [IMAGE]`: save, ahead of the first run, the
 * VM template that `qpod run` with the same VM flags restores (-m, --cpus,
 * --network, the number of -v volumes, --kernel, --initrd, --debug; the
 * other run flags are taken and change nothing). Without IMAGE it is the
 * template of root directories (shared over 9p, mounted after the restore);
 * with one, that image's own, which holds its root mounted (its root disk is
 * built too, as a first run would). It boots a VM to READY, saves it into
 * the cache's templates/ and powers it off; prints the template's key. A
 * template that is there already is kept (exit 0).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runner.h"

int cmd_warm(int argc, char **argv)
{
	static struct launch l;
	char *args[argc + 2];
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			printf("usage: qpod warm [OPTIONS] [IMAGE]\n"
			       "Save the VM template that `qpod run` with these VM flags restores\n"
			       "(-m, --cpus, --network, -v, --kernel, --initrd, --debug; see qpod run --help),\n"
			       "and print its key: IMAGE's own (its root mounted), or without one the\n"
			       "template of root directories.\n");
			return 0;
		}
	/* The run flags, IMAGE if given, and a placeholder after them: as the
	 * IMAGE when none was given, else as a command (then the only one). */
	memcpy(args, argv, (size_t)argc * sizeof *argv);
	args[argc] = "/";
	args[argc + 1] = NULL;
	l.vm = VM_NONE;
	l.img.lock_fd = -1;
	l.root_fd = -1;
	l.disk_fd = -1;
	int e = opts_parse(argc + 1, args, &l.o);
	if (e)
		return e > 0 ? 0 : EXIT_QPOD;
	bool image = l.o.cmd && l.o.cmd[0];
	if (image && l.o.cmd[1]) {
		fprintf(stderr, "qpod warm: takes an IMAGE but no command\n");
		opts_free(&l.o);
		return EXIT_QPOD;
	}
	if ((e = launch_warm(&l, image)))
		fprintf(stderr, "qpod: %s\n", l.err.msg);
	else
		printf("%s\n", l.tmpl.key);
	launch_free(&l);
	return e ? EXIT_QPOD : 0;
}
