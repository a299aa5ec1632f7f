// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the SMBIOS builder: whatever the description
 * holds (a name of any bytes and length, any vCPU count, RAM ranges of
 * any size and place, a buffer of any size), the tables fit the buffer
 * or are refused, and what is built parses as SMBIOS: each structure
 * at least its header, its string set ended by a double NUL, every
 * string number in range, handles unique, and type 127 last.
 *
 * Input: [0..1] buffer size, [2..3] vCPUs, [4] RAM ranges (mod 5), then
 * 16 bytes per range (base, size), 16 of UUID, and the rest the name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smbios/smbios.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void check_tables(const uint8_t *t, size_t len)
{
	uint16_t handles[64];
	unsigned int n = 0;
	size_t off = 0;

	for (;;) {
		const uint8_t *s = t + off;
		unsigned int strings = 0;
		size_t end;

		if (off + 4 > len || s[1] < 4 || off + s[1] + 2 > len)
			abort();
		for (unsigned int i = 0; i < n; i++)
			if (handles[i] == (s[2] | s[3] << 8))
				abort();
		if (n < 64)
			handles[n++] = s[2] | s[3] << 8;
		end = off + s[1];
		if (t[end] == 0) {
			/* No strings: two NULs. */
			if (t[end + 1] != 0)
				abort();
			end += 2;
		} else {
			/* Strings, each up to its NUL, then one more NUL. */
			while (end < len && t[end]) {
				while (end < len && t[end])
					end++;
				if (end >= len)
					abort();
				strings++;
				end++;
			}
			if (end >= len)
				abort();
			end++;
		}
		/* Formatted bytes that name strings stay in range. */
		if (s[0] == 1 && (s[4] > strings || s[5] > strings))
			abort();
		off = end;
		if (s[0] == 127)
			break;
	}
	if (off != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	struct smbios_config c = { .version = "fuzz" };
	uint8_t uuid[16] = { 0 };
	char name[300];
	size_t cap, len, n;

	if (size < 5)
		return 0;
	cap = (data[0] | data[1] << 8) % sizeof(buf);
	c.cpus = data[2] | data[3] << 8;
	c.nram = data[4] % (SMBIOS_MAX_RAM_RANGES + 1);
	data += 5;
	size -= 5;
	for (unsigned int i = 0; i < c.nram; i++) {
		if (size < 16)
			return 0;
		c.ram[i].base = le64(data);
		c.ram[i].size = le64(data + 8);
		data += 16;
		size -= 16;
	}
	if (size >= 16) {
		memcpy(uuid, data, 16);
		data += 16;
		size -= 16;
	}
	n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = 0;
	c.vm_name = name;
	c.uuid = uuid;
	len = smbios_build_tables(&c, buf, cap);
	if (len > cap)
		abort();
	if (len)
		check_tables(buf, len);
	return 0;
}
