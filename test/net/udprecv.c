/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udprecv.c: a UDP server for the network suite, run inside the guest
 * (busybox's nc has no UDP): udprecv PORT binds 0.0.0.0:PORT, prints
 * "ready" on stderr, then prints the first datagram it receives on stdout
 * and exits 0. Built static with musl so it runs from any test root.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[65536];
	if (argc != 2)
		return 2;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("udprecv");
		return 1;
	}
	fprintf(stderr, "ready\n");
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < 0) {
		perror("udprecv: recv");
		return 1;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}
