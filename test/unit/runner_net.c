/* SPDX-License-Identifier: Apache-2.0 */
/* runner_net.c: -p, --add-host and --dns parsing, the qemu netdev, and the
 * STARTPOD network object written by the runner and read by hyperstart. */
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"
#include "tap.h"

static void publish(void)
{
	struct publish p;
	struct qerr err;
	ok(net_parse_publish("8080:80", &p, &err) == 0, "HOST:GUEST");
	is_int(p.host, 8080, "host port");
	is_int(p.guest, 80, "guest port");
	is_str(p.ip, "", "no IP: every address");
	ok(!p.udp, "tcp by default");
	ok(net_parse_publish("127.0.0.1:5353:53/udp", &p, &err) == 0, "IP:HOST:GUEST/udp");
	is_str(p.ip, "127.0.0.1", "the IP");
	ok(p.udp, "udp");
	ok(net_parse_publish("1:65535/tcp", &p, &err) == 0, "the extremes, /tcp");
	ok(net_parse_publish("8000-8002:80-82", &p, &err) == 0 && p.count == 3 && p.host == 8000 && p.guest == 80,
	   "docker's range HOST-HOST:GUEST-GUEST: three ports from the first");
	const char *bad_ranges[] = { "8000-8001:80-82", "8002-8000:82-80", "8000-8002:80", "80:80-82" };
	for (size_t i = 0; i < sizeof bad_ranges / sizeof *bad_ranges; i++)
		ok(net_parse_publish(bad_ranges[i], &p, &err) < 0 && strstr(err.msg, "a range needs"), bad_ranges[i]);
	const char *bad[] = { "70000:80", "abc", "80:80/sctp", "80", ":80", "80:", "0:80", "1.2.3:80:80",
			      "[::1]:80:80", "-1:80", "80:80/", "8080:80x", "999999:1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int r = net_parse_publish(bad[i], &p, &err);
		ok(r < 0 && strstr(err.msg, bad[i]), bad[i]);
	}
	char nd[512];
	struct publish two[2];
	net_parse_publish("127.0.0.1:8080:80", &two[0], &err);
	net_parse_publish("9000:9000/udp", &two[1], &err);
	ok(net_netdev(two, 2, false, nd, sizeof nd) == 0, "netdev fits");
	ok(strstr(nd, ",hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80,hostfwd=udp::9000-10.0.2.15:9000") != NULL,
	   "host forwards in qemu's syntax");
	ok(net_netdev(two, 2, true, nd, sizeof nd) == 0, "netdev in a namespace of its own fits");
	ok(strstr(nd, ",hostfwd=tcp::8080-10.0.2.15:80,hostfwd=udp::9000-10.0.2.15:9000") != NULL,
	   "in its namespace qemu takes each host port on every address (pasta brings it from the IP asked)");
	ok(net_netdev(two, 2, false, nd, 40) < 0, "a netdev that does not fit is refused");
}

static void hosts(void)
{
	struct qp_host h;
	struct qerr err;
	ok(net_parse_add_host("db:10.1.2.3", &h, &err) == 0, "NAME:IP");
	is_str(h.name, "db", "name");
	is_str(h.ip, "10.1.2.3", "ip");
	free(h.name), free(h.ip);
	ok(net_parse_add_host("v6=::1", &h, &err) == 0, "NAME=IPv6");
	is_str(h.ip, "::1", "ipv6 after the first separator");
	free(h.name), free(h.ip);
	ok(net_parse_add_host("gw:host-gateway", &h, &err) == 0, "host-gateway");
	is_str(h.ip, "10.0.2.2", "host-gateway is the host's address");
	free(h.name), free(h.ip);
	ok(net_parse_add_host("nocolon", &h, &err) < 0, "no IP");
	ok(net_parse_add_host("a b:1.2.3.4", &h, &err) < 0, "a space in the name");
	ok(net_parse_add_host("x:1.2.3.4\n5.6.7.8 evil", &h, &err) < 0, "a newline in the IP");
	ok(net_parse_dns("10.0.2.3", &err) == 0, "--dns IPv4");
	ok(net_parse_dns("10.0.2", &err) < 0, "--dns not an address");
}

static void wire(void)
{
	struct qp_host extra[1] = { { "db", "10.1.2.3" } }, buf[QP_MAX_HOSTS];
	struct qp_pod pod = { .hostname = "web", .share = "rootfs" }, got;
	struct qerr err;
	struct jw w;
	const char *json;
	size_t len;
	net_guest(true, true, NULL, extra, 1, &pod.net, buf);
	jw_init(&w);
	qp_pod_write(&w, &pod);
	ok(jw_done(&w, &json, &len) == 0, "STARTPOD encodes");
	ok(qp_pod_read((const uint8_t *)json, len, &got, &err) == 0, "and decodes");
	is_str(got.net.device, "eth0", "device");
	is_str(got.net.address, "10.0.2.15", "address");
	is_int(got.net.prefix, 24, "prefix");
	is_str(got.net.gateway, "10.0.2.2", "gateway");
	is_str(got.net.dns ? got.net.dns[0] : NULL, "10.0.2.3", "qemu's resolver by default");
	is_int(got.net.nhosts, 3, "with the host's loopback: host.containers.internal, host.docker.internal, db");
	is_str(got.net.nhosts == 3 ? got.net.hosts[2].name : NULL, "db", "--add-host last");
	qp_pod_free(&got);
	jw_free(&w);

	net_guest(true, false, NULL, extra, 1, &pod.net, buf);
	jw_init(&w);
	qp_pod_write(&w, &pod);
	jw_done(&w, &json, &len);
	ok(qp_pod_read((const uint8_t *)json, len, &got, &err) == 0, "the default network decodes");
	is_int(got.net.nhosts, 1, "without the host's loopback no name points at it: db only");
	qp_pod_free(&got);
	jw_free(&w);

	net_guest(false, false, NULL, NULL, 0, &pod.net, buf);
	jw_init(&w);
	qp_pod_write(&w, &pod);
	jw_done(&w, &json, &len);
	ok(qp_pod_read((const uint8_t *)json, len, &got, &err) == 0, "--network none decodes");
	ok(got.net.device == NULL && got.net.dns == NULL && got.net.nhosts == 0, "loopback only, image resolv.conf");
	qp_pod_free(&got);
	jw_free(&w);

	const char *bad[] = {
		"{\"shareDir\":\"r\",\"network\":[]}",
		"{\"shareDir\":\"r\",\"network\":{\"device\":\"eth0\",\"address\":\"10.0.2.15\"}}",
		"{\"shareDir\":\"r\",\"network\":{\"device\":\"eth0\",\"address\":\"10.0.2.15\",\"prefix\":33}}",
		"{\"shareDir\":\"r\",\"network\":{\"dns\":[\"1.1.1.1\\nnameserver 6.6.6.6\"]}}",
		"{\"shareDir\":\"r\",\"network\":{\"hosts\":[{\"name\":\"a b\",\"ip\":\"1.2.3.4\"}]}}",
		"{\"shareDir\":\"r\",\"network\":{\"hosts\":[{\"name\":\"a\"}]}}",
		"{\"shareDir\":\"r\",\"network\":{\"dns\":[1,2]}}",
		"{\"shareDir\":\"r\",\"network\":{\"device\":\"../../x\",\"address\":\"1.2.3.4\",\"prefix\":8}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(qp_pod_read((const uint8_t *)bad[i], strlen(bad[i]), &got, &err) < 0, bad[i]);
}

int main(void)
{
	plan(61);
	publish();
	hosts();
	wire();
	return done();
}
