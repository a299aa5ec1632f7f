// SPDX-License-Identifier: MIT
/*
 * The slirp backend on its own, with real libslirp and real host sockets:
 * an ARP request for the host's address (10.0.2.2) is answered, and a
 * connection to a hostfwd port on the host's loopback comes to the guest
 * as a TCP SYN for the guest's port, once slirp knows the guest.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net/net_backend.h"
#include "slirp_guest.h"

/* Waits up to 5 s for a frame of the given ethertype. */
static ssize_t wait_frame(struct net_backend *nb, uint8_t *buf, size_t len,
			  uint16_t ethertype)
{
	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = nb->rx_fd[0], .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 100);
		while ((n = nb->ops->recv(nb, 0, buf, len)) != 0) {
			if (n >= 14 && (buf[12] << 8 | buf[13]) == ethertype)
				return n;
		}
	}
	return 0;
}

static void test_arp(void)
{
	struct net_slirp_options o = { 0 };
	struct net_backend *nb = net_slirp_create(&o);
	uint8_t buf[2048];
	ssize_t n;

	CHECK(nb != NULL);
	if (!nb)
		return;
	CHECK(!nb->vnet_hdr);
	send_arp(nb);
	n = wait_frame(nb, buf, sizeof(buf), 0x0806);
	CHECK(n >= 42);
	CHECK(!memcmp(buf, guest_mac, 6)); /* to us */
	CHECK_EQ(buf[21], 2); /* a reply */
	CHECK_EQ(buf[28], 10);
	CHECK_EQ(buf[31], 2); /* from 10.0.2.2 */
	nb->ops->destroy(nb);
}

static void test_hostfwd(void)
{
	struct net_slirp_options o = { .nhostfwd = 1 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct net_backend *nb;
	uint8_t buf[2048];
	int probe, fd;
	ssize_t n;

	/* A free port: bind one, note it, let it go. */
	probe = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(probe, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(probe, (struct sockaddr *)&a, &alen) == 0);
	close(probe);
	o.hostfwd[0] = (struct net_hostfwd){ .host_port = ntohs(a.sin_port),
					     .guest_port = 8022 };
	nb = net_slirp_create(&o);
	CHECK(nb != NULL);
	if (!nb)
		return;
	send_arp(nb); /* slirp learns the guest's MAC */
	wait_frame(nb, buf, sizeof(buf), 0x0806);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(fd, (struct sockaddr *)&a, sizeof(a));
	n = wait_frame(nb, buf, sizeof(buf), 0x0800);
	CHECK(n >= 54);
	CHECK_EQ(buf[23], 6); /* TCP */
	CHECK_EQ(buf[30], 10);
	CHECK_EQ(buf[33], 15); /* to 10.0.2.15 */
	CHECK_EQ(buf[36] << 8 | buf[37], 8022);
	CHECK(buf[47] & 0x02); /* SYN */
	close(fd);
	nb->ops->destroy(nb);

	/* The same port twice: the second cannot listen. */
	nb = net_slirp_create(&o);
	CHECK(nb != NULL);
	if (nb) {
		struct net_backend *again = net_slirp_create(&o);

		CHECK(again == NULL);
		nb->ops->destroy(nb);
	}
}

TEST_MAIN(TEST(test_arp), TEST(test_hostfwd))
