/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_BLK_REQUEST_H
#define SCORPI_BLK_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtqueue.h"

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_WRITE_ZEROES_UNMAP 1
#define BLK_ID_BYTES 20
#define BLK_SECTOR 512ull

/* The disk as the parser needs to know it. */
struct blk_disk_info {
	uint64_t capacity; /* in 512-byte sectors */
	bool ro;
};

/*
 * A request read from its descriptor chain. Data buffers are described by
 * iov (an array the caller gives, with room for the chain's segments).
 */
struct blk_request {
	uint32_t type;
	uint8_t status; /* VIRTIO_BLK_S_OK: carry it out; else answer this */
	uint8_t *status_byte; /* where the answer goes, in guest memory */
	uint64_t offset; /* in bytes */
	uint64_t len; /* data bytes: IN, OUT, GET_ID, the zeroed range */
	uint32_t flags; /* WRITE_ZEROES: VIRTIO_BLK_WRITE_ZEROES_UNMAP */
	struct iovec *iov;
	int iovcnt;
};

/*
 * Reads the request in chain c. Returns 0, or -1 with *why set when the
 * chain cannot be a request at all (no header or no status byte): the
 * driver is broken and the device must be reset. A well-formed request
 * that cannot be served (out of range, a write to a read-only disk, an
 * unknown type) is returned with an error status instead.
 */
int blk_request_parse(const struct vq_chain *c, const struct blk_disk_info *d,
		      struct iovec *iov, struct blk_request *r,
		      const char **why);

/*
 * Whether a read, write or WRITE_ZEROES fits the image's alignment: its
 * offset and length multiples of block (the block size the guest was
 * offered), and each data buffer's address and length of mem (what
 * O_DIRECT needs; 1 without it). BLK_DIO_OK: as it is; BLK_DIO_BOUNCE:
 * through an aligned copy of the data; BLK_DIO_REFUSE: answer IOERR.
 * Both alignments are powers of two.
 */
enum blk_dio { BLK_DIO_OK, BLK_DIO_BOUNCE, BLK_DIO_REFUSE };
enum blk_dio blk_request_dio_check(const struct blk_request *r, uint32_t block,
				   uint32_t mem);
/* Copies the request's data buffers into buf (r->len bytes), or back. */
void blk_request_copy_out(const struct blk_request *r, uint8_t *buf);
void blk_request_copy_in(const struct blk_request *r, const uint8_t *buf);

/* The bytes written into the chain once the request ends with status. */
uint32_t blk_request_written(const struct blk_request *r);

#endif
