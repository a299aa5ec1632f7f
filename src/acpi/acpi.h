/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_ACPI_H
#define SCORPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_AREA_MAX_TABLES 16
#define ACPI_AREA_MAX_POINTERS 32

/*
 * ACPI tables are laid out in one guest memory area: each table is placed,
 * filled, then sealed (length and checksum). The area also keeps where
 * its tables and the pointers between them are, so that firmware can be
 * given it as a blob to place and patch itself (acpi_loader.h).
 */
struct acpi_area {
	uint8_t *host;
	uint64_t gpa;
	size_t size;
	size_t used;
	bool overflow;
	size_t rsdp; /* valid if has_rsdp */
	bool has_rsdp;
	size_t tables[ACPI_AREA_MAX_TABLES];
	unsigned int ntables;
	struct acpi_pointer {
		size_t off;
		uint8_t size;
	} pointers[ACPI_AREA_MAX_POINTERS];
	unsigned int npointers;
};

#define ACPI_HEADER_SIZE 36

void acpi_area_init(struct acpi_area *area, void *host, uint64_t gpa,
		    size_t size);
/* Places len zeroed bytes; returns the offset, or 0 on overflow. */
size_t acpi_place(struct acpi_area *area, size_t len, size_t align);
/* Places a table with a standard header; returns its offset or 0. */
size_t acpi_table(struct acpi_area *area, const char sig[4], size_t len,
		  uint8_t revision);
/* Sets the length of the table at off to len and its checksum. */
void acpi_seal(struct acpi_area *area, size_t off, size_t len);
uint8_t acpi_checksum(const uint8_t *p, size_t len);

static inline uint64_t acpi_gpa(const struct acpi_area *area, size_t off)
{
	return area->gpa + off;
}

void acpi_put(struct acpi_area *area, size_t off, unsigned int size,
	      uint64_t v);
/* A size-byte field at off that holds the address of the area's target. */
void acpi_put_pointer(struct acpi_area *area, size_t off, unsigned int size,
		      size_t target);
/* A Generic Address Structure in system I/O space. */
void acpi_put_gas_io(struct acpi_area *area, size_t off, uint8_t bit_width,
		     uint8_t access_size, uint64_t port);

/*
 * The RSDP (at the area's start, placed first) and an XSDT listing the
 * tables at the given offsets.
 */
size_t acpi_rsdp_place(struct acpi_area *area);
void acpi_rsdp_finish(struct acpi_area *area, size_t rsdp, size_t xsdt);
size_t acpi_xsdt(struct acpi_area *area, const size_t *tables,
		 unsigned int count);

#endif
