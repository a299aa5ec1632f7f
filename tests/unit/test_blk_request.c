// SPDX-License-Identifier: MIT
/*
 * virtio-blk request parsing: each request type laid out as Linux's
 * driver does (header, data, status byte), split across segments in odd
 * places; the refusals (out of range, unaligned, writes to a read-only
 * disk, unknown types) answered with an error status; and the chains that
 * cannot be requests at all, which reset the device.
 */
#include "check.h"
#include "core/bus.h"
#include "virtio/blk_request.h"

static struct vq_chain chain;
static struct iovec iov[VQ_MAX_SEGS];
static uint8_t mem[65536];
static const struct blk_disk_info disk = { .capacity = 2048, .ro = false };
static const struct blk_disk_info rodisk = { .capacity = 2048, .ro = true };

/* Appends a segment at mem[off, off + len). */
static void seg(unsigned int off, uint32_t len, bool writable)
{
	chain.seg[chain.count++] =
		(struct vq_seg){ mem + off, off, len, writable };
	if (writable)
		chain.writable += len;
	else
		chain.readable += len;
}

static void header(uint32_t type, uint64_t sector)
{
	memset(&chain, 0, sizeof(chain));
	memset(mem, 0, 64);
	le_write(mem, 4, type);
	le_write(mem + 8, 8, sector);
}

static void test_read(void)
{
	struct blk_request r;
	const char *why = NULL;

	header(VIRTIO_BLK_T_IN, 10);
	seg(0, 16, false);
	seg(4096, 512, true);
	seg(8192, 1024, true);
	seg(16384, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.offset, 10 * 512);
	CHECK_EQ(r.len, 1536);
	CHECK_EQ(r.iovcnt, 2);
	CHECK(iov[0].iov_base == mem + 4096 && iov[0].iov_len == 512);
	CHECK(iov[1].iov_base == mem + 8192 && iov[1].iov_len == 1024);
	CHECK(r.status_byte == mem + 16384);
	CHECK_EQ(blk_request_written(&r), 1537);
}

/* Data and status in one writable buffer; a header split in two. */
static void test_read_shared_status(void)
{
	struct blk_request r;
	const char *why = NULL;

	header(VIRTIO_BLK_T_IN, 0);
	seg(0, 5, false);
	seg(5, 11, false);
	seg(4096, 513, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.len, 512);
	CHECK_EQ(r.iovcnt, 1);
	CHECK_EQ(iov[0].iov_len, 512);
	CHECK(r.status_byte == mem + 4096 + 512);
}

/* Data right after the header in the same readable buffer. */
static void test_write(void)
{
	struct blk_request r;
	const char *why = NULL;

	header(VIRTIO_BLK_T_OUT, 2047);
	seg(0, 16 + 512, false);
	seg(4096, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.offset, 2047 * 512);
	CHECK_EQ(r.iovcnt, 1);
	CHECK(iov[0].iov_base == mem + 16 && iov[0].iov_len == 512);
	CHECK_EQ(blk_request_written(&r), 1);

	CHECK_EQ(blk_request_parse(&chain, &rodisk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
}

static void test_out_of_range(void)
{
	struct blk_request r;
	const char *why = NULL;

	/* One sector past the end, and a sector number that would wrap. */
	header(VIRTIO_BLK_T_OUT, 2048);
	seg(0, 16 + 512, false);
	seg(4096, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
	header(VIRTIO_BLK_T_IN, UINT64_MAX);
	seg(0, 16, false);
	seg(4096, 513, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(blk_request_written(&r), 1);
	/* Not a whole number of sectors. */
	header(VIRTIO_BLK_T_IN, 0);
	seg(0, 16, false);
	seg(4096, 101, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
}

static void test_get_id_and_flush(void)
{
	struct blk_request r;
	const char *why = NULL;

	header(VIRTIO_BLK_T_GET_ID, 0);
	seg(0, 16, false);
	seg(4096, 64, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.len, BLK_ID_BYTES);
	CHECK_EQ(r.iovcnt, 1);
	CHECK_EQ(blk_request_written(&r), BLK_ID_BYTES + 1);

	header(VIRTIO_BLK_T_FLUSH, 0);
	seg(0, 16, false);
	seg(4096, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.type, VIRTIO_BLK_T_FLUSH);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);

	header(99, 0);
	seg(0, 16, false);
	seg(4096, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_UNSUPP);
}

static void test_discard(void)
{
	struct blk_request r;
	const char *why = NULL;

	header(VIRTIO_BLK_T_WRITE_ZEROES, 0);
	le_write(mem + 16, 8, 8);
	le_write(mem + 24, 4, 16);
	le_write(mem + 28, 4, VIRTIO_BLK_WRITE_ZEROES_UNMAP);
	seg(0, 32, false);
	seg(4096, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r.offset, 8 * 512);
	CHECK_EQ(r.len, 16 * 512);
	CHECK_EQ(r.flags, VIRTIO_BLK_WRITE_ZEROES_UNMAP);
	CHECK_EQ(blk_request_parse(&chain, &rodisk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
	/* A range past the end; a missing segment. */
	le_write(mem + 16, 8, 2040);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
	header(VIRTIO_BLK_T_DISCARD, 0);
	seg(0, 20, false);
	seg(4096, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), 0);
	CHECK_EQ(r.status, VIRTIO_BLK_S_IOERR);
}

/* No header, or no writable status byte: the driver is broken. */
static void test_malformed(void)
{
	struct blk_request r;
	const char *why = NULL;

	header(VIRTIO_BLK_T_IN, 0);
	seg(0, 15, false);
	seg(4096, 1, true);
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), -1);
	CHECK(why != NULL);
	header(VIRTIO_BLK_T_OUT, 0);
	seg(0, 16 + 512, false);
	why = NULL;
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), -1);
	CHECK(why != NULL);
	memset(&chain, 0, sizeof(chain));
	CHECK_EQ(blk_request_parse(&chain, &disk, iov, &r, &why), -1);
}

TEST_MAIN(TEST(test_read), TEST(test_read_shared_status), TEST(test_write),
	  TEST(test_out_of_range), TEST(test_get_id_and_flush),
	  TEST(test_discard), TEST(test_malformed))
