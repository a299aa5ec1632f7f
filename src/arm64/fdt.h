/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_ARM64_FDT_H
#define SCORPI_ARM64_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What the device tree describes of the machine. Zero fields other than
 * the CPUs and memory take layout.h's values: the redistributors of all
 * CPUs, the PCIe ECAM and windows, INTx for all slots.
 */
struct arm64_fdt_config {
	unsigned int cpus;
	const uint64_t *mpidr; /* cpus MPIDR_EL1 values */
	uint64_t mem_base, mem_size;
	const char *bootargs; /* NULL: none */
	uint64_t initrd_start, initrd_end; /* initrd_end 0: no initrd */
	bool has_its;
	uint64_t redist_size; /* bytes from ARM64_GIC_REDIST_BASE */
	/* PCIe: ECAM (1 MiB per bus) and the I/O and MMIO windows. */
	uint64_t pci_ecam_base, pci_ecam_size;
	uint64_t pci_io_base, pci_io_size;
	uint64_t pci_mmio32_base, pci_mmio32_size;
	uint64_t pci_mmio64_base, pci_mmio64_size;
	unsigned int pci_slots; /* INTx for slots 0..n-1; 4 (all) at most */
};

/* The maximum size of the blob (booting.rst). */
#define ARM64_FDT_MAX_SIZE 0x200000

/*
 * Writes the device tree blob for cfg into buf (size bytes); 0 on
 * success, -1 (with one line logged) when it does not fit or cfg is bad.
 */
int arm64_fdt_build(void *buf, size_t size, const struct arm64_fdt_config *cfg);

#endif
