/* SPDX-License-Identifier: MIT */
/*
 * The guest's end of a slirp network backend, for the tests that drive
 * one with frames of their own (test_net_slirp.c, test_sandbox.c): the
 * guest's MAC, a frame sent in as if from the guest, and the ARP request
 * that teaches slirp the guest's MAC. The guest is slirp's default,
 * 10.0.2.15; the host is 10.0.2.2.
 */
#ifndef SCORPI_TESTS_SLIRP_GUEST_H
#define SCORPI_TESTS_SLIRP_GUEST_H

#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "net/net_backend.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* One Ethernet frame from the guest, on queue 0. */
static inline void send_frame(struct net_backend *nb, const uint8_t *f,
			      size_t len)
{
	struct iovec iov = { (void *)f, len };

	nb->ops->send(nb, 0, &iov, 1);
}

/* "Who has 10.0.2.2? Tell 10.0.2.15", from the guest. */
static inline void send_arp(struct net_backend *nb)
{
	uint8_t f[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	f[14] = 0, f[15] = 1; /* Ethernet */
	f[16] = 0x08, f[17] = 0x00; /* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, guest_mac, 6);
	f[28] = 10, f[29] = 0, f[30] = 2, f[31] = 15;
	f[38] = 10, f[39] = 0, f[40] = 2, f[41] = 2;
	send_frame(nb, f, sizeof(f));
}

#endif
