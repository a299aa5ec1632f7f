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

#define X86_BOOTROM_MIN (64ull << 10)
#define X86_BOOTROM_MAX (16ull << 20)

/* Opens and checks path; logs one line and returns -1 if it is unfit. */
int x86_bootrom_open(const char *path, struct x86_bootrom *rom);
void x86_bootrom_close(struct x86_bootrom *rom);
/* Checks an image already in memory; the reason it is unfit, or NULL. */
const char *x86_bootrom_check(const uint8_t *img, uint64_t size, bool *unified);

#endif
