// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for virtio-net's buffer handling: the input becomes a
 * descriptor chain (segments of a buffer, readable then writable, as
 * vq_pop hands them out) and a frame. A transmit parse must describe
 * exactly the chain's readable bytes after (or with) the header, inside
 * readable segments; a receive copy must write only writable segments,
 * as much of the frame as fits; the header bytes it finds must be in them.
 *
 * Input: [0] segment count, [1] with_hdr, then 3 bytes per segment
 * (le16 length, flags: bit 0 writable), then the frame.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_chain.h"
#include "virtio/net_buffers.h"

static struct vq_chain chain;
static struct iovec iov[VQ_MAX_SEGS];
static uint8_t buf[FUZZ_BUF_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int nseg, i;
	const char *why = NULL;
	const uint8_t *frame;
	size_t frame_len, copied, total = 0;
	bool with_hdr;
	int n;

	if (size < 2)
		return 0;
	nseg = data[0] % 16 + 1;
	with_hdr = data[1] & 1;
	if (size < 2 + 3 * nseg)
		return 0;
	fuzz_chain(&chain, buf, nseg, data + 2);
	frame = data + 2 + 3 * nseg;
	frame_len = size - 2 - 3 * nseg;

	n = net_tx_iov(&chain, with_hdr, iov, &why);
	if (n < 0) {
		require(why && chain.readable < VNET_HDR_LEN);
	} else {
		for (i = 0; i < (unsigned int)n; i++) {
			require(iov[i].iov_len > 0);
			require(fuzz_in_segment(&chain, iov[i].iov_base,
						iov[i].iov_len, false));
			total += iov[i].iov_len;
		}
		require(total ==
			chain.readable - (with_hdr ? 0 : VNET_HDR_LEN));
	}

	memset(buf, 0, sizeof(buf));
	copied = vq_chain_write(&chain, frame, frame_len);
	require(copied ==
		(frame_len < chain.writable ? frame_len : chain.writable));
	for (i = 0; i < chain.count; i++) {
		const struct vq_seg *s = &chain.seg[i];

		/* Readable segments stay untouched. */
		if (!s->device_writable)
			for (uint32_t b = 0; b < s->len; b++)
				require(((uint8_t *)s->host)[b] == 0);
	}
	for (size_t b = 0; b < VNET_HDR_LEN + 2; b++) {
		uint8_t *p = net_rx_byte(&chain, b);

		require(b < chain.writable
				? p && fuzz_in_segment(&chain, p, 1, true)
				: !p);
		if (p && b < copied)
			require(*p == frame[b]);
	}
	return 0;
}
