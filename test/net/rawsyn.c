/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rawsyn.c: a hostile guest's way past its own kernel's rules, for the
 * escape suite: rawsyn VIA SRC DST PORT sends one TCP SYN from SRC to
 * DST:PORT, built whole by guest root (a raw IP socket: the IP header is
 * ours), to the next hop of VIA, whatever DST is: 127.0.0.1 included,
 * which no kernel would send out. Whoever gets the packet, the VM's
 * user-mode network, decides where the connection goes. Exit 0 once it is
 * sent. Built static with musl so it runs from any test root.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint16_t sum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int main(int argc, char **argv)
{
	uint8_t p[40] = { 0 }, pseudo[12 + 20];
	struct in_addr via, src, dst;
	if (argc != 5 || !inet_aton(argv[1], &via) || !inet_aton(argv[2], &src) || !inet_aton(argv[3], &dst)) {
		fprintf(stderr, "usage: rawsyn VIA SRC DST PORT\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IP_HDRINCL: the header as written */
	if (fd < 0) {
		perror("rawsyn: socket");
		return 1;
	}
	uint8_t *ip = p, *tcp = p + 20;
	ip[0] = 0x45;                               /* IPv4, 20-byte header, 40 in all */
	ip[3] = 40;
	ip[8] = 64;                                 /* TTL */
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	uint16_t sport = (uint16_t)(40000 + getpid() % 20000), dport = (uint16_t)atoi(argv[4]);
	tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
	tcp[7] = 1;                                 /* sequence number */
	tcp[12] = 5 << 4;                           /* 20-byte header */
	tcp[13] = 0x02;                             /* SYN */
	tcp[14] = 0xfa, tcp[15] = 0xf0;             /* window */
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0, pseudo[9] = IPPROTO_TCP, pseudo[10] = 0, pseudo[11] = 20;
	memcpy(pseudo + 12, tcp, 20);
	uint16_t c = sum(pseudo, sizeof pseudo);
	tcp[16] = (uint8_t)(c >> 8), tcp[17] = (uint8_t)c;
	/* routed as if to VIA: the kernel leaves the header's destination as it is */
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = via };
	if (sendto(fd, p, sizeof p, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)sizeof p) {
		perror("rawsyn: sendto");
		return 1;
	}
	return 0;
}
