/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_GUEST_RAM_H
#define SCORPI_GUEST_RAM_H

#include <stdint.h>

#define GUEST_RAM_MAX_REGIONS 4

/* A range of guest-physical addresses backed by host memory. */
struct ram_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

/*
 * Guest RAM: one host mapping, cut into regions that the platform places
 * around its holes (on x86, below the PCI hole and above 4 GiB).
 */
struct guest_ram {
	uint8_t *host;
	uint64_t size;
	struct ram_region regions[GUEST_RAM_MAX_REGIONS];
	unsigned int count;
};

int guest_ram_alloc(struct guest_ram *ram, uint64_t size);
/* Adds the next `size` bytes of the mapping at guest address gpa. */
int guest_ram_add_region(struct guest_ram *ram, uint64_t gpa, uint64_t size);
void guest_ram_free(struct guest_ram *ram);
/* Gives the pages back to the host: they read as zeros afterwards. */
void guest_ram_discard(struct guest_ram *ram);
/*
 * The host address of [gpa, gpa + len), or NULL unless that whole range
 * is RAM within one region. Every guest address goes through here.
 */
void *guest_ram_ptr(const struct guest_ram *ram, uint64_t gpa, uint64_t len);

/* Reads exactly len bytes of a file at off (a kernel, an initrd) into dst. */
int pread_full(int fd, void *dst, uint64_t len, uint64_t off);

#endif
