// SPDX-License-Identifier: MIT
/*
 * The e820 memory map given to the kernel. RAM below the EBDA, the legacy
 * BIOS area holding the ACPI tables (reserved), RAM from 1 MiB to the PCI
 * hole, the ECAM window (reserved, as Linux wants MMCONFIG to be), and RAM
 * above 4 GiB for what did not fit below.
 */
#include "e820.h"
#include "layout.h"

static unsigned int e820_add(struct e820_entry *map, unsigned int n,
			     unsigned int max, uint64_t addr, uint64_t size,
			     uint32_t type)
{
	if (n < max && size)
		map[n++] = (struct e820_entry){ addr, size, type };
	return n;
}

unsigned int x86_e820_build(uint64_t mem_size, struct e820_entry *map,
			    unsigned int max)
{
	uint64_t low = mem_size < X86_LOW_RAM_END ? mem_size : X86_LOW_RAM_END;
	unsigned int n = 0;

	n = e820_add(map, n, max, 0, X86_EBDA_ADDR, E820_RAM);
	n = e820_add(map, n, max, X86_EBDA_ADDR,
		     X86_BIOS_AREA_END - X86_EBDA_ADDR, E820_RESERVED);
	n = e820_add(map, n, max, X86_BIOS_AREA_END, low - X86_BIOS_AREA_END,
		     E820_RAM);
	n = e820_add(map, n, max, X86_ECAM_BASE, X86_ECAM_SIZE, E820_RESERVED);
	if (mem_size > low)
		n = e820_add(map, n, max, X86_HIGH_RAM_BASE, mem_size - low,
			     E820_RAM);
	return n;
}
