// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the variable store's flash: the input is a
 * script of accesses a hostile guest makes (any command, any order, any
 * width, offsets inside and past the end). Whatever it sends, the file
 * may only change as a flash does: a byte loses bits (program), or a
 * whole block becomes all ones (erase); reads in read-array mode see the
 * file; and the guest's mapping is taken away exactly while the device
 * is in a command mode, and given back with read-array.
 *
 * Input: up to 256 4-byte ops:
 *   [0] bit 0: write; bits 1-2: size 1 << n; bit 3: a reset instead
 *   [1..2] offset, little-endian, mod (flash size + 64)
 *   [3] the byte written (repeated across the access)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/cfi_flash.h"

#define BLOCK 4096u
#define SIZE (2 * BLOCK)

static bool mapped;

static int set_mapped(void *ctx, bool on, const uint8_t *host)
{
	(void)ctx;
	(void)host;
	/* Only changes are asked for. */
	if (on == mapped)
		abort();
	mapped = on;
	return 0;
}

/* Each byte lost bits only, or its block is all ones now. */
static void check_flash_change(const uint8_t *before, const uint8_t *now)
{
	for (unsigned int b = 0; b < SIZE; b += BLOCK) {
		bool erased = true;
		bool cleared_only = true;

		for (unsigned int i = b; i < b + BLOCK; i++) {
			erased &= now[i] == 0xff;
			cleared_only &= (before[i] & now[i]) == now[i];
		}
		if (!erased && !cleared_only)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t before[SIZE];
	struct cfi_flash_config c = {
		.name = "fuzz-vars.fd",
		.size = SIZE,
		.block_size = BLOCK,
		.set_mapped = set_mapped,
	};
	struct cfi_flash *f;
	const uint8_t *file;
	int fd = memfd_create("fuzz-vars", 0);

	if (fd < 0 || ftruncate(fd, SIZE) < 0)
		abort();
	/* Half programmed: bytes to clear and bytes to erase. */
	for (unsigned int i = 0; i < SIZE; i++)
		before[i] = (uint8_t)(i * 37 + 11);
	if (pwrite(fd, before, SIZE, 0) != SIZE)
		abort();
	file = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED)
		abort();
	c.fd = dup(fd);
	f = cfi_flash_create(&c);
	if (!f)
		abort();
	mapped = true;
	for (size_t n = 0; n + 4 <= size && n < 4 * 256; n += 4) {
		const uint8_t *op = data + n;
		unsigned int len = 1u << ((op[0] >> 1) & 3);
		uint64_t off = (op[1] | op[2] << 8) % (SIZE + 64);
		uint8_t buf[8];

		memcpy(before, file, SIZE);
		if (op[0] & 8) {
			cfi_flash_reset(f);
			mapped = true; /* the caller's, at the next boot */
			continue;
		}
		memset(buf, op[3], sizeof(buf));
		cfi_flash_access(f, off, buf, len, op[0] & 1);
		check_flash_change(before, file);
		/* Array reads (mapped or not) show the file. */
		if (!(op[0] & 1) && mapped && off + len <= SIZE &&
		    memcmp(buf, file + off, len))
			abort();
	}
	cfi_flash_destroy(f);
	munmap((void *)file, SIZE);
	close(fd);
	return 0;
}
