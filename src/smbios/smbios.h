/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_SMBIOS_H
#define SCORPI_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

/*
 * SMBIOS 3.0 tables (DMTF DSP0134): who made the machine, its name and
 * UUID, its processors and memory, as /sys/class/dmi/id and dmidecode
 * show them in the guest. Built from the VM's description; the platform
 * places them (the BIOS area for the direct boot, fw_cfg's
 * etc/smbios/ files for firmware).
 */

#define SMBIOS3_ANCHOR_LEN 24
#define SMBIOS_STRING_MAX 64 /* what EDK2's SmbiosDxe takes */
#define SMBIOS_MAX_RAM_RANGES 4

struct smbios_ram_range {
	uint64_t base, size; /* guest-physical */
};

struct smbios_config {
	const char *vm_name; /* the System's product name */
	const uint8_t *uuid; /* 16 bytes, in RFC 4122 (big-endian) order */
	const char *version; /* Scorpi's */
	unsigned int cpus;
	/* Type 4's processor ID: CPUID 1's EAX and EDX on x86, else 0. */
	uint32_t cpu_signature, cpu_features;
	struct smbios_ram_range ram[SMBIOS_MAX_RAM_RANGES];
	unsigned int nram;
};

/*
 * Writes the structure table (types 1, 3, 4, 16, 17, 19 per RAM range,
 * 32 and 127) to buf; returns its length, or 0 if it would pass cap.
 * No type 0: firmware describes itself (OVMF adds its own), and the
 * direct boot has no BIOS to describe.
 */
size_t smbios_build_tables(const struct smbios_config *cfg, uint8_t *buf,
			   size_t cap);

/*
 * The SMBIOS 3.0 entry point ("_SM3_") for a table of table_len bytes at
 * table_addr (0 when the firmware places it: fw_cfg's anchor).
 */
void smbios_build_anchor(uint8_t out[SMBIOS3_ANCHOR_LEN], uint64_t table_addr,
			 uint32_t table_len);

#endif
