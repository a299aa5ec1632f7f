// SPDX-License-Identifier: MIT
/* The architecture-neutral parts of ACPI: headers, RSDP, XSDT. */
#include <string.h>

#include "../base/bus.h"
#include "acpi.h"

void acpi_area_init(struct acpi_area *area, void *host, uint64_t gpa,
		    size_t size)
{
	*area = (struct acpi_area){ .host = host, .gpa = gpa, .size = size };
	memset(host, 0, size);
}

size_t acpi_place(struct acpi_area *area, size_t len, size_t align)
{
	size_t off = (area->used + align - 1) & ~(align - 1);

	if (area->overflow || off + len > area->size || off + len < off) {
		area->overflow = true;
		return 0;
	}
	area->used = off + len;
	return off;
}

void acpi_put(struct acpi_area *area, size_t off, unsigned int size, uint64_t v)
{
	if (!area->overflow)
		le_write(area->host + off, size, v);
}

void acpi_put_pointer(struct acpi_area *area, size_t off, unsigned int size,
		      size_t target)
{
	if (area->npointers == ACPI_AREA_MAX_POINTERS) {
		area->overflow = true;
		return;
	}
	area->pointers[area->npointers++] =
		(struct acpi_pointer){ .off = off, .size = size };
	acpi_put(area, off, size, acpi_gpa(area, target));
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

size_t acpi_table(struct acpi_area *area, const char sig[4], size_t len,
		  uint8_t revision)
{
	size_t off = acpi_place(area, len, 16);
	uint8_t *t = area->host + off;

	if (area->overflow || area->ntables == ACPI_AREA_MAX_TABLES) {
		area->overflow = true;
		return 0;
	}
	area->tables[area->ntables++] = off;
	memcpy(t, sig, 4);
	t[8] = revision;
	memcpy(t + 10, "SCORPI", 6); /* OEM ID */
	memcpy(t + 16, "SCORPI  ", 8); /* OEM table ID */
	le_write(t + 24, 4, 1); /* OEM revision */
	memcpy(t + 28, "SCRP", 4); /* creator ID */
	le_write(t + 32, 4, 1); /* creator revision */
	acpi_seal(area, off, len);
	return off;
}

void acpi_seal(struct acpi_area *area, size_t off, size_t len)
{
	uint8_t *t = area->host + off;

	if (area->overflow)
		return;
	le_write(t + 4, 4, len);
	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

void acpi_put_gas_io(struct acpi_area *area, size_t off, uint8_t bit_width,
		     uint8_t access_size, uint64_t port)
{
	acpi_put(area, off, 1, 1); /* system I/O space */
	acpi_put(area, off + 1, 1, bit_width);
	acpi_put(area, off + 2, 1, 0);
	acpi_put(area, off + 3, 1, access_size);
	acpi_put(area, off + 4, 8, port);
}

size_t acpi_rsdp_place(struct acpi_area *area)
{
	area->rsdp = acpi_place(area, 36, 16);
	area->has_rsdp = !area->overflow;
	return area->rsdp;
}

void acpi_rsdp_finish(struct acpi_area *area, size_t rsdp, size_t xsdt)
{
	uint8_t *r = area->host + rsdp;

	if (area->overflow)
		return;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "SCORPI", 6);
	r[15] = 2; /* ACPI 2.0+: XSDT */
	le_write(r + 20, 4, 36);
	acpi_put_pointer(area, rsdp + 24, 8, xsdt);
	r[8] = acpi_checksum(r, 20);
	r[32] = acpi_checksum(r, 36);
}

size_t acpi_xsdt(struct acpi_area *area, const size_t *tables,
		 unsigned int count)
{
	size_t len = ACPI_HEADER_SIZE + 8 * count;
	size_t off = acpi_table(area, "XSDT", len, 1);

	for (unsigned int i = 0; i < count; i++)
		acpi_put_pointer(area, off + ACPI_HEADER_SIZE + 8 * i, 8,
				 tables[i]);
	acpi_seal(area, off, len);
	return off;
}
