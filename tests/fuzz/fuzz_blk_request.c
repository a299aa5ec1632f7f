// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the virtio-blk request parser: the input becomes
 * a descriptor chain (segments of a buffer, readable then writable, as
 * vq_pop hands them out) whose first bytes a hostile driver chose. Every
 * parsed request is checked: its data buffers lie inside the chain's
 * segments of the right direction, its length matches them, its status
 * byte is the chain's last writable byte, and a request the parser accepts
 * is inside the disk; then every byte it would touch is touched.
 *
 * Input: [0] segment count, [1] disk size selector and read-only bit,
 * then 3 bytes per segment (le16 length, flags: bit 0 writable), then the
 * buffer contents.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_chain.h"
#include "virtio/blk_request.h"

static struct vq_chain chain;
static struct iovec iov[VQ_MAX_SEGS];
static uint8_t buf[FUZZ_BUF_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blk_disk_info disk;
	struct blk_request r;
	const char *why = NULL;
	unsigned int nseg, i;
	uint64_t total = 0;

	if (size < 2)
		return 0;
	nseg = data[0] % 16 + 1;
	disk.capacity = (uint64_t)1 << (data[1] % 64);
	disk.ro = data[1] & 0x80;
	if (size < 2 + 3 * nseg)
		return 0;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, data + 2 + 3 * nseg,
	       size - 2 - 3 * nseg < FUZZ_BUF_SIZE ? size - 2 - 3 * nseg
						   : FUZZ_BUF_SIZE);
	fuzz_chain(&chain, buf, nseg, data + 2);
	if (blk_request_parse(&chain, &disk, iov, &r, &why) < 0) {
		require(why != NULL);
		return 0;
	}
	require(r.status_byte == (uint8_t *)chain.seg[chain.count - 1].host +
					 chain.seg[chain.count - 1].len - 1);
	*r.status_byte = r.status;
	for (i = 0; i < (unsigned int)r.iovcnt; i++) {
		bool writable = r.type != VIRTIO_BLK_T_OUT;

		require(iov[i].iov_len > 0);
		require(fuzz_in_segment(&chain, iov[i].iov_base, iov[i].iov_len,
					writable));
		/* The status byte is never handed out as data. */
		require((uint8_t *)iov[i].iov_base + iov[i].iov_len <=
				r.status_byte ||
			(uint8_t *)iov[i].iov_base > r.status_byte);
		memset(iov[i].iov_base, 0x5a, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	if (r.status == VIRTIO_BLK_S_OK) {
		if (r.type == VIRTIO_BLK_T_IN || r.type == VIRTIO_BLK_T_OUT) {
			require(total == r.len && r.len % BLK_SECTOR == 0);
			require(r.offset / BLK_SECTOR + r.len / BLK_SECTOR <=
				disk.capacity);
			require(r.type == VIRTIO_BLK_T_IN || !disk.ro);
		}
		if (r.type == VIRTIO_BLK_T_GET_ID)
			require(total == r.len && r.len <= BLK_ID_BYTES);
		if (r.type == VIRTIO_BLK_T_DISCARD ||
		    r.type == VIRTIO_BLK_T_WRITE_ZEROES)
			require(!disk.ro &&
				r.offset / BLK_SECTOR + r.len / BLK_SECTOR <=
					disk.capacity);
	}
	require(blk_request_written(&r) <= chain.writable);
	return 0;
}
