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

#include "virtio/net_buffers.h"

#define BUF_SIZE 65536

static struct vq_chain chain;
static struct iovec iov[VQ_MAX_SEGS];
static uint8_t buf[BUF_SIZE];

#define require(cond)                     \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static bool in_segment(const void *p, size_t len, bool writable)
{
	for (unsigned int i = 0; i < chain.count; i++) {
		const struct vq_seg *s = &chain.seg[i];
		const uint8_t *b = s->host;

		if (s->device_writable == writable && (const uint8_t *)p >= b &&
		    (const uint8_t *)p + len <= b + s->len)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int nseg, off = 0, i;
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
	memset(&chain, 0, sizeof(chain));
	for (i = 0; i < nseg; i++) {
		const uint8_t *d = data + 2 + 3 * i;
		uint32_t len = (d[0] | d[1] << 8) % 4096 + 1;
		bool writable = (d[2] & 1) || chain.writable;

		if (off + len > BUF_SIZE)
			break;
		chain.seg[chain.count++] =
			(struct vq_seg){ buf + off, off, len, writable };
		if (writable)
			chain.writable += len;
		else
			chain.readable += len;
		off += len;
	}
	frame = data + 2 + 3 * nseg;
	frame_len = size - 2 - 3 * nseg;

	n = net_tx_iov(&chain, with_hdr, iov, &why);
	if (n < 0) {
		require(why && chain.readable < VNET_HDR_LEN);
	} else {
		for (i = 0; i < (unsigned int)n; i++) {
			require(iov[i].iov_len > 0);
			require(in_segment(iov[i].iov_base, iov[i].iov_len,
					   false));
			total += iov[i].iov_len;
		}
		require(total ==
			chain.readable - (with_hdr ? 0 : VNET_HDR_LEN));
	}

	memset(buf, 0, sizeof(buf));
	copied = net_rx_copy(&chain, frame, frame_len);
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

		require(b < chain.writable ? p && in_segment(p, 1, true) : !p);
		if (p && b < copied)
			require(*p == frame[b]);
	}
	return 0;
}
