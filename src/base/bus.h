/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_BUS_H
#define SCORPI_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An access of 1, 2, 4 or 8 bytes at offset (relative to the range base).
 * data is little-endian; a read handler fills it.
 */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, uint8_t *data,
			      unsigned int size, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn access;
	void *opaque;
	const char *name;
};

/*
 * A sorted table of address ranges: port I/O or MMIO. Ranges are added
 * before the vCPUs run, so lookups need no lock.
 */
struct bus {
	const char *kind; /* "port", "mmio": for messages */
	struct bus_range *ranges;
	size_t count;
	size_t cap;
};

void bus_init(struct bus *bus, const char *kind);
void bus_free(struct bus *bus);
int bus_add(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn access,
	    void *opaque, const char *name);
/* Returns false where nothing claims addr; a read then gets all ones. */
bool bus_dispatch(const struct bus *bus, uint64_t addr, uint8_t *data,
		  unsigned int size, bool is_write);

static inline uint64_t le_read(const uint8_t *data, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

static inline void le_write(uint8_t *data, unsigned int size, uint64_t v)
{
	for (unsigned int i = 0; i < size; i++)
		data[i] = v >> (8 * i);
}

#endif
