/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_X86_E820_H
#define SCORPI_X86_E820_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define E820_MAX_ENTRIES 128

/* The guest's memory map for mem_size bytes of RAM; returns the count. */
unsigned int x86_e820_build(uint64_t mem_size, struct e820_entry *map,
			    unsigned int max);

#endif
