// SPDX-License-Identifier: MIT
/*
 * SMBIOS 3.0 structures (DSP0134 3.x, section 7), each a formatted part
 * of the length its header gives, then its strings, each ending in NUL,
 * then one more NUL (two when there are none). Structures refer to each
 * other by handle (a memory device to its array); handles are fixed per
 * type, so that firmware that keeps them (OVMF) keeps the references.
 */
#include <stdbool.h>
#include <string.h>

#include "smbios.h"

#define TYPE_SYSTEM 1
#define TYPE_CHASSIS 3
#define TYPE_PROCESSOR 4
#define TYPE_MEMORY_ARRAY 16
#define TYPE_MEMORY_DEVICE 17
#define TYPE_MEMORY_MAPPED 19
#define TYPE_BOOT_INFO 32
#define TYPE_END 127

#define HANDLE_SYSTEM 0x0100
#define HANDLE_CHASSIS 0x0300
#define HANDLE_PROCESSOR 0x0400
#define HANDLE_MEMORY_ARRAY 0x1000
#define HANDLE_MEMORY_DEVICE 0x1100
#define HANDLE_MEMORY_MAPPED 0x1300
#define HANDLE_BOOT_INFO 0x2000
#define HANDLE_END 0x7f00
#define HANDLE_NONE 0xfffe /* "not provided" */
#define HANDLE_NO_CACHE 0xffff

#define MANUFACTURER "Scorpi"

/* Formatted lengths, as the 3.0 spec has them. */
#define LEN_SYSTEM 0x1b
#define LEN_CHASSIS 0x16
#define LEN_PROCESSOR 0x30
#define LEN_MEMORY_ARRAY 0x17
#define LEN_MEMORY_DEVICE 0x28
#define LEN_MEMORY_MAPPED 0x1f
#define LEN_BOOT_INFO 0x0b
#define LEN_END 0x04

struct writer {
	uint8_t *buf;
	size_t cap, len;
	size_t start; /* of the structure being written */
	unsigned int strings; /* strings it has so far */
	int overflow;
};

static void put(struct writer *w, size_t off, unsigned int n, uint64_t v)
{
	if (w->overflow || off + n > w->cap) {
		w->overflow = 1;
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		w->buf[off + i] = (uint8_t)(v >> (8 * i));
}

/* Starts a structure: its header, the rest of its formatted part zero. */
static void begin(struct writer *w, uint8_t type, uint8_t len, uint16_t handle)
{
	w->start = w->len;
	w->strings = 0;
	if (w->overflow || w->len + len > w->cap) {
		w->overflow = 1;
		return;
	}
	memset(w->buf + w->len, 0, len);
	put(w, w->start, 1, type);
	put(w, w->start + 1, 1, len);
	put(w, w->start + 2, 2, handle);
	w->len += len;
}

/* A field at offset of the current structure. */
static void field(struct writer *w, size_t off, unsigned int n, uint64_t v)
{
	put(w, w->start + off, n, v);
}

/*
 * A string for the field at offset: its number there, its text in the
 * string set. Empty or absent text is string 0, "none", as the spec has
 * it; text past SMBIOS_STRING_MAX is cut there.
 */
static void string(struct writer *w, size_t off, const char *s)
{
	size_t n = s ? strnlen(s, SMBIOS_STRING_MAX) : 0;

	if (!n || w->overflow)
		return;
	if (w->len + n + 1 > w->cap) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->buf[w->len + n] = 0;
	w->len += n + 1;
	field(w, off, 1, ++w->strings);
}

/* Ends the string set: one NUL after the last string, two for none. */
static void end(struct writer *w)
{
	unsigned int n = w->strings ? 1 : 2;

	if (w->overflow || w->len + n > w->cap) {
		w->overflow = 1;
		return;
	}
	memset(w->buf + w->len, 0, n);
	w->len += n;
}

static void build_system(struct writer *w, const struct smbios_config *c)
{
	begin(w, TYPE_SYSTEM, LEN_SYSTEM, HANDLE_SYSTEM);
	string(w, 0x04, MANUFACTURER);
	string(w, 0x05, c->vm_name);
	string(w, 0x06, c->version);
	/*
	 * The UUID's first three fields are little-endian (7.2.1), so the
	 * guest prints it as it was given.
	 */
	for (int i = 0; i < 4; i++)
		field(w, 0x08 + i, 1, c->uuid[3 - i]);
	field(w, 0x0c, 1, c->uuid[5]);
	field(w, 0x0d, 1, c->uuid[4]);
	field(w, 0x0e, 1, c->uuid[7]);
	field(w, 0x0f, 1, c->uuid[6]);
	for (int i = 8; i < 16; i++)
		field(w, 0x08 + i, 1, c->uuid[i]);
	field(w, 0x18, 1, 0x06); /* woken by the power switch */
	string(w, 0x1a, "Scorpi VM");
	end(w);
}

static void build_chassis(struct writer *w)
{
	begin(w, TYPE_CHASSIS, LEN_CHASSIS, HANDLE_CHASSIS);
	string(w, 0x04, MANUFACTURER);
	field(w, 0x05, 1, 0x01); /* other */
	field(w, 0x09, 1, 0x03); /* boot-up state: safe */
	field(w, 0x0a, 1, 0x03); /* power supply: safe */
	field(w, 0x0b, 1, 0x03); /* thermal: safe */
	field(w, 0x0c, 1, 0x02); /* security: unknown */
	end(w);
}

/* One socket holding every vCPU, one thread per core. */
static void build_processor(struct writer *w, const struct smbios_config *c)
{
	unsigned int n = c->cpus;

	begin(w, TYPE_PROCESSOR, LEN_PROCESSOR, HANDLE_PROCESSOR);
	string(w, 0x04, "CPU 0");
	field(w, 0x05, 1, 0x03); /* central processor */
	field(w, 0x06, 1, 0x01); /* family: other */
	string(w, 0x07, MANUFACTURER);
	field(w, 0x08, 4, c->cpu_signature);
	field(w, 0x0c, 4, c->cpu_features);
	field(w, 0x18, 1, 0x41); /* socket populated, CPU enabled */
	field(w, 0x19, 1, 0x01); /* upgrade: other */
	field(w, 0x1a, 2, HANDLE_NO_CACHE);
	field(w, 0x1c, 2, HANDLE_NO_CACHE);
	field(w, 0x1e, 2, HANDLE_NO_CACHE);
	/* Counts of 255 and more are in the 3.0 fields. */
	field(w, 0x23, 1, n < 255 ? n : 255);
	field(w, 0x24, 1, n < 255 ? n : 255);
	field(w, 0x25, 1, n < 255 ? n : 255);
	field(w, 0x26, 2, 0x0004); /* 64-bit capable */
	field(w, 0x28, 2, 0x0001); /* family 2: other */
	field(w, 0x2a, 2, n);
	field(w, 0x2c, 2, n);
	field(w, 0x2e, 2, n);
	end(w);
}

static uint64_t ram_total(const struct smbios_config *c)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < c->nram; i++)
		total += c->ram[i].size;
	return total;
}

static void build_memory(struct writer *w, const struct smbios_config *c)
{
	uint64_t total = ram_total(c), mib = total >> 20;

	begin(w, TYPE_MEMORY_ARRAY, LEN_MEMORY_ARRAY, HANDLE_MEMORY_ARRAY);
	field(w, 0x04, 1, 0x01); /* location: other */
	field(w, 0x05, 1, 0x03); /* use: system memory */
	field(w, 0x06, 1, 0x03); /* error correction: none */
	/* KiB, or 0x80000000 and the extended field in bytes. */
	field(w, 0x07, 4,
	      total >> 10 < 0x80000000ull ? total >> 10 : 0x80000000);
	field(w, 0x0b, 2, HANDLE_NONE);
	field(w, 0x0d, 2, 1);
	field(w, 0x0f, 8, total >> 10 < 0x80000000ull ? 0 : total);
	end(w);

	begin(w, TYPE_MEMORY_DEVICE, LEN_MEMORY_DEVICE, HANDLE_MEMORY_DEVICE);
	field(w, 0x04, 2, HANDLE_MEMORY_ARRAY);
	field(w, 0x06, 2, HANDLE_NONE);
	field(w, 0x08, 2, 0xffff); /* widths unknown */
	field(w, 0x0a, 2, 0xffff);
	/* MiB, or 0x7FFF and the extended size. */
	field(w, 0x0c, 2, mib < 0x7fff ? mib : 0x7fff);
	field(w, 0x0e, 1, 0x01); /* form factor: other */
	string(w, 0x10, "RAM");
	field(w, 0x12, 1, 0x07); /* type: RAM */
	field(w, 0x13, 2, 0x0002); /* type detail: unknown */
	string(w, 0x17, MANUFACTURER);
	field(w, 0x1c, 4, mib < 0x7fff ? 0 : mib);
	end(w);

	for (unsigned int i = 0; i < c->nram; i++) {
		uint64_t first = c->ram[i].base;
		uint64_t last = first + c->ram[i].size - 1;
		bool fits = last >> 10 < 0xffffffffull;

		if (!c->ram[i].size)
			continue;

		begin(w, TYPE_MEMORY_MAPPED, LEN_MEMORY_MAPPED,
		      HANDLE_MEMORY_MAPPED + i);
		/* KiB, or all ones and the extended fields in bytes. */
		field(w, 0x04, 4, fits ? first >> 10 : 0xffffffff);
		field(w, 0x08, 4, fits ? last >> 10 : 0xffffffff);
		field(w, 0x0c, 2, HANDLE_MEMORY_ARRAY);
		field(w, 0x0e, 1, 1); /* partition width */
		field(w, 0x0f, 8, fits ? 0 : first);
		field(w, 0x17, 8, fits ? 0 : last);
		end(w);
	}
}

size_t smbios_build_tables(const struct smbios_config *cfg, uint8_t *buf,
			   size_t cap)
{
	struct writer w = { .buf = buf, .cap = cap };

	build_system(&w, cfg);
	build_chassis(&w);
	build_processor(&w, cfg);
	build_memory(&w, cfg);
	begin(&w, TYPE_BOOT_INFO, LEN_BOOT_INFO, HANDLE_BOOT_INFO);
	end(&w); /* status 0: no errors detected */
	begin(&w, TYPE_END, LEN_END, HANDLE_END);
	end(&w);
	return w.overflow ? 0 : w.len;
}

void smbios_build_anchor(uint8_t out[SMBIOS3_ANCHOR_LEN], uint64_t table_addr,
			 uint32_t table_len)
{
	struct writer w = { .buf = out, .cap = SMBIOS3_ANCHOR_LEN };
	uint8_t sum = 0;

	memset(out, 0, SMBIOS3_ANCHOR_LEN);
	memcpy(out, "_SM3_", 5);
	put(&w, 0x06, 1, SMBIOS3_ANCHOR_LEN);
	put(&w, 0x07, 1, 3); /* SMBIOS 3.0.0 */
	put(&w, 0x08, 1, 0);
	put(&w, 0x09, 1, 0); /* docrev */
	put(&w, 0x0a, 1, 1); /* entry point revision: 3.0 */
	put(&w, 0x0c, 4, table_len); /* its maximum size: all of it */
	put(&w, 0x10, 8, table_addr);
	for (unsigned int i = 0; i < SMBIOS3_ANCHOR_LEN; i++)
		sum += out[i];
	out[0x05] = (uint8_t)-sum;
}
