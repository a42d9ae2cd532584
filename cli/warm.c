/*
 * warm.c: `qpod warm [OPTIONS]`: save, ahead of the first run, the VM
 * template that `qpod run` with the same VM flags restores (-m, --cpus,
 * --network, the number of -v volumes, --kernel, --initrd, --debug; the
 * other run flags are taken and change nothing). It boots a VM to READY,
 * saves it into the cache's templates/ and powers it off; prints the
 * template's key. A template that is there already is kept (exit 0).
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
			printf("usage: qpod warm [OPTIONS]\n"
			       "Save the VM template that `qpod run` with these VM flags restores\n"
			       "(-m, --cpus, --network, -v, --kernel, --initrd, --debug; see qpod run --help),\n"
			       "and print its key.\n");
			return 0;
		}
	/* The run flags, and a placeholder IMAGE: the template has no image. */
	memcpy(args, argv, (size_t)argc * sizeof *argv);
	args[argc] = "/";
	args[argc + 1] = NULL;
	l.vm = VM_NONE;
	l.img.lock_fd = -1;
	l.root_fd = -1;
	int e = opts_parse(argc + 1, args, &l.o);
	if (e)
		return e > 0 ? 0 : EXIT_QPOD;
	if ((e = launch_warm(&l)))
		fprintf(stderr, "qpod: %s\n", l.err.msg);
	else
		printf("%s\n", l.tmpl.key);
	launch_free(&l);
	return e ? EXIT_QPOD : 0;
}
