// SPDX-License-Identifier: MIT
/*
 * virtio-blk requests as the driver lays them out: a 16-byte header
 * {le32 type, le32 reserved, le64 sector}, the data, and a status byte
 * last. Only parsing here, no I/O, so that a fuzzer can drive it.
 */
#include <stdint.h>
#include <string.h>

#include "../base/bus.h"
#include "blk_request.h"

static bool in_range(const struct blk_disk_info *d, uint64_t sector,
		     uint64_t sectors)
{
	return sector <= d->capacity && sectors <= d->capacity - sector;
}

int blk_request_parse(const struct vq_chain *c, const struct blk_disk_info *d,
		      struct iovec *iov, struct blk_request *r,
		      const char **why)
{
	const struct vq_seg *last = c->count ? &c->seg[c->count - 1] : NULL;
	uint8_t hdr[16], seg[16];
	uint64_t sector;

	memset(r, 0, sizeof(*r));
	r->iov = iov;
	if (c->readable < 16 || !last || !last->device_writable) {
		*why = "a virtio-blk request without its header or status byte";
		return -1;
	}
	/* The status byte is the last writable byte; data comes before. */
	r->status_byte = (uint8_t *)last->host + last->len - 1;
	vq_chain_read(c, 0, hdr, 16);
	r->type = le_read(hdr, 4);
	sector = le_read(hdr + 8, 8);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		r->len = r->type == VIRTIO_BLK_T_IN ? c->writable - 1
						    : c->readable - 16;
		if ((r->type == VIRTIO_BLK_T_OUT && d->ro) ||
		    r->len % BLK_SECTOR ||
		    !in_range(d, sector, r->len / BLK_SECTOR)) {
			r->status = VIRTIO_BLK_S_IOERR;
			r->len = 0;
			break;
		}
		r->offset = sector * BLK_SECTOR;
		r->iovcnt = vq_chain_iov(c, r->type == VIRTIO_BLK_T_IN,
					 r->type == VIRTIO_BLK_T_IN ? 0 : 16,
					 r->len, iov);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	case VIRTIO_BLK_T_GET_ID:
		r->len = c->writable - 1;
		if (r->len > BLK_ID_BYTES)
			r->len = BLK_ID_BYTES;
		r->iovcnt = vq_chain_iov(c, true, 0, r->len, iov);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* One segment: {le64 sector, le32 count, le32 flags}. */
		if (d->ro || vq_chain_read(c, 16, seg, 16) != 16) {
			r->status = VIRTIO_BLK_S_IOERR;
			break;
		}
		sector = le_read(seg, 8);
		r->len = le_read(seg + 8, 4) * BLK_SECTOR;
		r->flags = le_read(seg + 12, 4);
		if (!in_range(d, sector, r->len / BLK_SECTOR)) {
			r->status = VIRTIO_BLK_S_IOERR;
			r->len = 0;
			break;
		}
		r->offset = sector * BLK_SECTOR;
		break;
	default:
		r->status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	return 0;
}

uint32_t blk_request_written(const struct blk_request *r)
{
	if (r->status == VIRTIO_BLK_S_OK &&
	    (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID))
		return r->len + 1;
	return 1;
}

enum blk_dio blk_request_dio_check(const struct blk_request *r, uint32_t block,
				   uint32_t mem)
{
	enum blk_dio d = BLK_DIO_OK;

	if ((r->offset | r->len) & (block - 1))
		return BLK_DIO_REFUSE;
	for (int i = 0; i < r->iovcnt; i++) {
		if (((uintptr_t)r->iov[i].iov_base | r->iov[i].iov_len) &
		    (mem - 1))
			d = BLK_DIO_BOUNCE;
	}
	return d;
}

void blk_request_copy_out(const struct blk_request *r, uint8_t *buf)
{
	for (int i = 0; i < r->iovcnt; buf += r->iov[i++].iov_len)
		memcpy(buf, r->iov[i].iov_base, r->iov[i].iov_len);
}

void blk_request_copy_in(const struct blk_request *r, const uint8_t *buf)
{
	for (int i = 0; i < r->iovcnt; buf += r->iov[i++].iov_len)
		memcpy(r->iov[i].iov_base, buf, r->iov[i].iov_len);
}
