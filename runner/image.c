/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image.c: from IMAGE and the flags to what the guest runs, with docker's
 * rules:
 *   argv      = entrypoint + command, where --entrypoint replaces the
 *               image's Entrypoint and drops its Cmd, and a command after
 *               IMAGE replaces Cmd;
 *   env       = the image's Env, then each -e (same name: replaced in place;
 *               a name alone erases it), HOSTNAME unless set or erased;
 *   workdir   = -w, else WorkingDir, else /;  user = -u, else User.
 * What IMAGE is, packer.h's source_parse says: a root directory (shared as
 * it is, no config), - for an archive on stdin (spooled into the cache's
 * tmp/ first, then packed like a file), or an image the packer unpacks into
 * its cache (an archive, an image directory, a transport name, a registry
 * reference). A bundle never gets here: cli/run.c attaches it first.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packer.h"
#include "runner.h"

static size_t vlen(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int image_open(const struct opts *o, struct image *img, struct qerr *err)
{
	struct source src;
	memset(img, 0, sizeof *img);
	img->lock_fd = -1;
	int e = source_parse(o->image, &src, err);
	if (e)
		return e;
	struct pack_opts po = { .platform = o->platform, .max_bytes = o->max_bytes, .progress = isatty(2),
				.pull = (enum pack_pull)o->pull, .no_tls_verify = o->no_tls_verify,
				.creds = o->creds, .authfile = o->authfile };
	char *spool;
	switch (src.kind) {
	case SOURCE_ROOT:
		img->rootfs = src.path;
		src.path = NULL;
		break;
	case SOURCE_STDIN: /* docker save | qpod run - cmd */
		if ((e = pack_spool(&po, 0, &spool, err)))
			break;
		po.shown = "-";
		po.no_ref = true;
		e = pack_image(spool, &po, img, err);
		unlink(spool);
		free(spool);
		break;
	default:
		e = pack_source(&src, &po, img, err);
	}
	source_free(&src);
	return e;
}

static int build_argv(const struct opts *o, const struct image *img, struct qp_process *p, struct qerr *err)
{
	char *ep_flag[2] = { o->entrypoint, NULL };
	char *const *ep = o->entrypoint_set ? (o->entrypoint && *o->entrypoint ? ep_flag : NULL) : img->config.entrypoint;
	if (ep && ep[0] && !ep[0][0] && !ep[1])
		ep = NULL; /* Entrypoint [""] is no entrypoint, as docker reads it */
	char *const *cmd = o->cmd && o->cmd[0] ? o->cmd : o->entrypoint_set ? NULL : img->config.cmd;
	size_t ne = vlen(ep), nc = vlen(cmd);
	if (ne + nc == 0)
		return qerr_set(err, EINVAL, "no command given, and %s has no Entrypoint or Cmd", o->image);
	if (!(p->args = calloc(ne + nc + 1, sizeof *p->args)))
		return qerr_set(err, ENOMEM, "out of memory");
	if (ne) /* ep or cmd may be NULL: memcpy from NULL is undefined even for 0 bytes */
		memcpy(p->args, ep, ne * sizeof *ep);
	if (nc)
		memcpy(p->args + ne, cmd, nc * sizeof *cmd);
	return 0;
}

/* hostenv is "HOSTNAME=<the VM's hostname>", owned by the caller. */
static int build_env(const struct opts *o, const struct image *img, char *hostenv, struct qp_process *p,
		     struct qerr *err)
{
	size_t ni = vlen(img->config.env), n = 0;
	if (!(p->env = calloc(ni + o->nenv + 2, sizeof *p->env)))
		return qerr_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < ni; i++)
		if (strchr(img->config.env[i], '='))
			p->env[n++] = img->config.env[i];
	bool erased = false;
	for (size_t i = 0; i < o->nenv; i++) {
		size_t klen = strcspn(o->env[i], "="), k;
		for (k = 0; k < n && (strncmp(p->env[k], o->env[i], klen) || p->env[k][klen] != '='); k++)
			;
		if (!o->env[i][klen]) { /* "K": erase */
			if (k < n)
				memmove(p->env + k, p->env + k + 1, (n-- - k) * sizeof *p->env);
			erased |= !strcmp(o->env[i], "HOSTNAME");
			continue;
		}
		p->env[k] = o->env[i];
		n += k == n;
	}
	bool have = false;
	for (size_t k = 0; k < n; k++)
		have |= !strncmp(p->env[k], "HOSTNAME=", 9);
	if (!have && !erased)
		p->env[n++] = hostenv;
	p->env[n] = NULL;
	return 0;
}

/* The process spec borrows strings from o and img; free only the vectors. */
int image_process(const struct opts *o, const struct image *img, char *hostenv, struct qp_process *p,
		  struct qerr *err)
{
	int e;
	memset(p, 0, sizeof *p);
	if ((e = build_argv(o, img, p, err)) || (e = build_env(o, img, hostenv, p, err)))
		return e;
	p->id = "init";
	p->workdir = o->workdir ? o->workdir : img->config.workdir && *img->config.workdir ? img->config.workdir : "/";
	p->user = o->user ? o->user : img->config.user ? img->config.user : "";
	p->terminal = o->tty;
	p->stdin_open = o->interactive;
	p->stdio_seq = QP_SEQ_STDIO;
	p->stderr_seq = o->tty ? 0 : QP_SEQ_STDERR;
	p->groups = o->groups;
	p->rlimits = o->rlimits;
	p->nrlimits = o->nrlimits;
	p->umask = o->umask;
	return 0;
}
