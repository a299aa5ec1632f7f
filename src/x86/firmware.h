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
	const uint8_t *smbios; /* the SMBIOS structure table */
	size_t smbios_len;
	const char *bootorder; /* x86_bootorder's, or NULL for none */
};

struct vm_config;

/*
 * fw_cfg's bootorder file for cfg's devices that firmware can boot
 * from (device_class.boot_node): OpenFirmware paths as QEMU writes them
 * and OVMF's QemuBootOrderLib reads them ("/pci@i0cf8/scsi@2/disk@0,0",
 * "/pci@i0cf8/ethernet@4,1"), one a line; those with bootindex=N first,
 * lowest first, then the others in slot order. A malloc'd string, or
 * NULL when there is no such device (or no memory: then logged).
 */
char *x86_bootorder(const struct vm_config *cfg);

/*
 * Fills fw_cfg with what stock OVMF reads to boot this VM: the CPU
 * count, the RAM map (etc/e820), the ACPI tables with their loader
 * commands, the SMBIOS tables (etc/smbios/), and a kernel to boot through its EFI stub (-k with
 * -o bootrom). Logs one line and returns -1 on failure.
 */
int x86_firmware_describe(struct fw_cfg *fw,
			  const struct x86_firmware_config *cfg);

#endif
