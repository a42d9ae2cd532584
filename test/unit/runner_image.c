/* SPDX-License-Identifier: Apache-2.0 */
/* runner_image.c: docker's rules for argv, env, workdir and user, and flag parsing. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "packer.h"
#include "runner.h"
#include "tap.h"

static char *join(char **v)
{
	static char buf[512];
	buf[0] = '\0';
	for (; v && *v; v++) {
		strcat(buf, *v);
		if (v[1])
			strcat(buf, " ");
	}
	return buf;
}

static void argv_rules(void)
{
	char *ep[] = { "/entry", "-x", NULL }, *cmd[] = { "default", NULL }, *none[] = { NULL };
	char *user_cmd[] = { "ls", "-l", NULL };
	struct image img = { .config = { .entrypoint = ep, .cmd = cmd } };
	struct opts o = { .image = "img", .cmd = none };
	struct qp_process p;
	struct qerr err;

	ok(image_process(&o, &img, "HOSTNAME=h", &p, &err) == 0, "entrypoint + cmd");
	is_str(join(p.args), "/entry -x default", "image entrypoint then image cmd");
	free(p.args); free(p.env);
	o.cmd = user_cmd;
	image_process(&o, &img, "HOSTNAME=h", &p, &err);
	is_str(join(p.args), "/entry -x ls -l", "a command replaces cmd, keeps the entrypoint");
	free(p.args); free(p.env);
	o.entrypoint = "/bin/sh";
	o.entrypoint_set = true;
	o.cmd = none;
	image_process(&o, &img, "HOSTNAME=h", &p, &err);
	is_str(join(p.args), "/bin/sh", "--entrypoint drops the image's cmd");
	free(p.args); free(p.env);
	o.cmd = user_cmd;
	image_process(&o, &img, "HOSTNAME=h", &p, &err);
	is_str(join(p.args), "/bin/sh ls -l", "--entrypoint with a command");
	free(p.args); free(p.env);
	o.entrypoint = "";
	o.cmd = none;
	ok(image_process(&o, &img, "HOSTNAME=h", &p, &err) < 0 && strstr(err.msg, "no command given"),
	   "--entrypoint \"\" and no command is an error");
	struct image bare = { 0 };
	struct opts o2 = { .image = "dir", .cmd = none };
	ok(image_process(&o2, &bare, "HOSTNAME=h", &p, &err) < 0 && strstr(err.msg, "has no Entrypoint or Cmd"),
	   "no command and no config is an error naming the image");
}

static void env_rules(void)
{
	char *ienv[] = { "PATH=/bin", "A=1", "B=2", NULL }, *none[] = { NULL };
	char *flags[] = { "A=override", "C=new", NULL };
	struct image img = { .config = { .env = ienv, .workdir = "/srv", .user = "daemon" } };
	struct opts o = { .image = "img", .cmd = (char *[]){ "x", NULL }, .env = flags, .nenv = 2 };
	struct qp_process p;
	struct qerr err;
	image_process(&o, &img, "HOSTNAME=h", &p, &err);
	is_str(join(p.env), "PATH=/bin A=override B=2 C=new HOSTNAME=h", "-e replaces in place, appends new names, then HOSTNAME");
	is_str(p.workdir, "/srv", "workdir from the image");
	is_str(p.user, "daemon", "user from the image");
	free(p.args); free(p.env);
	o.workdir = "/w";
	o.user = "1000:1000";
	o.env = none;
	o.nenv = 0;
	image_process(&o, &img, "HOSTNAME=h", &p, &err);
	ok(!strcmp(p.workdir, "/w") && !strcmp(p.user, "1000:1000"), "-w and -u win");
	free(p.args); free(p.env);
	struct image bare = { 0 };
	o.workdir = NULL;
	image_process(&o, &bare, "HOSTNAME=h", &p, &err);
	is_str(p.workdir, "/", "default workdir is /");
	free(p.args); free(p.env);
}

static int parse(struct opts *o, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = "qpod";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	opts_free(o); /* the previous parse's */
	optind = 0; /* glibc: reinitialise getopt */
	FILE *devnull = freopen("/dev/null", "w", stderr);
	int r = opts_parse(argc, argv, o);
	(void)devnull;
	return r;
}

static void flags(void)
{
	struct opts o = { 0 };
	ok(parse(&o, (const char *[]){ "-i", "-m", "512m", "--cpus", "1.5", "img", "-x", "y", NULL }) == 0 &&
	   o.interactive && o.memory_mb == 512 && o.cpus == 2 && !strcmp(o.image, "img") &&
	   !strcmp(o.cmd[0], "-x"), "flags stop at IMAGE; --cpus rounds up; -m takes units");
	ok(parse(&o, (const char *[]){ "-t", "-i", "img", NULL }) < 0, "-t -i with a stdin that is not a terminal");
	ok(parse(&o, (const char *[]){ "-m", "1g", "--timeout", "2.5", "img", NULL }) == 0 && o.memory_mb == 1024 &&
	   o.timeout == 2.5, "-m 1g and a fractional --timeout");
	ok(parse(&o, (const char *[]){ "-m", "1000", "img", NULL }) < 0, "-m without a unit is bytes: too small");
	ok(parse(&o, (const char *[]){ "--accel", "warp", "img", NULL }) < 0, "unknown accelerator");
	ok(parse(&o, (const char *[]){ "-e", "=x", "img", NULL }) < 0, "env without a name");
	ok(parse(&o, (const char *[]){ "--nope", "img", NULL }) < 0, "unknown long flag");
	ok(parse(&o, (const char *[]){ "-q", "img", NULL }) < 0, "unknown short flag");
	ok(parse(&o, (const char *[]){ "-e", NULL }) < 0, "a flag without its value");
	ok(parse(&o, (const char *[]){ "--cache", "ls", NULL }) == 0 && !strcmp(o.cache_cmd, "ls"), "--cache ls");
	ok(parse(&o, (const char *[]){ "--cache", "ls", "img", NULL }) < 0, "--cache takes no image");
	ok(parse(&o, (const char *[]){ "-v", "/tmp:/data:ro", "img", NULL }) == 0 && o.nvols == 1 &&
	   o.vols[0].read_only && !strcmp(o.vols[0].guest, "/data"), "a read-only volume");
	ok(parse(&o, (const char *[]){ "-v", "/tmp:/a/../b", "img", NULL }) < 0, "a volume path with .. is refused");
	opts_free(&o);
}

/* What a docker user types first (issue: docker-run parity). */
static void docker_flags(void)
{
	struct opts o = { 0 };
	char path[] = "/tmp/runner-image-envXXXXXX";
	int fd = mkstemp(path);
	dprintf(fd, "# comment\n\n  FROMFILE=1\nA=file\nQPOD_UNSET_IN_TEST\n");
	close(fd);
	unsetenv("QPOD_UNSET_IN_TEST");
	ok(parse(&o, (const char *[]){ "-e=A=flag", "--env-file", path, "--env=B=2", "img", NULL }) == 0, "-e=, --env-file, --env=");
	is_str(join(o.env), "FROMFILE=1 A=file QPOD_UNSET_IN_TEST A=flag B=2", "the file's entries come before every -e");
	unlink(path);
	ok(parse(&o, (const char *[]){ "--env-file", path, "img", NULL }) < 0, "a missing --env-file");
	ok(parse(&o, (const char *[]){ "--ini", "img", NULL }) < 0, "no abbreviation of --initrd");
	ok(parse(&o, (const char *[]){ "--init", "--rm", "--rm=false", "--sig-proxy=false", "img", NULL }) == 0 &&
	   !o.sig_proxy, "--init, --rm, --sig-proxy=false");
	ok(parse(&o, (const char *[]){ "--read-only", "--tmpfs", "/run:size=1m", "--shm-size", "1m", "img", NULL }) == 0 &&
	   o.read_only && o.ntmpfs == 1 && !strcmp(o.tmpfs[0].options, "size=1m") && o.shm_size == 1048576,
	   "--read-only, --tmpfs PATH:OPTS, --shm-size");
	ok(parse(&o, (const char *[]){ "--ulimit", "nofile=1024:2048", "--ulimit", "core=-1", "img", NULL }) == 0 &&
	   o.nrlimits == 2 && o.rlimits[0].soft == 1024 && o.rlimits[0].hard == 2048 && o.rlimits[1].hard == UINT64_MAX,
	   "--ulimit SOFT:HARD and unlimited");
	ok(parse(&o, (const char *[]){ "--ulimit", "nofile=9:1", "img", NULL }) < 0, "--ulimit soft above hard");
	ok(parse(&o, (const char *[]){ "--ulimit", "bogus=1", "img", NULL }) < 0, "--ulimit unknown name");
	ok(parse(&o, (const char *[]){ "-u", "2147483648", "img", NULL }) < 0, "a uid above 2^31-1");
	ok(parse(&o, (const char *[]){ "-u", "-1", "img", NULL }) < 0, "a negative uid");
	ok(parse(&o, (const char *[]){ "-u", "2147483647:ftp", "--group-add", "10", "img", NULL }) == 0 &&
	   o.ngroups == 1, "the largest uid, a group name, --group-add");
	ok(parse(&o, (const char *[]){ "--umask", "0077", "-m", "0", "img", NULL }) == 0 && o.umask == 077 &&
	   o.memory_mb == 0, "--umask octal, --memory 0");
	ok(parse(&o, (const char *[]){ "-v", "/etc/hostname:/h:ro", "img", NULL }) == 0 && o.nvols == 1 &&
	   !strcmp(o.vols[0].host, "/etc") && !strcmp(o.vols[0].file, "hostname"), "a single-file volume");
	opts_free(&o);
}

static void erase(void)
{
	char *ienv[] = { "PATH=/bin", "FOO=img", NULL }, *flags[] = { "FOO", "HOSTNAME", NULL };
	struct image img = { .config = { .env = ienv, .entrypoint = (char *[]){ "", NULL } } };
	struct opts o = { .image = "img", .cmd = (char *[]){ "x", NULL }, .env = flags, .nenv = 2 };
	struct qp_process p;
	struct qerr err;
	ok(image_process(&o, &img, "HOSTNAME=h", &p, &err) == 0, "Entrypoint [\"\"] with a command");
	is_str(join(p.args), "x", "Entrypoint [\"\"] is no entrypoint");
	is_str(join(p.env), "PATH=/bin", "-e NAME the host lacks erases it, HOSTNAME too");
	free(p.args); free(p.env);
}

int main(void)
{
	plan(42);
	argv_rules();
	env_rules();
	flags();
	docker_flags();
	erase();
	return done();
}
