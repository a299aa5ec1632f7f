// SPDX-License-Identifier: MIT
/*
 * virtio-net's buffer handling, apart from the device so that a fuzzer can
 * drive it: frames out of transmit chains, frames into receive chains.
 * Chains come from vq_pop, so every segment is inside guest RAM.
 */
#include <string.h>

#include "net_buffers.h"

int net_tx_iov(const struct vq_chain *c, bool with_hdr, struct iovec *iov,
	       const char **why)
{
	uint64_t skip = with_hdr ? 0 : VNET_HDR_LEN;
	int n = 0;

	if (c->readable < VNET_HDR_LEN) {
		*why = "a virtio-net transmit buffer without its header";
		return -1;
	}
	for (unsigned int i = 0; i < c->count; i++) {
		const struct vq_seg *s = &c->seg[i];

		if (s->device_writable)
			break;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		iov[n++] = (struct iovec){ (uint8_t *)s->host + skip,
					   s->len - skip };
		skip = 0;
	}
	return n;
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
