/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_X86_LINUX_BOOT_H
#define SCORPI_X86_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "../base/guest_ram.h"
#include "../hv/hv_x86.h"

/* What the setup header of a bzImage says (Documentation/x86/boot.rst). */
struct bzimage_header {
	uint16_t version;
	uint32_t setup_size; /* bytes before the protected-mode kernel */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t init_size; /* memory the kernel needs from its load address */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint32_t hdr_end; /* the setup header ends at this file offset */
};

/* Bytes of the file that bzimage_parse needs. */
#define BZIMAGE_HEADER_BYTES 1024

/*
 * Checks that buf (the file's first bytes) is a bzImage that can enter in
 * 64-bit mode; on failure writes the reason to err and returns -1.
 */
int bzimage_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		  struct bzimage_header *hdr, char *err, size_t errlen);

/* Checks the kernel file before anything else is set up. */
int x86_linux_check(int kernel_fd);

struct linux_boot_files {
	int kernel_fd;
	int initrd_fd; /* -1: none */
	const char *cmdline; /* NULL: empty */
	uint64_t rsdp_addr;
};

/*
 * Loads the kernel, initrd, command line, zero page (with the e820 map),
 * GDT and identity page tables into guest RAM, and fills the BSP's entry
 * state. Errors are printed as one line.
 */
int x86_linux_load(struct guest_ram *ram, uint64_t mem_size,
		   const struct linux_boot_files *files,
		   struct x86_boot_state *state);

#endif
