// SPDX-License-Identifier: MIT
/*
 * virtio-blk request parsing: each request type laid out as Linux's
 * driver does (header, data, status byte), split across segments in odd
 * places; the refusals (out of range, unaligned, writes to a read-only
 * disk, unknown types) answered with an error status; and the chains that
 * cannot be requests at all, which reset the device.
 */
#include "base/bus.h"
#include "check.h"
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

/*
 * A direct-I/O image with 4096-byte blocks, 512-byte buffer alignment:
 * a request off its blocks is refused (it would be EINVAL), one with
 * unaligned buffers is copied, an aligned one goes as it is.
 */
static void test_dio_check(void)
{
	static uint8_t buf[16384] __attribute__((aligned(4096)));
	struct iovec v[2];
	struct blk_request r = { .type = VIRTIO_BLK_T_IN, .iov = v };

	v[0] = (struct iovec){ buf, 4096 };
	r.iovcnt = 1;
	r.offset = 8192;
	r.len = 4096;
	CHECK_EQ(blk_request_dio_check(&r, 4096, 512), BLK_DIO_OK);
	CHECK_EQ(blk_request_dio_check(&r, 512, 1), BLK_DIO_OK);
	r.offset = 8192 + 512;
	CHECK_EQ(blk_request_dio_check(&r, 4096, 512), BLK_DIO_REFUSE);
	CHECK_EQ(blk_request_dio_check(&r, 512, 1), BLK_DIO_OK);
	r.offset = 8192;
	r.len = 512;
	v[0].iov_len = 512;
	CHECK_EQ(blk_request_dio_check(&r, 4096, 512), BLK_DIO_REFUSE);
	/* Aligned offset and length; buffers split off 512 boundaries. */
	r.len = 4096;
	v[0] = (struct iovec){ buf + 1, 100 };
	v[1] = (struct iovec){ buf + 8192, 3996 };
	r.iovcnt = 2;
	CHECK_EQ(blk_request_dio_check(&r, 4096, 512), BLK_DIO_BOUNCE);
	CHECK_EQ(blk_request_dio_check(&r, 4096, 1), BLK_DIO_OK);
	v[0] = (struct iovec){ buf + 512, 1024 };
	v[1] = (struct iovec){ buf + 8192, 3072 };
	CHECK_EQ(blk_request_dio_check(&r, 4096, 512), BLK_DIO_OK);
	CHECK_EQ(blk_request_dio_check(&r, 4096, 4096), BLK_DIO_BOUNCE);
	/* WRITE_ZEROES has no buffers: only its range counts. */
	r = (struct blk_request){ .type = VIRTIO_BLK_T_WRITE_ZEROES,
				  .offset = 4096,
				  .len = 1 << 20 };
	CHECK_EQ(blk_request_dio_check(&r, 4096, 512), BLK_DIO_OK);
	r.len += 512;
	CHECK_EQ(blk_request_dio_check(&r, 4096, 512), BLK_DIO_REFUSE);
}

static void test_bounce_copy(void)
{
	uint8_t a[100], b[300], flat[400], back[400];
	struct iovec v[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct blk_request r = { .iov = v, .iovcnt = 2, .len = 400 };

	for (int i = 0; i < 100; i++)
		a[i] = i;
	for (int i = 0; i < 300; i++)
		b[i] = 100 + i;
	blk_request_copy_out(&r, flat);
	for (int i = 0; i < 400; i++)
		CHECK_EQ(flat[i], (uint8_t)i);
	for (int i = 0; i < 400; i++)
		back[i] = 255 - i;
	blk_request_copy_in(&r, back);
	CHECK_EQ(a[0], 255);
	CHECK_EQ(a[99], 156);
	CHECK_EQ(b[0], 155);
	CHECK_EQ(b[299], (uint8_t)(255 - 399));
}

TEST_MAIN(TEST(test_read), TEST(test_read_shared_status), TEST(test_write),
	  TEST(test_out_of_range), TEST(test_get_id_and_flush),
	  TEST(test_discard), TEST(test_malformed), TEST(test_dio_check),
	  TEST(test_bounce_copy))
