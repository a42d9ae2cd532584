/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.c: the VM's network, docker's flags with qemu's user-mode network.
 *
 *   --network user   (default) a virtio-net NIC on qemu's slirp: the guest
 *                    is 10.0.2.15/24, its gateway 10.0.2.2, its resolver
 *                    10.0.2.3; qemu has a network namespace of its own
 *                    (jail.c) whose way out is pasta (pasta.c), so what
 *                    slirp maps to "the host's loopback" is that empty
 *                    namespace's; no root and no host configuration needed
 *   --network user:allow_host_loopback=true, or --add-host NAME:host-gateway
 *                    qemu stays in the host's network namespace: 10.0.2.2
 *                    is the host's 127.0.0.1 (host.containers.internal)
 *   --network none   loopback only
 *   -p [IP:]HOSTPORT:GUESTPORT[/tcp|/udp]
 *                    a slirp host forward (through pasta from the host into
 *                    qemu's namespace); without IP on every host address,
 *                    as docker does; HOSTPORT and GUESTPORT may be ranges
 *                    of one length (8000-8002:80-82): one forward each
 *   --dns IP, --add-host NAME:IP, -h NAME   resolv.conf, hosts, hostname
 *
 * The addresses are given to qemu explicitly (-netdev user,net=...,host=...)
 * and to hyperstart, on the kernel command line (qpod.net=, set up before
 * READY, so a template holds it) and again in STARTPOD, so every side takes
 * them from here.
 * Published ports are tried before qemu starts: a port that is taken is a
 * one-line error (exit 125), never a VM that boots and then fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "vm.h"

#define NET_CIDR    "10.0.2.0/24"
#define NET_GUEST   "10.0.2.15"
#define NET_PREFIX  24
#define NET_DNS     "10.0.2.3"
#define NET_DEVICE  "eth0"

static int port_num(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -ERANGE;
	*out = (uint16_t)v;
	return 0;
}

int net_parse_publish(const char *spec, struct publish *p, struct qerr *err)
{
	char buf[128];
	memset(p, 0, sizeof *p);
	p->spec = spec;
	if (strlen(spec) >= sizeof buf)
		return qerr_set(err, EINVAL, "--publish %.40s...: too long", spec);
	strcpy(buf, spec);
	char *proto = strchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (!strcmp(proto, "udp"))
			p->udp = true;
		else if (strcmp(proto, "tcp"))
			return qerr_set(err, EINVAL, "--publish %s: protocol must be tcp or udp", spec);
	}
	/* From the right: GUESTPORT, HOSTPORT, then the rest is the IP. */
	char *c2 = strrchr(buf, ':');
	if (!c2)
		return qerr_set(err, EINVAL, "--publish %s: expected [IP:]HOSTPORT:GUESTPORT[/tcp|/udp]", spec);
	*c2 = '\0';
	char *c1 = strrchr(buf, ':');
	const char *host = c1 ? c1 + 1 : buf;
	if (c1) {
		*c1 = '\0';
		if (strlen(buf) >= sizeof p->ip)
			return qerr_set(err, EINVAL, "--publish %s: bad IP address", spec);
		strcpy(p->ip, buf);
		if (buf[0] == '[' || strchr(buf, ':'))
			return qerr_set(err, EINVAL, "--publish %s: IPv6 host addresses are not supported", spec);
		struct in_addr a;
		if (inet_pton(AF_INET, p->ip, &a) != 1)
			return qerr_set(err, EINVAL, "--publish %s: %s is not an IPv4 address", spec, p->ip);
	}
	/* A range, docker's 8000-8002:80-82: as many ports on both sides. */
	const char *guest = c2 + 1, *hd = strchr(host, '-'), *gd = strchr(guest, '-');
	uint16_t hend = 0, gend = 0;
	size_t hl = hd ? (size_t)(hd - host) : strlen(host), gl = gd ? (size_t)(gd - guest) : strlen(guest);
	int e1 = port_num(host, hl, &p->host), e2 = port_num(guest, gl, &p->guest);
	if (!e1 && hd)
		e1 = port_num(hd + 1, strlen(hd + 1), &hend);
	if (!e2 && gd)
		e2 = port_num(gd + 1, strlen(gd + 1), &gend);
	if (e1 || e2)
		return qerr_set(err, EINVAL, "--publish %s: ports must be numbers from 1 to 65535", spec);
	p->count = 1;
	if (!hd && !gd)
		return 0;
	if (!hd || !gd || hend < p->host || gend < p->guest || hend - p->host != gend - p->guest)
		return qerr_set(err, EINVAL, "--publish %s: a range needs as many host ports as guest ports", spec);
	p->count = (uint16_t)(hend - p->host + 1);
	return 0;
}

int net_parse_add_host(const char *spec, struct qp_host *h, struct qerr *err)
{
	/* docker takes NAME:IP, and NAME=IP since 25; the IP may hold colons
	 * (IPv6); "host-gateway" is the address under which the host is seen. */
	size_t n = strcspn(spec, ":=");
	const char *ip = spec[n] ? spec + n + 1 : "";
	unsigned char a[16];
	if (!strcmp(ip, "host-gateway"))
		ip = NET_HOST;
	if (!n || (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1))
		return qerr_set(err, EINVAL, "--add-host %s: expected NAME:IP", spec);
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._", spec[i]))
			return qerr_set(err, EINVAL, "--add-host %s: bad host name", spec);
	h->name = strndup(spec, n);
	h->ip = strdup(ip);
	if (!h->name || !h->ip)
		return qerr_set(err, ENOMEM, "out of memory");
	return 0;
}

int net_parse_dns(const char *ip, struct qerr *err)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		return qerr_set(err, EINVAL, "--dns %s: not an IP address", ip);
	return 0;
}

/* Bind each published port as slirp will (SO_REUSEADDR), then let go. */
int net_check_ports(const struct publish *p, size_t n, bool host_loopback, struct qerr *err)
{
	if (n && !host_loopback && !pasta_way_out())
		return qerr_set(err, ENETUNREACH, "--publish %s: a port reaches the VM through pasta, which needs a "
				"default route on the host, and this host has none", p[0].spec);
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p[i].host) };
		if (*p[i].ip)
			inet_pton(AF_INET, p[i].ip, &sa.sin_addr);
		int fd = socket(AF_INET, (p[i].udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0), one = 1;
		if (fd < 0)
			return qerr_sys(err, errno, "socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		int e = bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ? errno : 0;
		io_close(&fd);
		const char *proto = p[i].udp ? "udp" : "tcp";
		if (e == EADDRINUSE)
			return qerr_set(err, e, "--publish %s: host port %s:%u/%s is in use", p[i].spec,
					*p[i].ip ? p[i].ip : "0.0.0.0", p[i].host, proto);
		if (e)
			return qerr_sys(err, e, "--publish %s: host port %u/%s", p[i].spec, p[i].host, proto);
		for (size_t k = 0; k < i; k++)
			if (p[k].host == p[i].host && p[k].udp == p[i].udp)
				return qerr_set(err, EADDRINUSE, "--publish %s: host port %u/%s is published twice",
						p[i].spec, p[i].host, proto);
	}
	return 0;
}

/* qemu's -netdev value for --network user: slirp with the ports. */
int net_netdev(const struct publish *p, size_t n, bool in_ns, char *out, size_t cap)
{
	size_t len = (size_t)snprintf(out, cap, "user,id=n0,ipv6=off,net=%s,host=%s,dns=%s", NET_CIDR, NET_HOST, NET_DNS);
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, ",hostfwd=%s:%s:%u-%s:%u", p[i].udp ? "udp" : "tcp",
					in_ns ? "" : p[i].ip, p[i].host, NET_GUEST, p[i].guest);
	return len < cap ? 0 : -E2BIG;
}

/* The kernel command line's word for hyperstart (hyperstart/cmdline.c):
 * the interface of net_guest, to set up before READY. */
int net_kernel_arg(char *out, size_t cap)
{
	int n = snprintf(out, cap, "qpod.net=%s,%s/%u,%s", NET_DEVICE, NET_GUEST, NET_PREFIX, NET_HOST);
	return n > 0 && (size_t)n < cap ? 0 : -E2BIG;
}

/* What hyperstart sets up: the interface (user mode only), resolver, hosts. */
void net_guest(bool nic, bool host_loopback, char **dns, const struct qp_host *extra, size_t nextra,
	       struct qp_net *out, struct qp_host *hosts)
{
	static char *slirp_dns[] = { NET_DNS, NULL };
	*out = (struct qp_net){ 0 };
	size_t n = 0;
	if (nic) {
		out->device = NET_DEVICE;
		out->address = NET_GUEST;
		out->prefix = NET_PREFIX;
		out->gateway = NET_HOST;
		out->dns = dns && *dns ? dns : slirp_dns;
		if (host_loopback) {
			hosts[n++] = (struct qp_host){ .name = "host.containers.internal", .ip = NET_HOST };
			hosts[n++] = (struct qp_host){ .name = "host.docker.internal", .ip = NET_HOST };
		}
	} else if (dns && *dns) {
		out->dns = dns;
	}
	if (nextra) /* extra may be NULL: memcpy from NULL is undefined even for 0 bytes */
		memcpy(hosts + n, extra, nextra * sizeof *extra);
	out->hosts = hosts;
	out->nhosts = n + nextra;
}
