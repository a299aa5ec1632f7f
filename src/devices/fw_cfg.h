/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_FW_CFG_H
#define SCORPI_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * QEMU's firmware configuration device, the way stock OVMF and AAVMF
 * learn the machine: numbered items (signature, CPU count, the kernel
 * to boot) and named files (the memory map, ACPI tables, boot order),
 * read through a data port or by DMA into guest RAM. The guest cannot
 * change anything here: no item is writable.
 */
struct fw_cfg;
struct guest_ram;

/* Well-known items (QEMU docs/specs/fw_cfg.rst). */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_FILES 64
#define FW_CFG_FILE_NAME_MAX 56

/* x86 ports, from 0x510: selector (2 bytes), data (1), DMA (8 at +4). */
#define FW_CFG_PORT_SIZE 0x0c

/* DMA control bits. */
#define FW_CFG_DMA_ERROR 0x01
#define FW_CFG_DMA_READ 0x02
#define FW_CFG_DMA_SKIP 0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE 0x10

/* DMA works on ram, which must outlive the device. */
struct fw_cfg *fw_cfg_create(struct guest_ram *ram);
void fw_cfg_destroy(struct fw_cfg *fw);

/* An item holding a copy of len bytes; -1 if out of memory. */
int fw_cfg_add_item(struct fw_cfg *fw, uint16_t key, const void *data,
		    size_t len);
/* A 16- or 32-bit little-endian number, as the size items are. */
int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t v);
int fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t v);
/*
 * An item read from len bytes of fd at off, when the guest reads it (a
 * kernel or an initrd is not copied into the VMM). fd stays the caller's.
 */
int fw_cfg_add_item_fd(struct fw_cfg *fw, uint16_t key, int fd, uint64_t off,
		       uint64_t len);
/* A named file in the directory, holding a copy of data. */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    size_t len);

/* Back to nothing selected, as at power-on. */
void fw_cfg_reset(struct fw_cfg *fw);

/* The x86 port block at 0x510 (FW_CFG_PORT_SIZE ports). */
void fw_cfg_port_access(void *opaque, uint64_t offset, uint8_t *data,
			unsigned int size, bool is_write);

#endif
