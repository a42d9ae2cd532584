/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.c: the guest's network, set directly over rtnetlink (no DHCP, no
 * kernel ip=, which sleeps).
 *
 *   net_lo_up()    at setup, before READY: lo up (127.0.0.1 comes with it),
 *                  whatever the network mode
 *   net_early()    at setup too: the interface qpod.net= names on the kernel
 *                  command line (cmdline.c), as net_setup would; a template
 *                  saved at READY then holds it, and a restored guest runs
 *                  none of the netlink, address and route code again
 *   net_setup()    at STARTPOD, when the pod names an interface: link up,
 *                  one IPv4 address, the default route through the gateway;
 *                  nothing when net_early did exactly that (the runner puts
 *                  the same settings in both), else the early address is
 *                  removed first
 *
 * Every request asks for an ACK and waits for it; the kernel answers a
 * request on a NETLINK_ROUTE socket synchronously, so no wait here can
 * block for long, and a bounded receive timeout covers a kernel that does
 * not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hyperstart.h"
#include "io.h"

struct nlreq {
	struct nlmsghdr h;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	} u;
	char attrs[64];
};

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void nl_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send one request and read its ACK: 0, or the kernel's -errno. */
static int nl_call(int fd, struct nlreq *r)
{
	static unsigned seq;
	char buf[1024];
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = ++seq;
	if (send(fd, r, r->h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

static int link_up(int fd, unsigned idx, unsigned mtu)
{
	struct nlreq r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_NEWLINK },
			   .u.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)idx, .ifi_flags = IFF_UP,
				      .ifi_change = IFF_UP } };
	if (mtu)
		nl_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
	return nl_call(fd, &r);
}

static int addr_add(int fd, unsigned idx, struct in_addr a, unsigned prefix)
{
	struct nlreq r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)), .nlmsg_type = RTM_NEWADDR,
				  .nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE },
			   .u.ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
				      .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = idx } };
	nl_attr(&r, IFA_LOCAL, &a, sizeof a);
	nl_attr(&r, IFA_ADDRESS, &a, sizeof a);
	return nl_call(fd, &r);
}

static int route_default(int fd, unsigned idx, struct in_addr gw)
{
	struct nlreq r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)), .nlmsg_type = RTM_NEWROUTE,
				  .nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE },
			   .u.rt = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
				     .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST } };
	nl_attr(&r, RTA_GATEWAY, &gw, sizeof gw);
	nl_attr(&r, RTA_OIF, &idx, sizeof idx);
	return nl_call(fd, &r);
}

static int addr_del(int fd, unsigned idx, struct in_addr a, unsigned prefix)
{
	struct nlreq r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)), .nlmsg_type = RTM_DELADDR },
			   .u.ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
				      .ifa_index = idx } };
	nl_attr(&r, IFA_LOCAL, &a, sizeof a);
	return nl_call(fd, &r);
}

/* What net_early set up; STARTPOD compares. */
static struct early {
	bool set;
	char device[IF_NAMESIZE];
	struct in_addr addr, gw;
	unsigned prefix;
} early;

int net_lo_up(void)
{
	int fd = nl_open();
	if (fd < 0)
		return fd;
	int e = link_up(fd, if_nametoindex("lo"), 0);
	close(fd);
	return e;
}

/* Whether n is what net_early set up (mtu 0: the device's own, untouched). */
static bool same_as_early(const struct qp_net *n, struct in_addr addr, struct in_addr gw)
{
	return early.set && !strcmp(n->device, early.device) && addr.s_addr == early.addr.s_addr &&
	       n->prefix == early.prefix && n->gateway && gw.s_addr == early.gw.s_addr && !n->mtu;
}

int net_setup(const struct qp_net *n, struct qerr *err)
{
	struct in_addr addr, gw = { 0 };
	if (!n->device)
		return 0;
	if (inet_pton(AF_INET, n->address, &addr) != 1 || (n->gateway && inet_pton(AF_INET, n->gateway, &gw) != 1))
		return qerr_set(err, EINVAL, "interface %s: bad address or gateway", n->device);
	if (same_as_early(n, addr, gw))
		return 0;
	unsigned idx = if_nametoindex(n->device);
	if (!idx)
		return qerr_sys(err, errno, "interface %s", n->device);
	int fd = nl_open(), e;
	if (fd < 0)
		return qerr_sys(err, -fd, "netlink socket");
	if (early.set) {   /* other settings than the command line's: drop its address */
		unsigned eidx = if_nametoindex(early.device);
		if (eidx)
			addr_del(fd, eidx, early.addr, early.prefix);
		early.set = false;
	}
	if ((e = link_up(fd, idx, n->mtu)) < 0)
		qerr_sys(err, -e, "bring %s up", n->device);
	else if ((e = addr_add(fd, idx, addr, n->prefix)) < 0)
		qerr_sys(err, -e, "address %s/%u on %s", n->address, n->prefix, n->device);
	else if (n->gateway && (e = route_default(fd, idx, gw)) < 0)
		qerr_sys(err, -e, "default route via %s", n->gateway);
	close(fd);
	return e < 0 ? e : 0;
}

int net_early(struct qerr *err)
{
	char v[128], *addr, *slash, *gw;
	if (cmdline_get("qpod.net", v, sizeof v) < 0)
		return 0;
	/* DEV,ADDR/PREFIX,GATEWAY */
	if (!(addr = strchr(v, ',')) || !(gw = strchr(addr + 1, ',')) || !(slash = strchr(addr + 1, '/')) || slash > gw)
		return qerr_set(err, EINVAL, "qpod.net=%s: not DEV,ADDR/PREFIX,GATEWAY", v);
	*addr++ = *slash++ = *gw++ = '\0';
	char *end;
	unsigned long prefix = strtoul(slash, &end, 10);
	if (*end || prefix < 1 || prefix > 32 || strlen(v) >= sizeof early.device)
		return qerr_set(err, EINVAL, "qpod.net: bad device or prefix");
	struct qp_net n = { .device = v, .address = addr, .prefix = (unsigned)prefix, .gateway = gw };
	int e = net_setup(&n, err);
	if (e < 0)
		return e;
	early.set = true;
	snprintf(early.device, sizeof early.device, "%s", v);
	inet_pton(AF_INET, addr, &early.addr);
	inet_pton(AF_INET, gw, &early.gw);
	early.prefix = (unsigned)prefix;
	return 0;
}
