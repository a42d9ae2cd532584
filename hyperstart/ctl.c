/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl.c: the control port. Every host message gets exactly one ACK or
 * ERROR, in order (replies carry no id). A frame that is too large, not
 * JSON, or not understood is answered with ERROR and the loop goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

static void getversion(struct hs *hs, const struct qp_frame *f)
{
	uint8_t v[4];
	if (f->len >= 4)
		hs->peer_version = qp_be32(f->data);
	qp_put_be32(v, QP_VERSION);
	ctl_reply(hs, QP_ACK, v, sizeof v);
}

static void startpod(struct hs *hs, const struct qp_frame *f)
{
	struct qerr err;
	if (hs->pod_started) {
		ctl_error(hs, "STARTPOD: the pod is already started");
		return;
	}
	if (qp_pod_read(f->data, f->len, &hs->pod, &err) < 0 || net_setup(&hs->pod.net, &err) < 0 ||
	    mount_lower(&hs->pod, &err) < 0) {
		qp_pod_free(&hs->pod);
		ctl_error(hs, "STARTPOD: %s", err.msg);
		return;
	}
	if (hs->pod.hostname && *hs->pod.hostname &&
	    sethostname(hs->pod.hostname, strlen(hs->pod.hostname)) < 0)
		log_err("sethostname: %s", strerror(errno));
	hs->pod_started = true;
	ctl_reply(hs, QP_ACK, NULL, 0);
}

static void newcontainer(struct hs *hs, const struct qp_frame *f)
{
	struct qp_container c;
	struct qerr err;
	if (!hs->pod_started || hs->container_started) {
		ctl_error(hs, "NEWCONTAINER: %s", hs->pod_started ? "one container per VM" : "no pod yet");
		return;
	}
	if (qp_container_read(f->data, f->len, &c, &err) < 0) {
		ctl_error(hs, "NEWCONTAINER: %s", err.msg);
		return;
	}
	hs->pidns = c.pid_namespace;
	int e = mount_container(&c, &hs->pod, &err);
	if (!e && c.proc.workdir && (e = root_mkdirs(c.proc.workdir, &err)) >= 0) {
		close(e); /* docker creates a missing workdir */
		e = 0;
	}
	if (!e)
		e = mount_seal(&c, &err);
	if (!e)
		e = proc_start(hs, &c.proc, &err);
	user_warm_drop(); /* the command may change /etc/passwd from now on */
	qp_container_free(&c);
	if (e) {
		ctl_error(hs, "NEWCONTAINER: %s", err.msg);
		return;
	}
	hs->container_started = true;
	ctl_reply(hs, QP_ACK, NULL, 0);
}

/* EXECCMD: one more process in the running container, or its command
 * again ("init", after it ended: a restart). ACK once it runs. Only the
 * command's workdir is made when missing (docker's); an exec's must be there. */
static void execcmd(struct hs *hs, const struct qp_frame *f)
{
	struct qp_process p;
	struct qerr err;
	if (!hs->container_started) {
		ctl_error(hs, "EXECCMD: no container yet");
		return;
	}
	if (qp_exec_read(f->data, f->len, &p, &err) < 0) {
		ctl_error(hs, "EXECCMD: %s", err.msg);
		return;
	}
	int e = 0;
	if (p.workdir && !strcmp(p.id, "init") && (e = root_mkdirs(p.workdir, &err)) >= 0) {
		close(e);
		e = 0;
	}
	if (!e)
		e = proc_start(hs, &p, &err);
	qp_process_free(&p);
	if (e) {
		ctl_error(hs, "EXECCMD: %s", err.msg);
		return;
	}
	ctl_reply(hs, QP_ACK, NULL, 0);
}

static void dispatch(struct hs *hs, const struct qp_frame *f)
{
	struct qerr err;
	uint16_t rows, cols;
	int sig;
	uint64_t seq;
	char id[QP_ID_MAX];
	log_dbg("ctl: %s, %u bytes", qp_type_name((uint32_t)f->id), f->len);
	switch (f->id) {
	case QP_GETVERSION:
		getversion(hs, f);
		break;
	case QP_RESUME:
		resume(hs, f);
		break;
	case QP_STARTPOD:
		startpod(hs, f);
		break;
	case QP_NEWCONTAINER:
		newcontainer(hs, f);
		break;
	case QP_EXECCMD:
		execcmd(hs, f);
		break;
	case QP_WINSIZE:
		if (qp_winsize_read(f->data, f->len, id, &rows, &cols, &err) < 0) {
			ctl_error(hs, "WINSIZE: %s", err.msg);
			break;
		}
		proc_winsize(hs, id, rows, cols);
		ctl_reply(hs, QP_ACK, NULL, 0);
		break;
	case QP_SIGNALPROCESS:
	case QP_KILLCONTAINER:
		if (qp_signal_read(f->data, f->len, id, &sig, &err) < 0) {
			ctl_error(hs, "%s: %s", qp_type_name((uint32_t)f->id), err.msg);
			break;
		}
		/* KILLCONTAINER signals the container's command; an ended process
		 * is no error: it may have ended as the signal was on its way. */
		proc_signal(hs, f->id == QP_KILLCONTAINER ? "init" : id, sig);
		ctl_reply(hs, QP_ACK, NULL, 0);
		break;
	case QP_CLOSEOUTPUT:
		if (qp_closeoutput_read(f->data, f->len, &seq, &err) < 0) {
			ctl_error(hs, "CLOSEOUTPUT: %s", err.msg);
			break;
		}
		stdout_close(hs, seq);
		ctl_reply(hs, QP_ACK, NULL, 0);
		break;
	case QP_TOP:
		if (!hs->container_started) {
			ctl_error(hs, "TOP: no container yet");
			break;
		}
		top_answer(hs);
		break;
	case QP_PING:
	case QP_READY:
		ctl_reply(hs, QP_ACK, NULL, 0);
		break;
	case QP_DESTROYPOD:
		ctl_reply(hs, QP_ACK, NULL, 0);
		power_off(hs);
	default:
		ctl_error(hs, "unsupported message %s (%llu)", qp_type_name((uint32_t)f->id),
			  (unsigned long long)f->id);
	}
}

void ctl_input(struct hs *hs)
{
	for (;;) {
		struct qp_frame f;
		int r;
		while ((r = qp_reader_next(&hs->ctl_r, &f)) != 0) {
			if (r == -EMSGSIZE)
				ctl_error(hs, "%s: message of %u bytes exceeds the %u byte limit",
					  qp_type_name((uint32_t)f.id), f.len, QP_CTL_MAX);
			else if (r < 0)
				ctl_error(hs, "control frame with a length below its header; input dropped");
			else
				dispatch(hs, &f);
		}
		ssize_t n = qp_reader_fill(&hs->ctl_r, hs->ctl);
		if (n == 0) {
			/* The host closed its end: nobody can talk to this VM any more. */
			log_err("control port closed by the host; powering off");
			power_off(hs);
		}
		if (n < 0) {
			if (n != -EAGAIN)
				log_err("ctl: read: %s", strerror((int)-n));
			return;
		}
	}
}
