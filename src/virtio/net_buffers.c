// SPDX-License-Identifier: MIT
/*
 * virtio-net's buffer handling, apart from the device so that a fuzzer can
 * drive it: frames out of transmit chains, frames into receive chains.
 * Chains come from vq_pop, so every segment is inside guest RAM.
 */
#include <stdint.h>
#include <string.h>

#include "net_buffers.h"

int net_tx_iov(const struct vq_chain *c, bool with_hdr, struct iovec *iov,
	       const char **why)
{
	if (c->readable < VNET_HDR_LEN) {
		*why = "a virtio-net transmit buffer without its header";
		return -1;
	}
	return vq_chain_iov(c, false, with_hdr ? 0 : VNET_HDR_LEN, SIZE_MAX,
			    iov);
}

uint8_t *net_rx_byte(const struct vq_chain *c, size_t off)
{
	for (unsigned int i = 0; i < c->count; i++) {
		const struct vq_seg *s = &c->seg[i];

		if (!s->device_writable)
			continue;
		if (off < s->len)
			return (uint8_t *)s->host + off;
		off -= s->len;
	}
	return NULL;
}
