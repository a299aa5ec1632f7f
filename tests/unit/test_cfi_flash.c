// SPDX-License-Identifier: MIT
/*
 * The variable store's flash as OVMF drives it (QemuFlash.c): its probe
 * must find a flash, its program and erase must reach the file, reads
 * must see the status register outside read-array mode (the guest's
 * mapping taken away) and the array again after 0xFF; commands it lacks
 * are refused with the sequence-error bits, and accesses out of range
 * touch nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/cfi_flash.h"

#include "check.h"

#define SIZE (4 * 4096)
#define BLOCK 4096

struct rig {
	char path[64];
	int fd; /* a second descriptor: what the file holds */
	struct cfi_flash *f;
	int mapped; /* what set_mapped last said, -1 before any call */
	unsigned int map_calls;
};

static int rig_set_mapped(void *ctx, bool mapped, const uint8_t *host)
{
	struct rig *r = ctx;

	(void)host;
	r->mapped = mapped;
	r->map_calls++;
	return 0;
}

static void rig_init(struct rig *r, uint8_t fill)
{
	uint8_t buf[SIZE];
	struct cfi_flash_config c = {
		.name = "vars.fd",
		.size = SIZE,
		.block_size = BLOCK,
		.set_mapped = rig_set_mapped,
		.ctx = r,
	};

	memset(r, 0, sizeof(*r));
	r->mapped = -1;
	snprintf(r->path, sizeof(r->path), "/tmp/scorpi-cfi-XXXXXX");
	r->fd = mkstemp(r->path);
	if (r->fd < 0)
		abort();
	unlink(r->path);
	memset(buf, fill, sizeof(buf));
	/* An FV header's zero vector, then its GUID: the probe's place. */
	memset(buf, 0, 16);
	buf[16] = 0x8d;
	if (pwrite(r->fd, buf, sizeof(buf), 0) != sizeof(buf))
		abort();
	c.fd = dup(r->fd);
	r->f = cfi_flash_create(&c);
	if (!r->f)
		abort();
}

static void rig_free(struct rig *r)
{
	cfi_flash_destroy(r->f);
	close(r->fd);
}

static void wr(struct rig *r, uint64_t off, uint8_t v)
{
	cfi_flash_access(r->f, off, &v, 1, true);
}

static uint8_t rd(struct rig *r, uint64_t off)
{
	uint8_t v = 0x5a;

	cfi_flash_access(r->f, off, &v, 1, false);
	return v;
}

static uint8_t file_byte(struct rig *r, uint64_t off)
{
	uint8_t v = 0x5a;

	if (pread(r->fd, &v, 1, off) != 1)
		abort();
	return v;
}

/* OVMF's QemuFlashDetected, step by step: it must say "FLASH". */
static void test_probe(void)
{
	struct rig r;
	uint64_t at = 0;

	rig_init(&r, 0xff);
	/* The first byte that is not 0x50, 0x70 or 0x00. */
	while (at < BLOCK &&
	       (rd(&r, at) == 0x50 || rd(&r, at) == 0x70 || rd(&r, at) == 0x00))
		at++;
	CHECK_EQ(at, 16);
	CHECK_EQ(rd(&r, at), 0x8d);
	wr(&r, at, 0x50);
	/* Not RAM: the 0x50 is a command, not data. */
	CHECK_EQ(rd(&r, at), 0x8d);
	wr(&r, at, 0x70);
	CHECK_EQ(r.mapped, 0);
	/* Not ROM: a cleared status. */
	CHECK_EQ(rd(&r, at), 0x00);
	wr(&r, at, 0xff);
	CHECK_EQ(r.mapped, 1);
	CHECK_EQ(rd(&r, at), 0x8d);
	/* The probe changed nothing. */
	CHECK_EQ(file_byte(&r, at), 0x8d);
	rig_free(&r);
}

/* QemuFlashWrite: 0x10 and the byte, for each byte, then 0xFF. */
static void test_program(void)
{
	struct rig r;
	const uint8_t data[] = { 0x12, 0x34, 0xf0 };

	rig_init(&r, 0xff);
	for (unsigned int i = 0; i < sizeof(data); i++) {
		wr(&r, 100 + i, 0x10);
		CHECK_EQ(r.mapped, 0);
		wr(&r, 100 + i, data[i]);
		/* Status mode until 0xFF: ready. */
		CHECK_EQ(rd(&r, 100 + i), CFI_STATUS_READY);
	}
	wr(&r, 102, 0xff);
	CHECK_EQ(r.mapped, 1);
	for (unsigned int i = 0; i < sizeof(data); i++) {
		CHECK_EQ(rd(&r, 100 + i), data[i]);
		CHECK_EQ(file_byte(&r, 100 + i), data[i]);
	}
	/* Bits only go from 1 to 0: 0xF0 then 0x0F gives 0x00. */
	wr(&r, 102, 0x40);
	wr(&r, 102, 0x0f);
	wr(&r, 102, 0xff);
	CHECK_EQ(rd(&r, 102), 0x00);
	CHECK_EQ(file_byte(&r, 102), 0x00);
	rig_free(&r);
}

/* QemuFlashEraseBlock: 0x20, 0xD0 at the block; the block only. */
static void test_erase(void)
{
	struct rig r;

	rig_init(&r, 0x00);
	wr(&r, BLOCK + 17, 0x20);
	wr(&r, BLOCK + 17, 0xd0);
	CHECK_EQ(rd(&r, BLOCK), CFI_STATUS_READY);
	for (uint64_t off = BLOCK; off < 2 * BLOCK; off += 511)
		CHECK_EQ(file_byte(&r, off), 0xff);
	CHECK_EQ(file_byte(&r, BLOCK - 1), 0x00);
	CHECK_EQ(file_byte(&r, 2 * BLOCK), 0x00);
	/* 0x20 then 0xFF: back to reading, nothing erased. */
	wr(&r, 2 * BLOCK, 0x20);
	wr(&r, 2 * BLOCK, 0xff);
	CHECK_EQ(r.mapped, 1);
	CHECK_EQ(rd(&r, 2 * BLOCK), 0x00);
	/* Clear status: 0 again, and read array. */
	wr(&r, 0, 0x50);
	wr(&r, 0, 0x70);
	CHECK_EQ(rd(&r, 0), 0x00);
	rig_free(&r);
}

/* What the flash lacks, and what is outside it. */
static void test_refused(void)
{
	struct rig r;
	uint8_t wide[8];

	rig_init(&r, 0xff);
	wr(&r, 200, 0x98); /* CFI query */
	CHECK_EQ(r.map_calls, 0);
	CHECK_EQ(rd(&r, 200), 0xff);
	wr(&r, 200, 0x70);
	CHECK_EQ(rd(&r, 200),
		 CFI_STATUS_ERASE_ERROR | CFI_STATUS_PROGRAM_ERROR);
	/* An erase set up and then something else: refused, no erase. */
	wr(&r, 0, 0x50);
	wr(&r, 0, 0x20);
	wr(&r, 0, 0x42);
	CHECK_EQ(file_byte(&r, 16), 0x8d);
	/* Out of range: ignored, reads as all ones. */
	wr(&r, SIZE, 0x10);
	wr(&r, SIZE, 0x00);
	CHECK_EQ(rd(&r, SIZE + 5), 0xff);
	memset(wide, 0, sizeof(wide));
	cfi_flash_access(r.f, SIZE - 4, wide, 8, false);
	CHECK_EQ(wide[0], 0xff);
	/* A reset: read array, status clear. */
	wr(&r, 0, 0x70);
	cfi_flash_reset(r.f);
	CHECK_EQ(rd(&r, 16), 0x8d);
	wr(&r, 0, 0x70);
	CHECK_EQ(rd(&r, 0), 0x00);
	rig_free(&r);
}

/* A wider access programs every byte it covers. */
static void test_wide(void)
{
	struct rig r;
	uint8_t cmd[4] = { 0x10, 0, 0, 0 }, data[4] = { 1, 2, 3, 4 };

	rig_init(&r, 0xff);
	cfi_flash_access(r.f, 300, cmd, 4, true);
	cfi_flash_access(r.f, 300, data, 4, true);
	cfi_flash_access(r.f, 300, data, 4, false);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(data[i], CFI_STATUS_READY);
	wr(&r, 300, 0xff);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(file_byte(&r, 300 + i), i + 1);
	rig_free(&r);
}

TEST_MAIN(TEST(test_probe), TEST(test_program), TEST(test_erase),
	  TEST(test_refused), TEST(test_wide))
