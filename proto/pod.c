/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pod.c: STARTPOD's payload, the pod: hostname, the image root (a 9p share
 * tag, or a virtio disk "vdX" with a squashfs on it) and the network (see
 * proto.h and docs/protocol.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"

static int read_hosts(struct doc *d, int obj, struct qp_net *n)
{
	int arr, e0 = get_array(d, obj, "hosts", QP_MAX_HOSTS, sizeof *n->hosts, (void **)&n->hosts, &arr);
	if (e0 || !n->hosts)
		return e0;
	uint32_t k;
	int it, e;
	JSON_EACH(&d->j, arr, it, k) {
		struct qp_host *h = &n->hosts[k];
		n->nhosts = k + 1;
		if ((e = get_str(d, it, "name", &h->name)) || (e = get_str(d, it, "ip", &h->ip)))
			return e;
		if (!word_ok(h->name, NAME_CHARS) || !word_ok(h->ip, ADDR_CHARS))
			return qerr_set(d->err, EINVAL, "hosts[%u] needs a host name and an IP address", k);
	}
	return 0;
}

static int read_dns(struct doc *d, int obj, struct qp_net *n)
{
	int e = get_strv(d, obj, "dns", QP_MAX_DNS, &n->dns);
	for (char **a = n->dns; !e && a && *a; a++)
		if (!word_ok(*a, ADDR_CHARS))
			e = qerr_set(d->err, EINVAL, "dns: \"%s\" is not an IP address", *a);
	return e;
}

static int read_net(struct doc *d, int obj, struct qp_net *n)
{
	uint64_t v;
	int e;
	if (obj < 0)
		return 0;
	if (json_type(&d->j, obj) != JSON_OBJECT)
		return qerr_set(d->err, EINVAL, "\"network\" must be an object");
	if ((e = get_str(d, obj, "device", &n->device)) || (e = get_str(d, obj, "address", &n->address)) ||
	    (e = get_str(d, obj, "gateway", &n->gateway)) || (e = read_dns(d, obj, n)) ||
	    (e = read_hosts(d, obj, n)))
		return e;
	if ((e = get_u64(d, obj, "prefix", 32, &v)))
		return e;
	n->prefix = (unsigned)v;
	if ((e = get_u64(d, obj, "mtu", 65535, &v)))
		return e;
	n->mtu = (unsigned)v;
	if (n->device && (!word_ok(n->device, NAME_CHARS) || strlen(n->device) >= 16 || !n->prefix ||
			  !word_ok(n->address, ADDR_CHARS)))
		return qerr_set(d->err, EINVAL, "\"network\" needs a device name, an address and a prefix of 1..32");
	if (n->gateway && !word_ok(n->gateway, ADDR_CHARS))
		return qerr_set(d->err, EINVAL, "\"network\" has a bad gateway");
	return 0;
}

/* The image root: a 9p tag, or a disk vda..vdz (or dm-0, its dm-verity
 * mapping) with a squashfs; never both. */
static int read_root(const struct qp_pod *p, struct qerr *err)
{
	const char *dev = p->root_device;
	if (p->share && dev)
		return qerr_set(err, EINVAL, "\"shareDir\" and \"rootDevice\" exclude each other");
	if (dev) {
		if (strcmp(dev, "dm-0") && (strlen(dev) != 3 || strncmp(dev, "vd", 2) || dev[2] < 'a' || dev[2] > 'z'))
			return qerr_set(err, EINVAL, "\"rootDevice\" must be a virtio disk vda..vdz or dm-0");
		if (!p->root_type || strcmp(p->root_type, "squashfs"))
			return qerr_set(err, EINVAL, "\"rootType\" must be \"squashfs\"");
		return 0;
	}
	if (p->root_type)
		return qerr_set(err, EINVAL, "\"rootType\" needs \"rootDevice\"");
	if (!p->share || !*p->share || strlen(p->share) > 31)
		return qerr_set(err, EINVAL, "\"shareDir\" must name the root share's 9p tag");
	return 0;
}

int qp_pod_read(const uint8_t *buf, size_t n, struct qp_pod *p, struct qerr *err)
{
	struct doc d;
	memset(p, 0, sizeof *p);
	int e = doc_open(&d, buf, n, err);
	if (e)
		return e;
	if (!(e = get_str(&d, 0, "hostname", &p->hostname)) && !(e = get_str(&d, 0, "shareDir", &p->share)) &&
	    !(e = get_str(&d, 0, "rootDevice", &p->root_device)))
		e = get_str(&d, 0, "rootType", &p->root_type);
	if (!e)
		e = read_root(p, err);
	if (!e)
		e = read_net(&d, json_get(&d.j, 0, "network"), &p->net);
	doc_close(&d);
	if (e)
		qp_pod_free(p);
	return e;
}

void qp_pod_free(struct qp_pod *p)
{
	struct qp_net *n = &p->net;
	for (size_t i = 0; i < n->nhosts; i++) {
		free(n->hosts[i].name);
		free(n->hosts[i].ip);
	}
	free(n->hosts);
	free_vec(n->dns);
	free(n->device);
	free(n->address);
	free(n->gateway);
	free(p->hostname);
	free(p->share);
	free(p->root_device);
	free(p->root_type);
	memset(p, 0, sizeof *p);
}

int qp_pod_write(struct jw *w, const struct qp_pod *p)
{
	jw_obj(w);
	jw_kv_str(w, "hostname", p->hostname ? p->hostname : "");
	if (p->root_device) {
		jw_kv_str(w, "rootDevice", p->root_device);
		jw_kv_str(w, "rootType", p->root_type ? p->root_type : "");
	} else {
		jw_kv_str(w, "shareDir", p->share ? p->share : "");
	}
	const struct qp_net *n = &p->net;
	jw_key(w, "network");
	jw_obj(w);
	if (n->device) {
		jw_kv_str(w, "device", n->device);
		jw_kv_str(w, "address", n->address);
		jw_kv_int(w, "prefix", n->prefix);
		if (n->gateway)
			jw_kv_str(w, "gateway", n->gateway);
		if (n->mtu)
			jw_kv_int(w, "mtu", n->mtu);
	}
	if (n->dns)
		jw_kv_strv(w, "dns", n->dns);
	jw_key(w, "hosts");
	jw_arr(w);
	for (size_t i = 0; i < n->nhosts; i++) {
		jw_obj(w);
		jw_kv_str(w, "name", n->hosts[i].name);
		jw_kv_str(w, "ip", n->hosts[i].ip);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
	jw_end(w);
	return w->err;
}
