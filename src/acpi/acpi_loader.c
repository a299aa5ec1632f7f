// SPDX-License-Identifier: MIT
/* The etc/table-loader commands for an ACPI area (acpi_loader.h). */
#include <stdlib.h>
#include <string.h>

#include "../base/bus.h"
#include "acpi_loader.h"

#define LOADER_FILE_MAX 56

struct loader {
	uint8_t *buf;
	size_t n, cap;
};

static uint8_t *loader_entry(struct loader *l, uint32_t command)
{
	uint8_t *e = l->buf + l->n * ACPI_LOADER_ENTRY_SIZE;

	if (l->n == l->cap)
		return NULL;
	l->n++;
	memset(e, 0, ACPI_LOADER_ENTRY_SIZE);
	le_write(e, 4, command);
	return e;
}

static void add_checksum(struct loader *l, const char *file, size_t result,
			 size_t start, size_t len)
{
	uint8_t *e = loader_entry(l, ACPI_LOADER_ADD_CHECKSUM);

	memcpy(e + 4, file, strlen(file));
	le_write(e + 60, 4, result);
	le_write(e + 64, 4, start);
	le_write(e + 68, 4, len);
}

uint8_t *acpi_loader_build(struct acpi_area *area, const char *file,
			   size_t *len)
{
	struct loader l = { .cap = 1 + area->npointers + area->ntables + 2 };
	uint8_t *e;

	if (area->overflow || area->gpa || strlen(file) >= LOADER_FILE_MAX)
		return NULL;
	l.buf = malloc(l.cap * ACPI_LOADER_ENTRY_SIZE);
	if (!l.buf)
		return NULL;
	/* The whole area in one allocation: its pointers fit in 32 bits. */
	e = loader_entry(&l, ACPI_LOADER_ALLOCATE);
	memcpy(e + 4, file, strlen(file));
	le_write(e + 60, 4, 64);
	e[64] = ACPI_LOADER_ZONE_HIGH;
	for (unsigned int i = 0; i < area->npointers; i++) {
		e = loader_entry(&l, ACPI_LOADER_ADD_POINTER);
		memcpy(e + 4, file, strlen(file));
		memcpy(e + 60, file, strlen(file));
		le_write(e + 116, 4, area->pointers[i].off);
		e[120] = area->pointers[i].size;
	}
	/* Checksums last, over the patched pointers, each from zero. */
	for (unsigned int i = 0; i < area->ntables; i++) {
		size_t off = area->tables[i];
		uint8_t *t = area->host + off;

		t[9] = 0;
		add_checksum(&l, file, off + 9, off, le_read(t + 4, 4));
	}
	if (area->has_rsdp) {
		uint8_t *r = area->host + area->rsdp;

		r[8] = 0;
		r[32] = 0;
		add_checksum(&l, file, area->rsdp + 8, area->rsdp, 20);
		add_checksum(&l, file, area->rsdp + 32, area->rsdp, 36);
	}
	*len = l.n * ACPI_LOADER_ENTRY_SIZE;
	return l.buf;
}
