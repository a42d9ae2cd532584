/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmview.h: a VM as docker shows a container (vmview.c): inspect's object,
 * ps's row, its status text and its published ports.
 */
#ifndef QPOD_VMVIEW_H
#define QPOD_VMVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "detached/detached.h"

struct vmview {
	char dir[PATH_MAX];
	struct vmstate st;
	char *config;        /* config.json, or NULL (a VM from before it was kept) */
	struct json cj;      /* it parsed; cj.t NULL when there is none */
	char *health;        /* health.json (inspect's State.Health), or NULL */
};

struct port {
	char ip[48];         /* "0.0.0.0" for every address */
	unsigned host, guest;
	char proto[4];
};

int vmview_load(struct vmview *v, const char *dir, const struct vmstate *st);
void vmview_free(struct vmview *v);
/* The index of a value of config.json at a dotted path, or -1. */
int vmview_get(const struct vmview *v, const char *path);
bool vmview_running(const struct vmstate *st);
const char *vmview_state(const struct vmstate *st);
void vmview_status(const struct vmstate *st, char *out, size_t cap);
void human_duration(int64_t ns, char *out, size_t cap);
/* HostConfig.PortBindings, sorted: how many were put in out. */
size_t vmview_port_list(const struct vmview *v, struct port *out, size_t cap);
void vmview_ports(const struct vmview *v, char *out, size_t cap);
void vmview_inspect(struct jw *w, const struct vmview *v);
void vmview_psrow(struct jw *w, const struct vmview *v, bool trunc);

#endif
