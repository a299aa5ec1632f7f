/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_ACPI_LOADER_H
#define SCORPI_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "acpi.h"

/*
 * Firmware with a table loader (OVMF, AAVMF, SeaBIOS) places the ACPI
 * tables itself: it reads them as one fw_cfg file, allocates memory for
 * it, adds that memory's address to every pointer field and computes
 * every checksum, as the commands of the etc/table-loader file say
 * (QEMU hw/acpi/bios-linker-loader.c; OVMF's QemuLoader.h).
 */
#define ACPI_LOADER_ENTRY_SIZE 128
#define ACPI_LOADER_ALLOCATE 1
#define ACPI_LOADER_ADD_POINTER 2
#define ACPI_LOADER_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH 1

/*
 * The commands that load area (built at guest address 0, so that each
 * pointer holds its target's offset) as the fw_cfg file named file.
 * Zeroes the area's checksums, which the firmware computes over the
 * patched tables. Returns a malloc'd command list of *len bytes, or NULL.
 */
uint8_t *acpi_loader_build(struct acpi_area *area, const char *file,
			   size_t *len);

#endif
