// SPDX-License-Identifier: MIT
/* AML encoding per the ACPI specification, chapter 20. */
#include <stdlib.h>
#include <string.h>

#include "aml.h"

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */

/* What an open object needs when it is closed. */
enum aml_kind { AML_PLAIN, AML_RESOURCES };

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int aml_finish(struct aml *a)
{
	return a->failed || a->depth ? -1 : 0;
}

static void aml_reserve(struct aml *a, size_t n)
{
	if (a->len + n <= a->cap)
		return;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->len + n)
		cap *= 2;
	uint8_t *b = realloc(a->buf, cap);
	if (!b) {
		a->failed = true;
		return;
	}
	a->buf = b;
	a->cap = cap;
}

static void aml_put(struct aml *a, const void *p, size_t n)
{
	aml_reserve(a, n);
	if (a->failed)
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t v)
{
	aml_put(a, &v, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		aml_byte(a, v >> (8 * i));
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_put(a, s, strlen(s) + 1);
}

/* One 4-character name segment, padded with '_'. */
static const char *aml_nameseg(struct aml *a, const char *p)
{
	int i;

	for (i = 0; i < 4 && p[i] && p[i] != '.'; i++)
		aml_byte(a, p[i]);
	for (int j = i; j < 4; j++)
		aml_byte(a, '_');
	p += i;
	if (*p && *p != '.')
		a->failed = true; /* a segment longer than 4 characters */
	return *p == '.' ? p + 1 : p;
}

void aml_name(struct aml *a, const char *path)
{
	unsigned int segs = 1;

	while (*path == '\\' || *path == '^')
		aml_byte(a, *path++);
	if (!*path) {
		aml_byte(a, 0); /* NullName */
		return;
	}
	for (const char *p = path; *p; p++)
		segs += *p == '.';
	if (segs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (segs > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, segs);
	}
	while (*path)
		path = aml_nameseg(a, path);
}

/* "PNP0A08" as the 32-bit compressed EISA ID. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = ((id[0] - 0x40) << 26) | ((id[1] - 0x40) << 21) |
		     ((id[2] - 0x40) << 16) |
		     (uint32_t)strtoul(id + 3, NULL, 16);

	/* Stored big-endian in the integer's bytes. */
	v = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) |
	    (v >> 24);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le(a, v, 4);
}

void aml_name_decl(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name(a, name);
}

static void aml_open(struct aml *a, enum aml_kind kind)
{
	if (a->depth == AML_MAX_DEPTH) {
		a->failed = true;
		return;
	}
	/* The low bit of the saved offset remembers the kind. */
	a->open[a->depth++] = (a->len << 1) | kind;
}

void aml_scope(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_open(a, AML_PLAIN);
	aml_name(a, path);
}

void aml_device(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_open(a, AML_PLAIN);
	aml_name(a, name);
}

void aml_package(struct aml *a, uint8_t elements)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_open(a, AML_PLAIN);
	aml_byte(a, elements);
}

/*
 * A Buffer's size is a TermArg known only when it is closed: it is
 * written as a DWord integer placeholder, patched in aml_close.
 */
void aml_resource_template(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a, AML_RESOURCES);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le(a, 0, 4);
}

void aml_close(struct aml *a)
{
	size_t start, body;
	unsigned int n;
	enum aml_kind kind;

	if (!a->depth) {
		a->failed = true;
		return;
	}
	start = a->open[--a->depth];
	kind = start & 1;
	start >>= 1;
	if (kind == AML_RESOURCES) {
		aml_byte(a, 0x79); /* end tag */
		aml_byte(a, 0); /* checksum 0: "treat as correct" */
		if (!a->failed) {
			size_t size = a->len - start - 5;

			for (unsigned int i = 0; i < 4; i++)
				a->buf[start + 1 + i] = size >> (8 * i);
		}
	}
	if (a->failed)
		return;
	body = a->len - start;
	/* PkgLength counts its own bytes: 1 byte up to 63, then 2 to 4. */
	if (body + 1 < 0x40)
		n = 1;
	else if (body + 2 < 0x1000)
		n = 2;
	else if (body + 3 < 0x100000)
		n = 3;
	else
		n = 4;
	aml_reserve(a, n);
	if (a->failed)
		return;
	memmove(a->buf + start + n, a->buf + start, body);
	a->len += n;
	body += n;
	if (n == 1) {
		a->buf[start] = body;
	} else {
		a->buf[start] = ((n - 1) << 6) | (body & 0xf);
		for (unsigned int i = 1; i < n; i++)
			a->buf[start + i] = body >> (4 + 8 * (i - 1));
	}
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml_byte(a, 0x47); /* I/O port descriptor */
	aml_byte(a, 0x01); /* 16-bit decode */
	aml_le(a, base, 2);
	aml_le(a, base, 2);
	aml_byte(a, 1); /* alignment */
	aml_byte(a, len);
}

void aml_res_irq(struct aml *a, unsigned int irq)
{
	aml_byte(a, 0x22); /* IRQ descriptor without flags: edge, high */
	aml_le(a, 1u << irq, 2);
}

/* An address space descriptor: type 0 memory, 1 I/O, 2 bus numbers. */
static void aml_res_addr(struct aml *a, uint8_t tag, unsigned int size,
			 uint8_t type, uint8_t type_flags, uint64_t min,
			 uint64_t max)
{
	aml_byte(a, tag);
	aml_le(a, 3 + 5 * size, 2);
	aml_byte(a, type);
	aml_byte(a, 0x0c); /* fixed minimum and maximum, producer */
	aml_byte(a, type_flags);
	aml_le(a, 0, size); /* granularity */
	aml_le(a, min, size);
	aml_le(a, max, size);
	aml_le(a, 0, size); /* translation */
	aml_le(a, max - min + 1, size);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	aml_res_addr(a, 0x88, 2, 2, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	aml_res_addr(a, 0x88, 2, 1, 0x03, min, max); /* entire range */
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	aml_res_addr(a, 0x87, 4, 0, 0x03, min, max); /* RW, cacheable */
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max)
{
	aml_res_addr(a, 0x8a, 8, 0, 0x03, min, max);
}
