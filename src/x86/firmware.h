/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_X86_FIRMWARE_H
#define SCORPI_X86_FIRMWARE_H

#include <stdint.h>

struct fw_cfg;

/* What the firmware is told of this VM (x86_firmware_describe). */
struct x86_firmware_config {
	unsigned int cpus;
	uint64_t mem_size;
	unsigned int phys_bits;
	int kernel_fd; /* -1: the firmware boots from its devices */
	int initrd_fd; /* -1: none */
	const char *cmdline; /* NULL: empty */
};

/*
 * Fills fw_cfg with what stock OVMF reads to boot this VM: the CPU
 * count, the RAM map (etc/e820), the ACPI tables with their loader
 * commands, and a kernel to boot through its EFI stub (-k with
 * -o bootrom). Logs one line and returns -1 on failure.
 */
int x86_firmware_describe(struct fw_cfg *fw,
			  const struct x86_firmware_config *cfg);

#endif
