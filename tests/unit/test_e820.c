// SPDX-License-Identifier: MIT
/* The e820 memory map the kernel is given, for a range of RAM sizes. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "x86/e820.h"
#include "x86/layout.h"

#include "check.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define FOUR_GIB (4 * GiB)

/* The legacy window from the EBDA to 1 MiB: backed, but never RAM. */
#define LEGACY_HOLE (X86_BIOS_AREA_END - X86_EBDA_ADDR)

static const uint64_t sizes[] = {
	32 * MiB,
	256 * MiB,
	2 * GiB,
	X86_LOW_RAM_END,
	X86_LOW_RAM_END + 2 * MiB,
	4 * GiB,
	8 * GiB,
};

static bool overlaps(const struct e820_entry *e, uint64_t start, uint64_t end)
{
	return e->addr < end && start < e->addr + e->size;
}

static unsigned int build(uint64_t mem, struct e820_entry *map)
{
	unsigned int n;

	memset(map, 0xa5, sizeof(*map) * E820_MAX_ENTRIES);
	n = x86_e820_build(mem, map, E820_MAX_ENTRIES);
	CHECK(n > 0 && n <= E820_MAX_ENTRIES);
	return n;
}

static void test_sorted_no_overlap(void)
{
	struct e820_entry map[E820_MAX_ENTRIES];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned int n = build(sizes[s], map);

		for (unsigned int i = 0; i < n; i++) {
			CHECK(map[i].size > 0);
			CHECK(map[i].type == E820_RAM ||
			      map[i].type == E820_RESERVED ||
			      map[i].type == E820_ACPI);
			/* No entry wraps around the address space. */
			CHECK(map[i].addr + map[i].size > map[i].addr);
			if (i + 1 < n)
				CHECK(map[i].addr + map[i].size <=
				      map[i + 1].addr);
		}
	}
}

static void test_ram_total(void)
{
	struct e820_entry map[E820_MAX_ENTRIES];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t mem = sizes[s], ram = 0;
		unsigned int n = build(mem, map);

		for (unsigned int i = 0; i < n; i++)
			if (map[i].type == E820_RAM)
				ram += map[i].size;
		/*
		 * All of the guest's memory is RAM but the legacy window
		 * below 1 MiB, which holds the EBDA and the ACPI tables and
		 * is backed by the same memory.
		 */
		CHECK_EQ(ram + LEGACY_HOLE, mem);
	}
}

/* Below the PCI hole, [0, low) is covered without a gap, as it is backed. */
static void test_low_memory_covered(void)
{
	struct e820_entry map[E820_MAX_ENTRIES];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t mem = sizes[s];
		uint64_t low = mem < X86_LOW_RAM_END ? mem : X86_LOW_RAM_END;
		uint64_t at = 0;
		unsigned int n = build(mem, map);

		for (unsigned int i = 0; i < n && map[i].addr < low; i++) {
			CHECK_EQ(map[i].addr, at);
			at = map[i].addr + map[i].size;
		}
		CHECK_EQ(at, low);
		/* Linux wants RAM at 0 for its real-mode trampoline. */
		CHECK_EQ(map[0].addr, 0);
		CHECK_EQ(map[0].type, E820_RAM);
		CHECK_EQ(map[0].size, X86_EBDA_ADDR);
		/* And RAM from 1 MiB, where the kernel goes. */
		for (unsigned int i = 0; i < n; i++)
			if (map[i].addr == X86_BIOS_AREA_END) {
				CHECK_EQ(map[i].type, E820_RAM);
				CHECK_EQ(map[i].size, low - X86_BIOS_AREA_END);
			}
	}
}

static void test_holes(void)
{
	struct e820_entry map[E820_MAX_ENTRIES];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned int n = build(sizes[s], map), ecam = 0;

		for (unsigned int i = 0; i < n; i++) {
			const struct e820_entry *e = &map[i];

			if (e->type == E820_RAM) {
				CHECK(!overlaps(e, X86_EBDA_ADDR,
						X86_BIOS_AREA_END));
				CHECK(!overlaps(e, X86_LOW_RAM_END, FOUR_GIB));
			}
			/* The ECAM window, reserved as Linux's MMCONFIG wants. */
			if (e->addr == X86_ECAM_BASE &&
			    e->size == X86_ECAM_SIZE &&
			    e->type == E820_RESERVED)
				ecam++;
			/* Nothing else claims any of it. */
			else
				CHECK(!overlaps(e, X86_ECAM_BASE,
						X86_ECAM_BASE + X86_ECAM_SIZE));
		}
		CHECK_EQ(ecam, 1);
		CHECK_EQ(X86_ECAM_BASE, 0xb0000000ull);
		CHECK_EQ(X86_ECAM_BASE + X86_ECAM_SIZE, 0xc0000000ull);
	}
}

static void test_high_ram(void)
{
	struct e820_entry map[E820_MAX_ENTRIES];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t mem = sizes[s];
		unsigned int n = build(mem, map), high = 0;

		for (unsigned int i = 0; i < n; i++) {
			const struct e820_entry *e = &map[i];

			if (e->type != E820_RAM ||
			    e->addr + e->size <= FOUR_GIB)
				continue;
			high++;
			CHECK_EQ(e->addr, FOUR_GIB);
			CHECK_EQ(e->size, mem - X86_LOW_RAM_END);
		}
		CHECK_EQ(high, mem > X86_LOW_RAM_END ? 1 : 0);
	}
}

static void test_exact_maps(void)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	unsigned int n;

	n = build(256 * MiB, map);
	CHECK_EQ(n, 4);
	CHECK_EQ(map[2].addr, MiB);
	CHECK_EQ(map[2].size, 255 * MiB);
	CHECK_EQ(map[2].type, E820_RAM);
	CHECK_EQ(map[1].addr, X86_EBDA_ADDR);
	CHECK_EQ(map[1].type, E820_RESERVED);
	CHECK_EQ(map[3].addr, X86_ECAM_BASE);

	/* Exactly the low RAM: no entry above 4 GiB. */
	n = build(X86_LOW_RAM_END, map);
	CHECK_EQ(n, 4);
	CHECK_EQ(map[2].addr + map[2].size, X86_LOW_RAM_END);

	n = build(8 * GiB, map);
	CHECK_EQ(n, 5);
	CHECK_EQ(map[2].addr + map[2].size, X86_LOW_RAM_END);
	CHECK_EQ(map[4].addr, FOUR_GIB);
	CHECK_EQ(map[4].size, 8 * GiB - X86_LOW_RAM_END);
	CHECK_EQ(map[4].type, E820_RAM);
}

static void test_max_respected(void)
{
	struct e820_entry map[8];

	/* A short table is filled as far as it goes and not beyond. */
	for (unsigned int max = 0; max < 5; max++) {
		unsigned int n;

		memset(map, 0xa5, sizeof(map));
		n = x86_e820_build(8 * GiB, map, max);
		CHECK(n <= max);
		for (unsigned int i = n; i < 8; i++)
			CHECK_EQ(map[i].addr, 0xa5a5a5a5a5a5a5a5ull);
	}
}

TEST_MAIN(TEST(test_sorted_no_overlap), TEST(test_ram_total),
	  TEST(test_low_memory_covered), TEST(test_holes), TEST(test_high_ram),
	  TEST(test_exact_maps), TEST(test_max_respected))
