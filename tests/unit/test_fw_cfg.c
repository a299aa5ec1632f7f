// SPDX-License-Identifier: MIT
/*
 * fw_cfg as OVMF's QemuFwCfgLib drives it: the signature and feature
 * items, the file directory, reads through the data port and by DMA,
 * and a guest's bad descriptors, which set the error bit and touch
 * nothing outside guest RAM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/guest_ram.h"
#include "devices/fw_cfg.h"

#include "check.h"

#define RAM_SIZE (1u << 20)
#define DESC 0x1000
#define BUF 0x2000

struct rig {
	struct guest_ram ram;
	struct fw_cfg *fw;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	if (guest_ram_alloc(&r->ram, RAM_SIZE) < 0 ||
	    guest_ram_add_region(&r->ram, 0, RAM_SIZE) < 0)
		abort();
	r->fw = fw_cfg_create(&r->ram);
	if (!r->fw)
		abort();
}

static void rig_free(struct rig *r)
{
	fw_cfg_destroy(r->fw);
	guest_ram_free(&r->ram);
}

static void port_write(struct rig *r, unsigned int off, unsigned int size,
		       uint64_t v, bool big_endian)
{
	uint8_t b[8];

	for (unsigned int i = 0; i < size; i++)
		b[i] = big_endian ? v >> (8 * (size - 1 - i)) : v >> (8 * i);
	fw_cfg_port_access(r->fw, off, b, size, true);
}

static void select_key(struct rig *r, uint16_t key)
{
	port_write(r, 0, 2, key, false);
}

static void read_data(struct rig *r, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fw_cfg_port_access(r->fw, 1, &out[i], 1, false);
}

static uint8_t *ram(struct rig *r, uint64_t gpa)
{
	return guest_ram_ptr(&r->ram, gpa, 1);
}

static uint64_t be(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be(uint8_t *p, unsigned int size, uint64_t v)
{
	for (unsigned int i = size; i-- > 0; v >>= 8)
		p[i] = v;
}

/* Runs one DMA descriptor at desc; returns the control word after. */
static uint32_t dma(struct rig *r, uint64_t desc, uint32_t control,
		    uint32_t len, uint64_t addr)
{
	uint8_t *d = guest_ram_ptr(&r->ram, desc, 16);

	if (d) {
		put_be(d, 4, control);
		put_be(d + 4, 4, len);
		put_be(d + 8, 8, addr);
	}
	port_write(r, 4, 4, desc >> 32, true);
	port_write(r, 8, 4, desc & 0xffffffffu, true);
	return d ? be(d, 4) : 0;
}

static void test_identity(void)
{
	struct rig r;
	uint8_t b[8];

	rig_init(&r);
	select_key(&r, FW_CFG_SIGNATURE);
	read_data(&r, b, 4);
	CHECK(!memcmp(b, "QEMU", 4));
	/* Past the end of an item reads zeros. */
	read_data(&r, b, 1);
	CHECK_EQ(b[0], 0);
	select_key(&r, FW_CFG_ID);
	read_data(&r, b, 4);
	CHECK_EQ(b[0], 3); /* traditional interface and DMA */
	/* The DMA register reads "QEMU CFG", as OVMF may check. */
	fw_cfg_port_access(r.fw, 4, b, 8, false);
	CHECK(!memcmp(b, "QEMU CFG", 8));
	/* An item that is not there reads zeros. */
	select_key(&r, 0x3fff);
	read_data(&r, b, 2);
	CHECK_EQ(b[0] | b[1], 0);
	rig_free(&r);
}

static void test_directory(void)
{
	struct rig r;
	uint8_t dir[4 + 2 * 64], b[16];

	rig_init(&r);
	CHECK_EQ(fw_cfg_add_file(r.fw, "etc/e820", "0123456789", 10), 0);
	CHECK_EQ(fw_cfg_add_file(r.fw, "etc/table-loader", "abc", 3), 0);
	select_key(&r, FW_CFG_FILE_DIR);
	read_data(&r, dir, sizeof(dir));
	CHECK_EQ(be(dir, 4), 2);
	CHECK_EQ(be(dir + 4, 4), 10);
	CHECK_EQ(be(dir + 8, 2), FW_CFG_FILE_FIRST);
	CHECK_STR((const char *)dir + 12, "etc/e820");
	CHECK_EQ(be(dir + 68, 4), 3);
	CHECK_EQ(be(dir + 72, 2), FW_CFG_FILE_FIRST + 1);
	CHECK_STR((const char *)dir + 76, "etc/table-loader");
	select_key(&r, FW_CFG_FILE_FIRST + 1);
	read_data(&r, b, 3);
	CHECK(!memcmp(b, "abc", 3));
	/* A name too long for the directory is refused. */
	CHECK_EQ(fw_cfg_add_file(r.fw,
				 "opt/a-name-that-is-far-too-long-for-the-"
				 "directory-entry-of-56-bytes",
				 "x", 1),
		 -1);
	rig_free(&r);
}

static void test_dma(void)
{
	struct rig r;
	uint8_t *buf;

	rig_init(&r);
	CHECK_EQ(fw_cfg_add_file(r.fw, "etc/x", "hello", 5), 0);
	buf = ram(&r, BUF);
	memset(buf, 0xaa, 16);
	/* Select and read, past the end: zeros after the item. */
	CHECK_EQ(dma(&r, DESC,
		     (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT |
			     FW_CFG_DMA_READ,
		     8, BUF),
		 0);
	CHECK(!memcmp(buf, "hello\0\0\0", 8));
	CHECK_EQ(buf[8], 0xaa);
	/* Skip, then read on from the offset it left. */
	memset(buf, 0xaa, 16);
	dma(&r, DESC,
	    (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT |
		    FW_CFG_DMA_SKIP,
	    2, 0);
	CHECK_EQ(dma(&r, DESC, FW_CFG_DMA_READ, 3, BUF), 0);
	CHECK(!memcmp(buf, "llo", 3));
	/* The data port goes on from where DMA stopped. */
	dma(&r, DESC,
	    (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT |
		    FW_CFG_DMA_READ,
	    1, BUF);
	read_data(&r, buf, 1);
	CHECK_EQ(buf[0], 'e');
	/* One 8-byte write of the address works too. */
	select_key(&r, FW_CFG_SIGNATURE);
	put_be(ram(&r, DESC), 4, FW_CFG_DMA_READ);
	put_be(ram(&r, DESC) + 4, 4, 4);
	put_be(ram(&r, DESC) + 8, 8, BUF);
	port_write(&r, 4, 8, DESC, true);
	CHECK_EQ(be(ram(&r, DESC), 4), 0);
	CHECK(!memcmp(buf, "QEMU", 4));
	rig_free(&r);
}

/* What a hostile guest may name: the error bit, nothing else. */
static void test_dma_bad(void)
{
	struct rig r;

	rig_init(&r);
	CHECK_EQ(fw_cfg_add_file(r.fw, "etc/x", "hello", 5), 0);
	/* A target outside RAM, and one that runs past its end. */
	CHECK_EQ(dma(&r, DESC,
		     (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT |
			     FW_CFG_DMA_READ,
		     5, 0xfee00000),
		 FW_CFG_DMA_ERROR);
	CHECK_EQ(dma(&r, DESC, FW_CFG_DMA_READ, 64, RAM_SIZE - 8),
		 FW_CFG_DMA_ERROR);
	CHECK_EQ(dma(&r, DESC, FW_CFG_DMA_READ, 0xffffffffu, BUF),
		 FW_CFG_DMA_ERROR);
	/* Nothing is writable. */
	CHECK_EQ(dma(&r, DESC, FW_CFG_DMA_WRITE, 4, BUF), FW_CFG_DMA_ERROR);
	/* A descriptor outside RAM, or across its end: ignored. */
	dma(&r, 0xfffffffffffff000ull, FW_CFG_DMA_READ, 4, BUF);
	dma(&r, RAM_SIZE - 8, FW_CFG_DMA_READ, 4, BUF);
	/* A huge skip stops at the end; the item still reads from there. */
	CHECK_EQ(dma(&r, DESC,
		     (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT |
			     FW_CFG_DMA_SKIP,
		     0xffffffffu, 0),
		 0);
	CHECK_EQ(dma(&r, DESC, FW_CFG_DMA_READ, 2, BUF), 0);
	CHECK_EQ(ram(&r, BUF)[0], 0);
	rig_free(&r);
}

/* An item read from a file when the guest asks, not copied. */
static void test_fd_item(void)
{
	char path[] = "/tmp/scorpi-fw-cfg-XXXXXX";
	int fd = mkstemp(path);
	struct rig r;
	uint8_t b[4];

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	rig_init(&r);
	CHECK_EQ(fw_cfg_add_item_fd(r.fw, FW_CFG_KERNEL_DATA, fd, 4, 6), 0);
	CHECK_EQ(dma(&r, DESC,
		     (uint32_t)FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_SELECT |
			     FW_CFG_DMA_READ,
		     8, BUF),
		 0);
	CHECK(!memcmp(ram(&r, BUF), "456789\0\0", 8));
	select_key(&r, FW_CFG_KERNEL_DATA);
	read_data(&r, b, 2);
	CHECK(!memcmp(b, "45", 2));
	/* A reset selects nothing. */
	fw_cfg_reset(r.fw);
	read_data(&r, b, 1);
	CHECK_EQ(b[0], 0);
	rig_free(&r);
	close(fd);
}

TEST_MAIN(TEST(test_identity), TEST(test_directory), TEST(test_dma),
	  TEST(test_dma_bad), TEST(test_fd_item))
