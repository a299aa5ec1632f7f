/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_ARM64_LINUX_BOOT_H
#define SCORPI_ARM64_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/guest_ram.h"

/* The 64-byte header of an arm64 Image (arch/arm64/booting.rst). */
#define ARM64_IMAGE_HEADER_BYTES 64

struct arm64_image_header {
	uint32_t code0, code1;
	uint64_t text_offset; /* from a 2 MiB-aligned base */
	uint64_t image_size; /* memory the kernel needs from text_offset */
	uint64_t flags;
	bool legacy; /* image_size was 0: a kernel before 3.17 */
	unsigned int page_size; /* 4096, 16384, 65536; 0: unspecified */
	bool place_anywhere; /* flags bit 3: any 2 MiB-aligned base */
	uint64_t load_size; /* bytes of the file to load */
};

/*
 * Checks that buf (the file's first len bytes, len >= 64 for a good file)
 * is a little-endian arm64 Image and fills hdr; on failure writes a
 * one-line reason to err and returns -1.
 */
int arm64_image_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		      struct arm64_image_header *hdr, char *err, size_t errlen);

/* Checks the kernel file before anything else is set up; logs why not. */
int arm64_linux_check(int kernel_fd);

struct arm64_boot_files {
	int kernel_fd;
	int initrd_fd; /* -1: none */
};

/* Where arm64_linux_load put things; the DTB is the caller's to write. */
struct arm64_boot_layout {
	uint64_t kernel_base; /* the 2 MiB-aligned base */
	uint64_t entry; /* kernel_base + text_offset: the PC, x0 = dtb_addr */
	uint64_t kernel_end; /* entry + image_size */
	uint64_t dtb_addr; /* a 2 MiB-aligned block of its own */
	uint64_t dtb_max; /* bytes available there: 2 MiB */
	uint64_t initrd_start, initrd_end; /* both 0: none */
};

/*
 * Loads the kernel (and the initrd after it) into the guest RAM of
 * mem_size bytes at ram_base, and reserves the DTB's place at the end of
 * RAM. Errors are printed as one line.
 */
int arm64_linux_load(struct guest_ram *ram, uint64_t ram_base,
		     uint64_t mem_size, const struct arm64_boot_files *files,
		     struct arm64_boot_layout *out);

#endif
