/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_NET_BUFFERS_H
#define SCORPI_NET_BUFFERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtqueue.h"

/* virtio_net_hdr_v1: flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset, num_buffers; 12 bytes under VIRTIO_F_VERSION_1. */
#define VNET_HDR_LEN 12
#define VNET_HDR_NUM_BUFFERS 10

/*
 * A transmit chain's frame: iov over its readable part, from its header
 * on (with_hdr) or from just after it. Returns the number of iovecs, or
 * -1 with *why set when the chain has no whole header.
 */
int net_tx_iov(const struct vq_chain *c, bool with_hdr, struct iovec *iov,
	       const char **why);

/* Where byte `off` of the chain's writable part is, or NULL. */
uint8_t *net_rx_byte(const struct vq_chain *c, size_t off);

#endif
