// SPDX-License-Identifier: MIT
/*
 * The arm64 Image direct boot: synthetic Image headers, parsed and loaded
 * from temporary files into guest RAM that is only a host mapping, checked
 * against Documentation/arch/arm64/booting.rst.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arm64/layout.h"
#include "arm64/linux_boot.h"
#include "base/guest_ram.h"

#include "check.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void wr(uint8_t *p, size_t off, unsigned int size, uint64_t v)
{
	for (unsigned int i = 0; i < size; i++)
		p[off + i] = v >> (8 * i);
}

static uint8_t pattern(uint64_t i, uint8_t seed)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + (i >> 16) * 31 + seed);
}

struct img {
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
	uint32_t magic;
	size_t file_len;
};

/* A 6.x kernel: text_offset 0, 4K pages, placed anywhere. */
static struct img img_default(void)
{
	return (struct img){
		.text_offset = 0,
		.image_size = 24 * MiB + 0x3000,
		.flags = 0xa, /* 4K pages, anywhere */
		.magic = 0x644d5241,
		.file_len = 20 * MiB + 12345,
	};
}

/* The file: a header, then pattern(i, 0x5a) for every byte after it. */
static uint8_t *img_build(const struct img *m)
{
	uint8_t *b = calloc(1, m->file_len < 64 ? 64 : m->file_len);

	if (!b)
		abort();
	for (size_t i = 0; i < m->file_len; i++)
		b[i] = pattern(i, 0x5a);
	if (m->file_len >= 64) {
		memset(b, 0, 64);
		b[0] = 'M';
		b[1] = 'Z';
		wr(b, 0x04, 4, 0x14000000 | 0x4000); /* b stext */
		wr(b, 0x08, 8, m->text_offset);
		wr(b, 0x10, 8, m->image_size);
		wr(b, 0x18, 8, m->flags);
		wr(b, 0x38, 4, m->magic);
		wr(b, 0x3c, 4, 0x40); /* PE header offset */
	}
	return b;
}

static int tmp_file(const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	const uint8_t *p = data;
	int fd;

	snprintf(path, sizeof(path), "%s/scorpi-arm64-boot-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		abort();
	}
	unlink(path);
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			perror("write");
			abort();
		}
		p += n;
		len -= n;
	}
	return fd;
}

static int img_file(const struct img *m)
{
	uint8_t *b = img_build(m);
	int fd = tmp_file(b, m->file_len);

	free(b);
	return fd;
}

static int initrd_file(size_t len, uint8_t seed)
{
	uint8_t *b = malloc(len ? len : 1);
	int fd;

	if (!b)
		abort();
	for (size_t i = 0; i < len; i++)
		b[i] = pattern(i, seed);
	fd = tmp_file(b, len);
	free(b);
	return fd;
}

static int sparse_file(uint64_t len)
{
	int fd = tmp_file("", 0);

	if (ftruncate(fd, len) < 0) {
		perror("ftruncate");
		abort();
	}
	return fd;
}

static int parse(const struct img *m, struct arm64_image_header *hdr, char *err,
		 size_t errlen)
{
	uint8_t *b = img_build(m);
	int r = arm64_image_parse(b, m->file_len < 64 ? m->file_len : 64,
				  m->file_len, hdr, err, errlen);

	free(b);
	return r;
}

static void test_parse_good(void)
{
	struct img m = img_default();
	struct arm64_image_header hdr;
	char err[160] = "";

	CHECK_EQ(parse(&m, &hdr, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_EQ(hdr.code1, 0x14004000);
	CHECK_EQ(hdr.text_offset, 0);
	CHECK_EQ(hdr.image_size, m.image_size);
	CHECK_EQ(hdr.flags, 0xa);
	CHECK(!hdr.legacy);
	CHECK_EQ(hdr.page_size, 4096);
	CHECK(hdr.place_anywhere);
	CHECK_EQ(hdr.load_size, m.file_len);

	/* The page sizes, and 2 MiB-aligned placement. */
	m.flags = 0x4;
	CHECK_EQ(parse(&m, &hdr, err, sizeof(err)), 0);
	CHECK_EQ(hdr.page_size, 16384);
	CHECK(!hdr.place_anywhere);
	m.flags = 0x6;
	CHECK_EQ(parse(&m, &hdr, err, sizeof(err)), 0);
	CHECK_EQ(hdr.page_size, 65536);
	m.flags = 0;
	CHECK_EQ(parse(&m, &hdr, err, sizeof(err)), 0);
	CHECK_EQ(hdr.page_size, 0);

	/* A 4.x kernel: text_offset 0x80000. */
	m.text_offset = 0x80000;
	CHECK_EQ(parse(&m, &hdr, err, sizeof(err)), 0);
	CHECK_EQ(hdr.text_offset, 0x80000);

	/* A signature past image_size is not loaded. */
	m = img_default();
	m.image_size = m.file_len - 4096;
	CHECK_EQ(parse(&m, &hdr, err, sizeof(err)), 0);
	CHECK_EQ(hdr.load_size, m.image_size);
}

static void test_parse_legacy(void)
{
	struct img m = img_default();
	struct arm64_image_header hdr;
	char err[160];

	/* Before 3.17: image_size 0, and text_offset of unknown endianness. */
	m.image_size = 0;
	m.text_offset = 0x0008000000000000ull;
	m.flags = 0x1234567;
	CHECK_EQ(parse(&m, &hdr, err, sizeof(err)), 0);
	CHECK(hdr.legacy);
	CHECK_EQ(hdr.text_offset, 0x80000);
	CHECK_EQ(hdr.image_size, m.file_len);
	CHECK_EQ(hdr.load_size, m.file_len);
	CHECK_EQ(hdr.flags, 0);
	CHECK_EQ(hdr.page_size, 0);
	CHECK(!hdr.place_anywhere);
}

static void expect_refused(const struct img *m, const char *reason)
{
	struct arm64_image_header hdr;
	char err[160] = "";

	CHECK_EQ(parse(m, &hdr, err, sizeof(err)), -1);
	CHECK_STR(err, reason);
	CHECK(strchr(err, '\n') == NULL);
}

static void test_parse_bad(void)
{
	struct img m = img_default();
	uint8_t gz[64] = { 0x1f, 0x8b, 0x08 }, zboot[64] = "MZ\0\0zimg";
	struct arm64_image_header hdr;
	char err[160];

	m.magic = 0x644d5242;
	expect_refused(&m, "not an arm64 Linux Image (no \"ARM\\x64\" magic)");
	m = img_default();
	m.flags |= 1;
	expect_refused(&m,
		       "a big-endian kernel (only little-endian is supported)");
	m = img_default();
	m.file_len = 63;
	expect_refused(
		&m, "truncated arm64 Image (shorter than its 64-byte header)");
	m.file_len = 0;
	expect_refused(
		&m, "truncated arm64 Image (shorter than its 64-byte header)");
	m = img_default();
	m.text_offset = 0x80001;
	expect_refused(&m, "corrupt arm64 Image header (text_offset 0x80001)");
	m.text_offset = 0x200000;
	expect_refused(&m, "corrupt arm64 Image header (text_offset 0x200000)");
	m = img_default();
	m.image_size = 32;
	expect_refused(&m, "corrupt arm64 Image header (image_size 32)");

	/* What distributions ship instead of an Image gets a hint. */
	CHECK_EQ(arm64_image_parse(gz, sizeof(gz), 1000000, &hdr, err,
				   sizeof(err)),
		 -1);
	CHECK_STR(err,
		  "a gzip-compressed kernel: decompress it to an Image first");
	CHECK_EQ(arm64_image_parse(zboot, sizeof(zboot), 1000000, &hdr, err,
				   sizeof(err)),
		 -1);
	CHECK(strstr(err, "EFI zboot") != NULL);
	/* A short error buffer is cut, not overrun. */
	m = img_default();
	m.magic = 0;
	{
		char small[8];

		memset(small, 'x', sizeof(small));
		CHECK_EQ(parse(&m, &hdr, small, sizeof(small)), -1);
		CHECK_EQ(strlen(small), 7);
	}
}

static void ram_setup(struct guest_ram *ram, uint64_t mem_size)
{
	if (guest_ram_alloc(ram, mem_size) < 0 ||
	    guest_ram_add_region(ram, ARM64_RAM_BASE, mem_size) < 0)
		abort();
}

static uint64_t mismatches(const uint8_t *p, uint64_t len, uint64_t from,
			   uint8_t seed)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < len; i++)
		bad += p[i] != pattern(from + i, seed);
	return bad;
}

static void test_load(void)
{
	struct img m = img_default();
	struct guest_ram ram;
	struct arm64_boot_layout out;
	struct arm64_boot_files f = { img_file(&m), -1 };
	uint64_t mem = 256 * MiB;
	uint8_t *k, *bss;

	ram_setup(&ram, mem);
	/* Dirty RAM, as after a reboot: the kernel's BSS must be zeroed. */
	memset(guest_ram_ptr(&ram, ARM64_RAM_BASE, mem), 0xcc, mem);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	CHECK_EQ(out.kernel_base, ARM64_RAM_BASE);
	CHECK_EQ(out.entry, ARM64_RAM_BASE);
	CHECK_EQ(out.kernel_end, ARM64_RAM_BASE + m.image_size);
	CHECK_EQ(out.kernel_base % (2 * MiB), 0);
	/* The whole file, header included, at the entry. */
	k = guest_ram_ptr(&ram, out.entry, m.file_len);
	CHECK(k != NULL);
	CHECK(k && k[0] == 'M' && k[0x38] == 'A' && k[0x3b] == 0x64);
	CHECK_EQ(mismatches(k + 64, m.file_len - 64, 64, 0x5a), 0);
	bss = k + m.file_len;
	CHECK(bss[0] == 0 && bss[m.image_size - m.file_len - 1] == 0);
	CHECK(bss[m.image_size - m.file_len] == 0xcc);
	/* The DTB: a 2 MiB block of its own at the end of RAM. */
	CHECK_EQ(out.dtb_addr, ARM64_RAM_BASE + mem - 2 * MiB);
	CHECK_EQ(out.dtb_addr % (2 * MiB), 0);
	CHECK_EQ(out.dtb_max, 2 * MiB);
	CHECK_EQ(out.initrd_start, 0);
	CHECK_EQ(out.initrd_end, 0);
	close(f.kernel_fd);
	guest_ram_free(&ram);
}

static void test_load_text_offset(void)
{
	struct img m = img_default();
	struct guest_ram ram;
	struct arm64_boot_layout out;
	struct arm64_boot_files f;
	uint64_t mem = 128 * MiB;
	uint8_t *k;

	m.text_offset = 0x80000;
	m.flags = 0x2; /* 4K pages, 2 MiB-aligned from the start of RAM */
	f = (struct arm64_boot_files){ img_file(&m), -1 };
	ram_setup(&ram, mem);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	CHECK_EQ(out.kernel_base, ARM64_RAM_BASE);
	CHECK_EQ(out.entry, ARM64_RAM_BASE + 0x80000);
	CHECK_EQ(out.kernel_end, ARM64_RAM_BASE + 0x80000 + m.image_size);
	k = guest_ram_ptr(&ram, out.entry, m.file_len);
	CHECK(k && k[0] == 'M');
	CHECK(k && mismatches(k + 64, m.file_len - 64, 64, 0x5a) == 0);
	close(f.kernel_fd);

	/* An old kernel: image_size 0 loads the file at 0x80000. */
	m = img_default();
	m.image_size = 0;
	f = (struct arm64_boot_files){ img_file(&m), -1 };
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	CHECK_EQ(out.entry, ARM64_RAM_BASE + 0x80000);
	CHECK_EQ(out.kernel_end, out.entry + m.file_len);
	close(f.kernel_fd);
	guest_ram_free(&ram);
}

static void test_load_initrd(void)
{
	struct img m = img_default();
	struct guest_ram ram;
	struct arm64_boot_layout out;
	struct arm64_boot_files f = { img_file(&m),
				      initrd_file(5 * MiB + 7, 3) };
	uint64_t mem = 256 * MiB;
	uint8_t *p;

	ram_setup(&ram, mem);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	/* After the kernel's whole image_size, page aligned. */
	CHECK(out.initrd_start >= out.kernel_end);
	CHECK_EQ(out.initrd_start % 4096, 0);
	CHECK_EQ(out.initrd_end - out.initrd_start, 5 * MiB + 7);
	/* Below the DTB's block, and in RAM. */
	CHECK(out.initrd_end <= out.dtb_addr);
	CHECK(out.initrd_end <= ARM64_RAM_BASE + mem);
	p = guest_ram_ptr(&ram, out.initrd_start, 5 * MiB + 7);
	CHECK(p && mismatches(p, 5 * MiB + 7, 0, 3) == 0);
	/* The kernel is intact under it. */
	p = guest_ram_ptr(&ram, out.entry, m.file_len);
	CHECK(p && mismatches(p + 64, m.file_len - 64, 64, 0x5a) == 0);
	close(f.initrd_fd);

	/* An empty initrd is allowed. */
	f.initrd_fd = initrd_file(0, 0);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	CHECK_EQ(out.initrd_end, out.initrd_start);
	CHECK(out.initrd_start >= out.kernel_end);
	close(f.initrd_fd);
	close(f.kernel_fd);
	guest_ram_free(&ram);
}

static void test_initrd_too_big(void)
{
	struct img m = img_default();
	struct guest_ram ram;
	struct arm64_boot_layout out;
	struct arm64_boot_files f = { img_file(&m), -1 };
	uint64_t mem = 128 * MiB, room;

	ram_setup(&ram, mem);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	room = out.dtb_addr - ((out.kernel_end + 2 * MiB - 1) & ~(2 * MiB - 1));
	/* Exactly what fits between the kernel and the DTB... */
	f.initrd_fd = sparse_file(room);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	CHECK(out.initrd_end <= out.dtb_addr);
	close(f.initrd_fd);
	/* ...and one byte more is refused. */
	f.initrd_fd = sparse_file(room + 1);
	fprintf(stderr, "(an initrd error is expected next)\n");
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), -1);
	close(f.initrd_fd);
	/* Far more than RAM. */
	f.initrd_fd = sparse_file(4 * GiB);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), -1);
	close(f.initrd_fd);
	close(f.kernel_fd);
	guest_ram_free(&ram);
}

static void test_kernel_too_big(void)
{
	struct img m = img_default();
	struct guest_ram ram;
	struct arm64_boot_layout out;
	struct arm64_boot_files f;
	uint64_t mem = 32 * MiB;

	/* 24 MiB of kernel leaves no room for the DTB's 2 MiB in 24 MiB. */
	ram_setup(&ram, 24 * MiB);
	f = (struct arm64_boot_files){ img_file(&m), -1 };
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, 24 * MiB, &f, &out),
		 -1);
	guest_ram_free(&ram);
	/* In 32 MiB it fits. */
	ram_setup(&ram, mem);
	CHECK_EQ(arm64_linux_load(&ram, ARM64_RAM_BASE, mem, &f, &out), 0);
	CHECK_EQ(out.dtb_addr, ARM64_RAM_BASE + 30 * MiB);
	CHECK(out.kernel_end <= out.dtb_addr);
	close(f.kernel_fd);
	guest_ram_free(&ram);
}

static void test_check(void)
{
	struct img m = img_default();
	int good = img_file(&m), bad;

	CHECK_EQ(arm64_linux_check(good), 0);
	m.magic = 0x12345678;
	bad = img_file(&m);
	fprintf(stderr, "(a kernel error is expected next)\n");
	CHECK_EQ(arm64_linux_check(bad), -1);
	close(good);
	close(bad);
}

TEST_MAIN(TEST(test_parse_good), TEST(test_parse_legacy), TEST(test_parse_bad),
	  TEST(test_load), TEST(test_load_text_offset), TEST(test_load_initrd),
	  TEST(test_initrd_too_big), TEST(test_kernel_too_big),
	  TEST(test_check))
