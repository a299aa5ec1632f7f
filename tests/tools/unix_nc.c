// SPDX-License-Identifier: MIT
/*
 * unix-nc SOCKET: sends stdin to a Unix stream socket and prints what
 * comes back, up to and including the first newline (or until the peer
 * closes). The arm64 L1's busybox nc has no Unix sockets; the console
 * tests need one.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct pollfd fds[2];
	char buf[4096];
	ssize_t n, i;
	int s;

	if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: unix-nc SOCKET\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror(argv[1]);
		return 1;
	}
	fds[0].fd = 0;
	fds[0].events = POLLIN;
	fds[1].fd = s;
	fds[1].events = POLLIN;
	for (;;) {
		if (poll(fds, 2, -1) < 0)
			return 1;
		if (fds[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0)
				fds[0].fd = -1; /* stays open for the reply */
			else if (write(s, buf, n) != n)
				return 1;
		}
		if (fds[1].revents) {
			n = read(s, buf, sizeof(buf));
			if (n <= 0)
				return 0;
			for (i = 0; i < n && buf[i] != '\n'; i++)
				;
			if (write(1, buf, i < n ? i + 1 : n) < 0)
				return 1;
			if (i < n)
				return 0;
		}
	}
}
