// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"

void bus_init(struct bus *bus, const char *kind)
{
	memset(bus, 0, sizeof(*bus));
	bus->kind = kind;
}

void bus_free(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->count = bus->cap = 0;
}

int bus_add(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn access,
	    void *opaque, const char *name)
{
	size_t i;

	if (!len || base + len - 1 < base) {
		log_error("%s range %s at 0x%llx is empty or wraps", bus->kind,
			  name, (unsigned long long)base);
		return -1;
	}
	for (i = 0; i < bus->count; i++) {
		const struct bus_range *r = &bus->ranges[i];

		if (base < r->base + r->len && r->base < base + len) {
			log_error("%s range %s at 0x%llx overlaps %s",
				  bus->kind, name, (unsigned long long)base,
				  r->name);
			return -1;
		}
	}
	if (bus->count == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n) {
			log_error("out of memory");
			return -1;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	for (i = bus->count; i > 0 && bus->ranges[i - 1].base > base; i--)
		bus->ranges[i] = bus->ranges[i - 1];
	bus->ranges[i] = (struct bus_range){ base, len, access, opaque, name };
	bus->count++;
	return 0;
}

bool bus_dispatch(const struct bus *bus, uint64_t addr, uint8_t *data,
		  unsigned int size, bool is_write)
{
	size_t lo = 0, hi = bus->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->len) {
			lo = mid + 1;
		} else {
			r->access(r->opaque, addr - r->base, data, size,
				  is_write);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, size);
	log_debug("unclaimed %s %s at 0x%llx (%u bytes)", bus->kind,
		  is_write ? "write" : "read", (unsigned long long)addr, size);
	return false;
}
