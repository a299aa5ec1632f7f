/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_CFI_FLASH_H
#define SCORPI_CFI_FLASH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A NOR flash with the Intel/Sharp command set (CFI command set 0001),
 * one byte wide: the UEFI variable store OVMF drives (-o bootvars=). Its
 * contents are a file, which this device writes through and fdatasyncs
 * before the guest can see a write done. In read-array mode the guest
 * reads the file's pages directly (a read-only mapping); a command takes
 * them away, so that reads come here and see the status register, until
 * the guest asks for read-array again.
 *
 * Commands: 0xFF (also 0x00, 0xF0) read array; 0x10 or 0x40 then the data,
 * program (bits only go from 1 to 0, as on the chip); 0x20 then 0xD0,
 * erase the block to all ones; 0x50 clear status (and read array);
 * 0x70 read status. Others are refused: logged once, status bits 4 and 5
 * (command sequence error), read array.
 */
struct cfi_flash;

/* Status register bits. */
#define CFI_STATUS_READY 0x80
#define CFI_STATUS_ERASE_ERROR 0x20
#define CFI_STATUS_PROGRAM_ERROR 0x10

struct cfi_flash_config {
	const char *name; /* the file, for messages */
	int fd; /* read-write; the device's from now on */
	uint64_t size; /* of the file, a multiple of block_size */
	uint64_t block_size; /* what one erase clears */
	/*
	 * Maps the file's pages for the guest's reads (mapped true) or
	 * takes them away (false), from whichever thread runs the access.
	 * Returns 0, or -1 when it could not: reads then come here either
	 * way, and are answered from the file the same.
	 */
	int (*set_mapped)(void *ctx, bool mapped, const uint8_t *host);
	void *ctx;
};

/*
 * Maps the file (shared, read-only; writes go through pwrite) and starts
 * in read-array mode. The caller maps cfi_flash_host() for the guest at
 * each boot, as read-array mode wants; from then on the device asks for
 * changes through set_mapped. NULL with one line logged on failure; the
 * fd is closed then too.
 */
struct cfi_flash *cfi_flash_create(const struct cfi_flash_config *cfg);
void cfi_flash_destroy(struct cfi_flash *f);

/* The file's pages, for the hypervisor's mapping. */
const uint8_t *cfi_flash_host(const struct cfi_flash *f);

/*
 * A machine reset: back to read array with a clear status, the file
 * synced. Then (a new hypervisor VM) the caller maps the pages itself.
 */
void cfi_flash_reset(struct cfi_flash *f);

/* The guest's reads and writes at offset (the bus's access function). */
void cfi_flash_access(void *opaque, uint64_t offset, uint8_t *data,
		      unsigned int size, bool is_write);

#endif
