/*
 * cli.h: qpod's subcommands, docker's way: `qpod COMMAND [OPTIONS] ...`.
 * Each command is one file of cli/ with one entry point, cmd_NAME(argc,
 * argv), argv[0] being the command's name; it returns the process's exit
 * status: its own, or 125 (EXIT_QPOD) with one line on stderr.
 */
#ifndef QPOD_CLI_H
#define QPOD_CLI_H

int cmd_run(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* cache.c: `qpod cache ls|prune`, also run's --cache. */
int cache_run(const char *what);

#endif
