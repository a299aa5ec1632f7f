/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_X86_ACPI_TABLES_H
#define SCORPI_X86_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

struct acpi_area;

struct x86_acpi_config {
	unsigned int cpus;
	uint64_t mem_size;
	unsigned int phys_bits; /* the guest's physical address width */
};

/*
 * Writes RSDP, XSDT, FADT, FACS, DSDT, MADT and MCFG into host (guest address
 * gpa, size bytes); the RSDP is at gpa. Returns 0, or -1 if they did not
 * fit.
 */
int x86_acpi_build(void *host, uint64_t gpa, size_t size,
		   const struct x86_acpi_config *cfg);

/* The same into an area of the caller's (a blob for firmware at gpa 0). */
int x86_acpi_build_area(struct acpi_area *a, const struct x86_acpi_config *cfg);

/* The 64-bit PCI MMIO window, above high RAM. */
void x86_pci_mmio64_window(uint64_t mem_size, unsigned int phys_bits,
			   uint64_t *base, uint64_t *size);

#endif
