// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_ram.h"
#include "log.h"

int guest_ram_alloc(struct guest_ram *ram, uint64_t size)
{
	memset(ram, 0, sizeof(*ram));
	/* NORESERVE: the host commits pages only as the guest touches them. */
	ram->host = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram->host == MAP_FAILED) {
		ram->host = NULL;
		log_error("cannot reserve %llu MiB for guest RAM: %s",
			  (unsigned long long)(size >> 20), strerror(errno));
		return -1;
	}
	ram->size = size;
	/* Huge pages make the nested page tables shallower; best effort. */
	madvise(ram->host, size, MADV_HUGEPAGE);
	/* Guest memory has no business in a core dump of the VMM. */
	madvise(ram->host, size, MADV_DONTDUMP);
	return 0;
}

int guest_ram_add_region(struct guest_ram *ram, uint64_t gpa, uint64_t size)
{
	uint64_t used = 0;

	for (unsigned int i = 0; i < ram->count; i++)
		used += ram->regions[i].size;
	if (ram->count == GUEST_RAM_MAX_REGIONS || size > ram->size - used)
		return -1;
	ram->regions[ram->count++] = (struct ram_region){
		.gpa = gpa,
		.size = size,
		.host = ram->host + used,
	};
	return 0;
}

void guest_ram_free(struct guest_ram *ram)
{
	if (ram->host)
		munmap(ram->host, ram->size);
	memset(ram, 0, sizeof(*ram));
}

void guest_ram_discard(struct guest_ram *ram)
{
	if (ram->host)
		madvise(ram->host, ram->size, MADV_DONTNEED);
}

void *guest_ram_ptr(const struct guest_ram *ram, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < ram->count; i++) {
		const struct ram_region *r = &ram->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int pread_full(int fd, void *dst, uint64_t len, uint64_t off)
{
	uint8_t *p = dst;

	while (len) {
		ssize_t n =
			pread(fd, p, len > (1u << 30) ? (1u << 30) : len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}
