/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_NET_BACKEND_H
#define SCORPI_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * Where a network device's frames go and come from: user-mode networking
 * (slirp) or a tap interface. Calls come from the device's I/O thread.
 */
struct net_backend;
struct net_hostfwd;

#define NET_MAX_QUEUES 8

struct net_backend_ops {
	/*
	 * Sends one Ethernet frame on queue q. With a vnet header, iov starts with the
	 * 12-byte virtio_net_hdr_v1 (the frame may be a TSO super-frame
	 * with a partial checksum); without, iov is the bare frame.
	 */
	void (*send)(struct net_backend *nb, unsigned int q,
		     const struct iovec *iov, int iovcnt);
	/*
	 * Takes one frame received on queue q into buf (header first, with a vnet
	 * header). Returns its length, 0 when none waits, or -1 when the
	 * frame was lost (too long for buf, an error): try again.
	 */
	ssize_t (*recv)(struct net_backend *nb, unsigned int q, void *buf,
			size_t len);
	/* Offloads the guest takes: VIRTIO_NET_F_GUEST_* feature bits.
	 * NULL where none are offered (slirp wants whole, summed frames). */
	void (*set_offloads)(struct net_backend *nb, uint64_t guest_features);
	/* Only queues [0, n) carry traffic now: the driver's choice. NULL
	 * for a backend with one queue. */
	void (*set_queues)(struct net_backend *nb, unsigned int n);
	/* Adds or removes a port forward while running (slirp; NULL for a
	 * tap). Any thread; returns -1 with errno set when it fails. */
	int (*hostfwd)(struct net_backend *nb, const struct net_hostfwd *h,
		       bool add);
	void (*destroy)(struct net_backend *nb);
};

struct net_backend {
	const struct net_backend_ops *ops;
	/* Queues: each rx_fd is readable while its frames wait for recv. */
	unsigned int nqueues;
	int rx_fd[NET_MAX_QUEUES];
	/* Frames carry a virtio_net_hdr_v1, and offloads are possible. */
	bool vnet_hdr;
};

/* The options a backend is made from, checked before the VM starts. */
#define NET_MAX_HOSTFWD 16
struct net_hostfwd {
	bool udp;
	uint32_t host_addr; /* network order; 0: any */
	uint16_t host_port, guest_port;
};

/* Parses tcp|udp:[ADDR]:HOSTPORT-:GUESTPORT; -1 if malformed. */
int net_parse_hostfwd(const char *spec, struct net_hostfwd *h);

struct net_slirp_options {
	unsigned int nhostfwd;
	struct net_hostfwd hostfwd[NET_MAX_HOSTFWD];
};

struct net_backend *net_slirp_create(const struct net_slirp_options *o);
/* With up to `queues` queues (IFF_MULTI_QUEUE) where the tap allows. */
struct net_backend *net_tap_create(const char *ifname, unsigned int queues);

#endif
