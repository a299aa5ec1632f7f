// SPDX-License-Identifier: MIT
/*
 * A tap interface: frames go to and from the host's kernel with a
 * virtio_net_hdr_v1 in front (IFF_VNET_HDR), so checksum and segmentation
 * offloads pass through untouched in both directions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../core/log.h"
#include "net_backend.h"

#define VNET_HDR_LEN 12 /* virtio_net_hdr_v1, with num_buffers */

#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8

struct tap_backend {
	struct net_backend nb; /* first: the device holds this pointer */
	char ifname[IFNAMSIZ];
	unsigned int offloads;
};

static void tap_send(struct net_backend *nb, const struct iovec *iov,
		     int iovcnt)
{
	/* A full tap queue drops the frame, as a busy wire would. */
	while (writev(nb->rx_fd, iov, iovcnt) < 0 && errno == EINTR)
		;
}

static ssize_t tap_recv(struct net_backend *nb, void *buf, size_t len)
{
	ssize_t n;

	while ((n = read(nb->rx_fd, buf, len)) < 0 && errno == EINTR)
		;
	if (n < 0 && errno == EAGAIN)
		return 0;
	return n <= VNET_HDR_LEN ? -1 : n;
}

static void tap_set_offloads(struct net_backend *nb, uint64_t features)
{
	struct tap_backend *t = (struct tap_backend *)nb;
	unsigned int off = 0;

	/* What the guest can take is what the tap may hand us. */
	if (features & (1ull << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (features & (1ull << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (features & (1ull << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
	}
	if (off == t->offloads)
		return;
	if (ioctl(nb->rx_fd, TUNSETOFFLOAD, off) < 0)
		log_warn("virtio-net tap %s: TUNSETOFFLOAD: %s", t->ifname,
			 strerror(errno));
	else
		t->offloads = off;
}

static void tap_destroy(struct net_backend *nb)
{
	if (nb->rx_fd >= 0)
		close(nb->rx_fd);
	free(nb);
}

static const struct net_backend_ops tap_ops = {
	.send = tap_send,
	.recv = tap_recv,
	.set_offloads = tap_set_offloads,
	.destroy = tap_destroy,
};

struct net_backend *net_tap_create(const char *ifname)
{
	struct tap_backend *t = calloc(1, sizeof(*t));
	struct ifreq ifr = { 0 };
	int hdr = VNET_HDR_LEN;

	if (!t)
		return NULL;
	t->nb.ops = &tap_ops;
	t->nb.vnet_hdr = true;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	t->nb.rx_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->nb.rx_fd < 0) {
		log_error("virtio-net tap=%s: /dev/net/tun: %s", ifname,
			  strerror(errno));
		goto fail;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(t->nb.rx_fd, TUNSETIFF, &ifr) < 0) {
		log_error(
			"virtio-net tap=%s: %s%s", ifname, strerror(errno),
			errno == EPERM
				? " (needs CAP_NET_ADMIN, or a tap made for this user with ip tuntap add)"
				: "");
		goto fail;
	}
	if (ioctl(t->nb.rx_fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(t->nb.rx_fd, TUNSETOFFLOAD, 0) < 0) {
		log_error("virtio-net tap=%s: no vnet header support: %s",
			  ifname, strerror(errno));
		goto fail;
	}
	return &t->nb;
fail:
	tap_destroy(&t->nb);
	return NULL;
}
