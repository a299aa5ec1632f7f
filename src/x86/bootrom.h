/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_X86_BOOTROM_H
#define SCORPI_X86_BOOTROM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A UEFI firmware image (-o bootrom=), such as Debian's OVMF_CODE_4M.fd,
 * mapped so that it ends at 4 GiB: the CPU's reset vector, 16 bytes
 * below, is its first instruction.
 */
struct x86_bootrom {
	void *host; /* read-only mapping of the file */
	uint64_t size;
	uint64_t gpa;
	/* The image starts with its own variable store (OVMF.fd). */
	bool unified;
};

/*
 * The variable store below a code image (-o bootvars=), the CFI flash
 * OVMF programs: its file, open read-write and locked, and where it is.
 */
struct x86_bootvars {
	int fd;
	uint64_t size;
	uint64_t gpa;
};

/* OVMF's flash blocks, what its erase clears (OvmfPkgDefines.fdf.inc). */
#define X86_BOOTVARS_BLOCK 4096

#define X86_BOOTROM_MIN (64ull << 10)
#define X86_BOOTROM_MAX (16ull << 20)

/* Opens and checks path; logs one line and returns -1 if it is unfit. */
int x86_bootrom_open(const char *path, struct x86_bootrom *rom);
void x86_bootrom_close(struct x86_bootrom *rom);
/*
 * The size of the variable store a code image goes with: OVMF's flash
 * is a power of two (2 or 4 MiB), code at its top and variables below
 * (OVMF_CODE_4M.fd, 0x37C000 bytes, and OVMF_VARS_4M.fd, 0x84000). 0 for
 * a unified image or one that fills its power of two.
 */
uint64_t x86_bootvars_size(const struct x86_bootrom *rom);
/*
 * Opens path as the store for rom, creating it when it does not exist
 * as a copy of the firmware's blank store beside it (OVMF_VARS_4M.fd for
 * OVMF_CODE_4M.fd); checks its size and that it is writable, and locks
 * it. Logs one line and
 * returns -1 if it is unfit, having created or changed nothing.
 */
int x86_bootvars_open(const char *path, const char *rom_path,
		      const struct x86_bootrom *rom, struct x86_bootvars *vars);
/* Checks an image already in memory; the reason it is unfit, or NULL. */
const char *x86_bootrom_check(const uint8_t *img, uint64_t size, bool *unified);

#endif
