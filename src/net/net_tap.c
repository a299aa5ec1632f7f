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
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../base/log.h"
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

static void tap_send(struct net_backend *nb, unsigned int q,
		     const struct iovec *iov, int iovcnt)
{
	/* A full tap queue drops the frame, as a busy wire would. */
	while (writev(nb->rx_fd[q], iov, iovcnt) < 0 && errno == EINTR)
		;
}

static ssize_t tap_recv(struct net_backend *nb, unsigned int q, void *buf,
			size_t len)
{
	ssize_t n;

	while ((n = read(nb->rx_fd[q], buf, len)) < 0 && errno == EINTR)
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
	/* Offloads are the interface's: one queue's fd sets them. */
	if (ioctl(nb->rx_fd[0], TUNSETOFFLOAD, off) < 0)
		log_warn("virtio-net tap %s: TUNSETOFFLOAD: %s", t->ifname,
			 strerror(errno));
	else
		t->offloads = off;
}

/* Queues the driver does not use are detached, so the tap sends none. */
static void tap_set_queues(struct net_backend *nb, unsigned int n)
{
	struct tap_backend *t = (struct tap_backend *)nb;

	if (nb->nqueues < 2)
		return;
	for (unsigned int q = 0; q < nb->nqueues; q++) {
		struct ifreq ifr = { .ifr_flags = q < n ? IFF_ATTACH_QUEUE
							: IFF_DETACH_QUEUE };

		if (ioctl(nb->rx_fd[q], TUNSETQUEUE, &ifr) < 0 &&
		    errno != EINVAL) /* already so */
			log_warn("virtio-net tap %s: queue %u: %s", t->ifname,
				 q, strerror(errno));
	}
}

static void tap_destroy(struct net_backend *nb)
{
	for (unsigned int q = 0; q < nb->nqueues; q++)
		close(nb->rx_fd[q]);
	free(nb);
}

static const struct net_backend_ops tap_ops = {
	.send = tap_send,
	.recv = tap_recv,
	.set_offloads = tap_set_offloads,
	.set_queues = tap_set_queues,
	.destroy = tap_destroy,
};

/*
 * One queue of the tap: -1 with errno when it cannot be had, *opened
 * then saying whether /dev/net/tun itself opened.
 */
static int tap_open_queue(const char *ifname, bool multi, bool *opened)
{
	struct ifreq ifr = { 0 };
	int hdr = VNET_HDR_LEN;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	*opened = fd >= 0;
	if (fd < 0)
		return -1;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
			(multi ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Why the tap could not be had, in one line that says what is needed.
 * A user that is not root (without CAP_NET_ADMIN) can attach only to a
 * tap that exists and is that user's (or its group's): TUNSETIFF on one
 * that does not exist, or is someone else's, is EPERM; one that
 * something else holds (without multi_queue) is EBUSY.
 */
static void tap_open_error(const char *ifname, bool opened, int err)
{
	const struct passwd *pw = getpwuid(geteuid());
	char user[64], sys[64];

	if (!opened) {
		log_error(
			"virtio-net tap=%s: cannot open /dev/net/tun (%s)%s",
			ifname, strerror(err),
			err == EACCES || err == EPERM
				? ": it must be readable and writable by this user (it usually is: mode 0666)"
				: "");
		return;
	}
	if (err == EBUSY) {
		log_error(
			"virtio-net tap=%s: cannot attach to the tap (%s): something else has it attached (one at a time, unless it was made with multi_queue)",
			ifname, strerror(err));
		return;
	}
	if ((err != EPERM && err != EACCES) || geteuid() == 0) {
		log_error(
			"virtio-net tap=%s: cannot attach to the tap (%s)%s",
			ifname, strerror(err),
			err == EPERM
				? ": making a tap, or attaching to another user's, needs CAP_NET_ADMIN"
				: "");
		return;
	}
	if (pw && pw->pw_name && pw->pw_name[0])
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned int)geteuid());
	snprintf(sys, sizeof(sys), "/sys/class/net/%s", ifname);
	if (access(sys, F_OK) == 0) {
		log_error(
			"virtio-net tap=%s: cannot attach to the tap (%s): it exists but is not yours; root can make it yours: ip tuntap del dev %s mode tap; ip tuntap add dev %s mode tap user %s",
			ifname, strerror(err), ifname, ifname, user);
		return;
	}
	log_error(
		"virtio-net tap=%s: cannot attach to the tap (%s): as a user that is not root, the tap must exist, made persistent for you by root: ip tuntap add dev %s mode tap user %s",
		ifname, strerror(err), ifname, user);
}

struct net_backend *net_tap_create(const char *ifname, unsigned int queues)
{
	struct tap_backend *t = calloc(1, sizeof(*t));
	bool multi = queues > 1, opened;
	int fd;

	if (!t)
		return NULL;
	t->nb.ops = &tap_ops;
	t->nb.vnet_hdr = true;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	if (queues > NET_MAX_QUEUES)
		queues = NET_MAX_QUEUES;
	fd = tap_open_queue(ifname, multi, &opened);
	if (fd < 0 && multi && errno == EINVAL) {
		/* A tap made without multi_queue: one queue it is. */
		multi = false;
		queues = 1;
		fd = tap_open_queue(ifname, false, &opened);
	}
	if (fd < 0) {
		tap_open_error(ifname, opened, errno);
		free(t);
		return NULL;
	}
	t->nb.rx_fd[t->nb.nqueues++] = fd;
	while (t->nb.nqueues < queues) {
		fd = tap_open_queue(ifname, true, &opened);
		if (fd < 0)
			break; /* fewer queues, still a working tap */
		t->nb.rx_fd[t->nb.nqueues++] = fd;
	}
	return &t->nb;
}
