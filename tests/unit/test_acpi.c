// SPDX-License-Identifier: MIT
/*
 * The ACPI tables of the x86 platform, read back as a guest's OS would:
 * from the RSDP through the XSDT to every table, with checksums, lengths
 * and the fields Linux relies on; the DSDT's AML is walked object by
 * object. And the AML writer's encodings, one by one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi.h"
#include "acpi/acpi_loader.h"
#include "acpi/aml.h"
#include "x86/acpi_tables.h"
#include "x86/layout.h"

#include "check.h"

#define AREA_GPA 0xe0000ull
#define AREA_SIZE (128u << 10)

static uint64_t rd(const uint8_t *p, size_t off, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* The tables as the guest finds them. */
struct tables {
	uint8_t *buf;
	unsigned int cpus;
	uint64_t mem_size;
	const uint8_t *rsdp, *xsdt, *facp, *apic, *mcfg, *dsdt, *facs;
};

/* The host address of a table at gpa, if all of len is in the area. */
static const uint8_t *at(const struct tables *t, uint64_t gpa, size_t len)
{
	if (gpa < AREA_GPA || gpa - AREA_GPA > AREA_SIZE ||
	    len > AREA_SIZE - (gpa - AREA_GPA))
		return NULL;
	return t->buf + (gpa - AREA_GPA);
}

/* A table with a standard header at gpa: in the area, summing to 0. */
static const uint8_t *table_at(const struct tables *t, uint64_t gpa,
			       const char *sig)
{
	const uint8_t *h = at(t, gpa, 36);
	uint32_t len;

	CHECK(h != NULL);
	if (!h)
		return NULL;
	len = rd(h, 4, 4);
	CHECK(len >= 36);
	CHECK(at(t, gpa, len) != NULL);
	if (len < 36 || !at(t, gpa, len))
		return NULL;
	CHECK_EQ(sum8(h, len), 0);
	CHECK(!memcmp(h + 10, "SCORPI", 6));
	if (sig && memcmp(h, sig, 4)) {
		fprintf(stderr, "table at 0x%" PRIx64 " is %.4s, not %s\n", gpa,
			(const char *)h, sig);
		CHECK(0);
		return NULL;
	}
	return h;
}

static void build(struct tables *t, unsigned int cpus, uint64_t mem_size)
{
	struct x86_acpi_config cfg = { .cpus = cpus,
				       .mem_size = mem_size,
				       .phys_bits = 40 };
	const uint8_t *r;

	memset(t, 0, sizeof(*t));
	t->cpus = cpus;
	t->mem_size = mem_size;
	t->buf = malloc(AREA_SIZE);
	if (!t->buf)
		abort();
	memset(t->buf, 0xa5, AREA_SIZE);
	CHECK_EQ(x86_acpi_build(t->buf, AREA_GPA, AREA_SIZE, &cfg), 0);

	r = t->rsdp = t->buf;
	CHECK(!memcmp(r, "RSD PTR ", 8));
	CHECK_EQ(r[15], 2); /* revision */
	CHECK_EQ(sum8(r, 20), 0);
	CHECK_EQ(rd(r, 20, 4), 36);
	CHECK_EQ(sum8(r, 36), 0);
	t->xsdt = table_at(t, rd(r, 24, 8), "XSDT");
	if (!t->xsdt)
		return;
	CHECK_EQ(rd(t->xsdt, 4, 4) % 8, 36 % 8);
	for (size_t off = 36; off + 8 <= rd(t->xsdt, 4, 4); off += 8) {
		uint64_t gpa = rd(t->xsdt, off, 8);
		const uint8_t *h = table_at(t, gpa, NULL);
		const uint8_t **slot = NULL;

		if (!h)
			continue;
		if (!memcmp(h, "FACP", 4))
			slot = &t->facp;
		else if (!memcmp(h, "APIC", 4))
			slot = &t->apic;
		else if (!memcmp(h, "MCFG", 4))
			slot = &t->mcfg;
		if (!slot || *slot) {
			fprintf(stderr, "XSDT: unexpected or repeated %.4s\n",
				(const char *)h);
			CHECK(0);
			continue;
		}
		*slot = h;
	}
	CHECK_EQ(rd(t->xsdt, 4, 4), 36 + 3 * 8);
	CHECK(t->facp && t->apic && t->mcfg);
	if (!t->facp)
		return;
	t->dsdt = table_at(t, rd(t->facp, 140, 8), "DSDT");
	t->facs = at(t, rd(t->facp, 132, 8), 64);
	CHECK(t->facs != NULL);
}

static void check_fadt(const struct tables *t)
{
	const uint8_t *f = t->facp;
	uint64_t facs = rd(f, 132, 8);

	CHECK_EQ(rd(f, 4, 4), 276);
	CHECK(f[8] >= 5);
	/* The 32-bit pointers, where set, agree with the 64-bit ones. */
	CHECK(rd(f, 36, 4) == 0 || rd(f, 36, 4) == facs);
	CHECK(rd(f, 40, 4) == 0 || rd(f, 40, 4) == rd(f, 140, 8));

	/* FACS: 64-byte aligned, "FACS", 64 bytes. */
	CHECK_EQ(facs % 64, 0);
	if (t->facs) {
		CHECK(!memcmp(t->facs, "FACS", 4));
		CHECK_EQ(rd(t->facs, 4, 4), 64);
	}

	CHECK_EQ(rd(f, 46, 2), 9); /* SCI_INT */
	CHECK_EQ(rd(f, 48, 4), 0); /* SMI_CMD: always in ACPI mode */
	CHECK_EQ(rd(f, 56, 4), 0x600); /* PM1a_EVT_BLK */
	CHECK_EQ(rd(f, 60, 4), 0); /* PM1b_EVT_BLK */
	CHECK_EQ(rd(f, 64, 4), 0x604); /* PM1a_CNT_BLK */
	CHECK_EQ(rd(f, 76, 4), 0x608); /* PM_TMR_BLK */
	CHECK_EQ(f[88], 4); /* PM1_EVT_LEN */
	CHECK_EQ(f[89], 2); /* PM1_CNT_LEN */
	CHECK_EQ(f[91], 4); /* PM_TMR_LEN */

	/* The extended blocks: SystemIO at the same ports. */
	CHECK_EQ(f[148], 1);
	CHECK_EQ(f[149], 32);
	CHECK_EQ(rd(f, 152, 8), 0x600);
	CHECK_EQ(f[172], 1);
	CHECK_EQ(f[173], 16);
	CHECK_EQ(rd(f, 176, 8), 0x604);
	CHECK_EQ(f[208], 1);
	CHECK_EQ(f[209], 32);
	CHECK_EQ(rd(f, 212, 8), 0x608);

	/* Reset register: SystemIO 0xCF9, value 6, RESET_REG_SUP. */
	CHECK_EQ(f[116], 1);
	CHECK_EQ(f[117], 8);
	CHECK_EQ(f[118], 0);
	CHECK_EQ(rd(f, 120, 8), 0xcf9);
	CHECK_EQ(f[128], 6);
	CHECK(rd(f, 112, 4) & (1u << 10));
	CHECK(!(rd(f, 112, 4) & (1u << 20))); /* not HW_REDUCED_ACPI */
}

static void check_madt(const struct tables *t)
{
	const uint8_t *m = t->apic;
	uint32_t len = rd(m, 4, 4);
	unsigned int lapics = 0, ioapics = 0, irq0 = 0, sci = 0;
	size_t off;

	CHECK_EQ(rd(m, 36, 4), 0xfee00000);
	CHECK_EQ(rd(m, 40, 4) & 1, 1); /* PCAT_COMPAT: 8259s present */
	for (off = 44; off + 2 <= len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		if (e[1] < 2 || off + e[1] > len) {
			CHECK(0);
			break;
		}
		switch (e[0]) {
		case 0: /* processor local APIC */
			CHECK_EQ(e[1], 8);
			CHECK_EQ(e[2], lapics); /* processor UID */
			CHECK_EQ(e[3], lapics); /* APIC ID */
			CHECK_EQ(rd(e, 4, 4), 1); /* enabled */
			CHECK_EQ(ioapics, 0);
			lapics++;
			break;
		case 1: /* I/O APIC */
			CHECK_EQ(e[1], 12);
			CHECK_EQ(rd(e, 4, 4), 0xfec00000);
			CHECK_EQ(rd(e, 8, 4), 0); /* GSI base */
			ioapics++;
			break;
		case 2: /* interrupt source override */
			CHECK_EQ(e[1], 10);
			CHECK_EQ(e[2], 0); /* ISA */
			if (e[3] == 0) {
				CHECK_EQ(rd(e, 4, 4), 2);
				irq0++;
			} else if (e[3] == 9) {
				CHECK_EQ(rd(e, 4, 4), 9);
				/* Active high (01), level triggered (11). */
				CHECK_EQ(rd(e, 8, 2), 0x000d);
				sci++;
			} else {
				CHECK(0);
			}
			break;
		case 4: /* local APIC NMI */
			CHECK_EQ(e[1], 6);
			break;
		default:
			fprintf(stderr, "MADT entry type %u\n", e[0]);
			CHECK(0);
		}
	}
	CHECK_EQ(off, len);
	CHECK_EQ(lapics, t->cpus);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(irq0, 1);
	CHECK_EQ(sci, 1);
}

static void check_mcfg(const struct tables *t)
{
	const uint8_t *m = t->mcfg;

	CHECK_EQ(rd(m, 4, 4), 44 + 16);
	CHECK_EQ(rd(m, 36, 8), 0); /* reserved */
	CHECK_EQ(rd(m, 44, 8), 0xb0000000);
	CHECK_EQ(rd(m, 52, 2), 0); /* segment */
	CHECK_EQ(m[54], 0);
	CHECK_EQ(m[55], 255);
}

/*
 * A walk over the DSDT's AML, for the subset the writer produces: it
 * checks every package length and records each named object's absolute
 * path and, for Name(), where its value starts.
 */
#define MAX_OBJS 64

struct aml_walk {
	const uint8_t *base;
	bool ok;
	unsigned int count;
	char path[MAX_OBJS][40];
	const uint8_t *value[MAX_OBJS];
	const uint8_t *value_end[MAX_OBJS];
};

static bool walk_fail(struct aml_walk *w, const uint8_t *p, const char *why)
{
	if (w->ok)
		fprintf(stderr, "AML at 0x%zx: %s\n", (size_t)(p - w->base),
			why);
	w->ok = false;
	return false;
}

/* A PkgLength at *p: the package ends at the returned pointer. */
static const uint8_t *pkg_end(struct aml_walk *w, const uint8_t **p,
			      const uint8_t *end)
{
	const uint8_t *s = *p;
	unsigned int n = (s[0] >> 6) + 1;
	uint32_t len;

	if (s + n > end)
		return walk_fail(w, s, "PkgLength past the end"), NULL;
	if (n == 1) {
		len = s[0] & 0x3f;
	} else {
		if (s[0] & 0x30)
			return walk_fail(w, s, "PkgLength bits 4-5"), NULL;
		len = s[0] & 0x0f;
		for (unsigned int i = 1; i < n; i++)
			len |= (uint32_t)s[i] << (4 + 8 * (i - 1));
	}
	/* The shortest encoding: Linux and iasl accept longer, we don't. */
	if ((n == 2 && len < 0x40) || (n == 3 && len < 0x1000) ||
	    (n == 4 && len < 0x100000))
		walk_fail(w, s, "PkgLength not minimal");
	*p = s + n;
	if (len < n || s + len > end)
		return walk_fail(w, s, "package past its parent"), NULL;
	return s + len;
}

static bool lead_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(uint8_t c)
{
	return lead_char(c) || (c >= '0' && c <= '9');
}

/* A NameString, made absolute against scope into out. */
static const uint8_t *name_string(struct aml_walk *w, const uint8_t *p,
				  const uint8_t *end, const char *scope,
				  char *out, size_t outlen)
{
	unsigned int segs = 1;
	char buf[64] = "";

	if (p < end && *p == '\\') {
		strcpy(buf, "\\");
		p++;
	} else {
		snprintf(buf, sizeof(buf), "%s", scope);
		while (p < end && *p == '^') {
			char *dot = strrchr(buf, '.');

			if (!dot)
				return walk_fail(w, p, "^ above root"), NULL;
			*dot = 0;
			p++;
		}
	}
	if (p >= end)
		return walk_fail(w, p, "name past the end"), NULL;
	if (*p == 0x00) {
		segs = 0;
		p++;
	} else if (*p == 0x2e) {
		segs = 2;
		p++;
	} else if (*p == 0x2f) {
		if (p + 1 >= end)
			return walk_fail(w, p, "name past the end"), NULL;
		segs = p[1];
		p += 2;
	}
	for (unsigned int i = 0; i < segs; i++, p += 4) {
		size_t l = strlen(buf);

		if (p + 4 > end || !lead_char(p[0]) || !name_char(p[1]) ||
		    !name_char(p[2]) || !name_char(p[3]))
			return walk_fail(w, p, "bad NameSeg"), NULL;
		if (l + 6 > sizeof(buf))
			return walk_fail(w, p, "path too long"), NULL;
		if (l > 1)
			buf[l++] = '.';
		memcpy(buf + l, p, 4);
		buf[l + 4] = 0;
	}
	snprintf(out, outlen, "%s", buf);
	return p;
}

static const uint8_t *data_object(struct aml_walk *w, const uint8_t *p,
				  const uint8_t *end);

/* Package(n) { data objects }: exactly n of them. */
static const uint8_t *package(struct aml_walk *w, const uint8_t *p,
			      const uint8_t *end)
{
	const uint8_t *e = pkg_end(w, &p, end);
	unsigned int n, got = 0;

	if (!e || p >= e)
		return walk_fail(w, p, "bad Package"), NULL;
	n = *p++;
	while (p && p < e) {
		p = data_object(w, p, e);
		got++;
	}
	if (!p || got != n)
		return walk_fail(w, e, "Package element count"), NULL;
	return e;
}

/* Buffer: a size, then exactly that many bytes. */
static const uint8_t *buffer(struct aml_walk *w, const uint8_t *p,
			     const uint8_t *end)
{
	const uint8_t *e = pkg_end(w, &p, end);
	const uint8_t *data;
	uint64_t size;

	if (!e)
		return NULL;
	data = data_object(w, p, e);
	if (!data)
		return NULL;
	switch (*p) {
	case 0x00:
		size = 0;
		break;
	case 0x01:
		size = 1;
		break;
	default:
		size = rd(p + 1, 0, data - p - 1);
	}
	if (size != (uint64_t)(e - data))
		return walk_fail(w, p, "Buffer size"), NULL;
	return e;
}

static const uint8_t *data_object(struct aml_walk *w, const uint8_t *p,
				  const uint8_t *end)
{
	static const unsigned int sizes[] = {
		[0x0a] = 1,
		[0x0b] = 2,
		[0x0c] = 4,
		[0x0e] = 8,
	};

	if (p >= end)
		return walk_fail(w, p, "data past the end"), NULL;
	switch (*p) {
	case 0x00:
	case 0x01:
	case 0xff:
		return p + 1;
	case 0x0a:
	case 0x0b:
	case 0x0c:
	case 0x0e:
		if (p + 1 + sizes[*p] > end)
			return walk_fail(w, p, "integer past the end"), NULL;
		return p + 1 + sizes[*p];
	case 0x0d: {
		const uint8_t *z = memchr(p + 1, 0, end - p - 1);

		return z ? z + 1 : (walk_fail(w, p, "string"), NULL);
	}
	case 0x11:
		return buffer(w, p + 1, end);
	case 0x12:
		return package(w, p + 1, end);
	}
	return walk_fail(w, p, "unknown data object"), NULL;
}

static bool record(struct aml_walk *w, const char *path, const uint8_t *v,
		   const uint8_t *v_end)
{
	if (w->count == MAX_OBJS)
		return walk_fail(w, v, "too many objects");
	for (unsigned int i = 0; i < w->count; i++)
		if (!strcmp(w->path[i], path))
			return walk_fail(w, v, "name declared twice");
	snprintf(w->path[w->count], sizeof(w->path[0]), "%s", path);
	w->value[w->count] = v;
	w->value_end[w->count] = v_end;
	w->count++;
	return true;
}

/* A TermList of Scope, Device and Name in scope, exactly filling it. */
static bool term_list(struct aml_walk *w, const uint8_t *p, const uint8_t *end,
		      const char *scope)
{
	char path[64];

	while (p < end) {
		const uint8_t *e, *v;

		switch (*p) {
		case 0x10: /* Scope */
			p++;
			e = pkg_end(w, &p, end);
			if (!e)
				return false;
			p = name_string(w, p, e, scope, path, sizeof(path));
			if (!p || !term_list(w, p, e, path))
				return false;
			p = e;
			break;
		case 0x5b: /* Device */
			if (p + 1 >= end || p[1] != 0x82)
				return walk_fail(w, p, "unknown ExtOp");
			p += 2;
			e = pkg_end(w, &p, end);
			if (!e)
				return false;
			p = name_string(w, p, e, scope, path, sizeof(path));
			if (!p || !record(w, path, NULL, NULL) ||
			    !term_list(w, p, e, path))
				return false;
			p = e;
			break;
		case 0x08: /* Name */
			p = name_string(w, p + 1, end, scope, path,
					sizeof(path));
			if (!p)
				return false;
			v = p;
			p = data_object(w, p, end);
			if (!p || !record(w, path, v, p))
				return false;
			break;
		default:
			return walk_fail(w, p, "unknown opcode");
		}
	}
	return p == end;
}

static int find(const struct aml_walk *w, const char *path)
{
	for (unsigned int i = 0; i < w->count; i++)
		if (!strcmp(w->path[i], path))
			return i;
	fprintf(stderr, "DSDT: no %s\n", path);
	return -1;
}

/* The value of Name(path) is exactly these bytes. */
static void check_value(const struct aml_walk *w, const char *path,
			const uint8_t *bytes, size_t len)
{
	int i = find(w, path);

	CHECK(i >= 0);
	if (i < 0)
		return;
	CHECK(w->value[i] != NULL);
	if (!w->value[i])
		return;
	CHECK_EQ(w->value_end[i] - w->value[i], len);
	if ((size_t)(w->value_end[i] - w->value[i]) == len)
		CHECK(!memcmp(w->value[i], bytes, len));
}

/* The resource template of path has this descriptor. */
static void check_resource(const struct aml_walk *w, const char *path,
			   const uint8_t *desc, size_t len)
{
	int i = find(w, path);
	const uint8_t *v, *e;
	bool found = false;

	CHECK(i >= 0 && w->value[i]);
	if (i < 0 || !w->value[i])
		return;
	v = w->value[i];
	e = w->value_end[i];
	CHECK_EQ(v[0], 0x11);
	CHECK_EQ(e[-2], 0x79); /* end tag */
	for (const uint8_t *p = v; p + len <= e; p++)
		found |= !memcmp(p, desc, len);
	if (!found)
		fprintf(stderr, "%s: descriptor %02x not found\n", path,
			desc[0]);
	CHECK(found);
}

static void check_dsdt(const struct tables *t)
{
	static const uint8_t pnp0a08[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const uint8_t pnp0b00[] = { 0x0c, 0x41, 0xd0, 0x0b, 0x00 };
	static const uint8_t s5[] = { 0x12, 0x08, 0x04, 0x0a, 0x05,
				      0x0a, 0x05, 0x00, 0x00 };
	static const uint8_t com1_io[] = { 0x47, 0x01, 0xf8, 0x03,
					   0xf8, 0x03, 0x01, 0x08 };
	static const uint8_t com1_irq[] = { 0x22, 0x10, 0x00 };
	static const uint8_t rtc_io[] = { 0x47, 0x01, 0x70, 0x00,
					  0x70, 0x00, 0x01, 0x02 };
	static const uint8_t rtc_irq[] = { 0x22, 0x00, 0x01 };
	static const uint8_t pci_cfg_io[] = { 0x47, 0x01, 0xf8, 0x0c,
					      0xf8, 0x0c, 0x01, 0x08 };
	static const uint8_t buses[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00,
					 0x00, 0x00, 0x00, 0x00, 0xff, 0x00,
					 0x00, 0x00, 0x00, 0x01 };
	/* DWordMemory: granularity 0, 0xc0000000-0xfbffffff, length. */
	static const uint8_t mmio32[] = {
		0x87, 0x17, 0x00, 0x00, 0x0c, 0x03, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff, 0xfb,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c,
	};
	const uint8_t *d = t->dsdt;
	uint32_t len = rd(d, 4, 4);
	struct aml_walk w = { .base = d, .ok = true };
	uint64_t base, size;
	uint8_t mmio64[46] = { 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x03 };

	CHECK(d[8] >= 2); /* 64-bit integers */
	CHECK(len > 36);
	CHECK(term_list(&w, d + 36, d + len, "\\"));
	CHECK(w.ok);
	CHECK(find(&w, "\\_SB_.PCI0") >= 0);
	CHECK(find(&w, "\\_SB_.COM1") >= 0);
	CHECK(find(&w, "\\_SB_.RTC_") >= 0);
	check_value(&w, "\\_SB_.PCI0._HID", pnp0a08, sizeof(pnp0a08));
	check_value(&w, "\\_SB_.PCI0._CID", pnp0a03, sizeof(pnp0a03));
	check_value(&w, "\\_SB_.PCI0._SEG", (const uint8_t *)"", 1);
	check_value(&w, "\\_SB_.PCI0._BBN", (const uint8_t *)"", 1);
	check_value(&w, "\\_SB_.COM1._HID", pnp0501, sizeof(pnp0501));
	check_value(&w, "\\_SB_.RTC_._HID", pnp0b00, sizeof(pnp0b00));
	check_value(&w, "\\_S5_", s5, sizeof(s5));
	check_resource(&w, "\\_SB_.COM1._CRS", com1_io, sizeof(com1_io));
	check_resource(&w, "\\_SB_.COM1._CRS", com1_irq, sizeof(com1_irq));
	check_resource(&w, "\\_SB_.RTC_._CRS", rtc_io, sizeof(rtc_io));
	check_resource(&w, "\\_SB_.RTC_._CRS", rtc_irq, sizeof(rtc_irq));
	check_resource(&w, "\\_SB_.PCI0._CRS", pci_cfg_io, sizeof(pci_cfg_io));
	check_resource(&w, "\\_SB_.PCI0._CRS", buses, sizeof(buses));
	check_resource(&w, "\\_SB_.PCI0._CRS", mmio32, sizeof(mmio32));

	/* The 64-bit window: above all RAM, 1 GiB aligned, as advertised. */
	x86_pci_mmio64_window(t->mem_size, 40, &base, &size);
	CHECK(base >=
	      X86_HIGH_RAM_BASE + (t->mem_size > X86_LOW_RAM_END
					   ? t->mem_size - X86_LOW_RAM_END
					   : 0));
	CHECK_EQ(base & ((1ull << 30) - 1), 0);
	CHECK(size >= (1ull << 30));
	CHECK(base + size <= (1ull << 46)); /* within a 46-bit guest */
	for (int i = 0; i < 8; i++) {
		mmio64[14 + i] = base >> (8 * i);
		mmio64[22 + i] = (base + size - 1) >> (8 * i);
		mmio64[38 + i] = size >> (8 * i);
	}
	check_resource(&w, "\\_SB_.PCI0._CRS", mmio64, sizeof(mmio64));
}

/* Every table lies in the area without overlapping another. */
static void check_layout(const struct tables *t)
{
	const uint8_t *tabs[] = { t->xsdt, t->facp, t->apic,
				  t->mcfg, t->dsdt, t->facs };
	size_t n = sizeof(tabs) / sizeof(tabs[0]);

	for (size_t i = 0; i < n; i++) {
		size_t ai = tabs[i] - t->buf, li = rd(tabs[i], 4, 4);

		CHECK(ai >= 36); /* after the RSDP */
		CHECK(ai + li <= AREA_SIZE);
		for (size_t j = i + 1; j < n; j++) {
			size_t aj = tabs[j] - t->buf, lj = rd(tabs[j], 4, 4);

			CHECK(ai + li <= aj || aj + lj <= ai);
		}
	}
}

static bool write_file(const char *dir, const char *name, const void *p,
		       size_t len)
{
	char path[4096];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return false;
	}
	ok = fwrite(p, 1, len, f) == len;
	ok &= fclose(f) == 0;
	return ok;
}

/* For acpi_iasl.sh: each table of the build as SIGNATURE.dat. */
static void dump_tables(const struct tables *t)
{
	const char *dir = getenv("SCORPI_ACPI_OUT");
	const uint8_t *tabs[] = { t->xsdt, t->facp, t->apic,
				  t->mcfg, t->dsdt, t->facs };

	if (!dir || !*dir)
		return;
	CHECK(write_file(dir, "RSDP", t->rsdp, 36));
	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		char sig[5];

		memcpy(sig, tabs[i], 4);
		sig[4] = 0;
		CHECK(write_file(dir, sig, tabs[i], rd(tabs[i], 4, 4)));
	}
}

static void check_build(unsigned int cpus, uint64_t mem_size, bool dump)
{
	struct tables t;

	build(&t, cpus, mem_size);
	if (t.xsdt && t.facp && t.apic && t.mcfg && t.dsdt && t.facs) {
		check_fadt(&t);
		check_madt(&t);
		check_mcfg(&t);
		check_dsdt(&t);
		check_layout(&t);
		if (dump)
			dump_tables(&t);
	}
	free(t.buf);
}

static void test_tables_1cpu(void)
{
	check_build(1, 256ull << 20, false);
	check_build(1, 8ull << 30, false);
}

static void test_tables_4cpu(void)
{
	check_build(4, 256ull << 20, true);
	check_build(4, 8ull << 30, false);
}

static void test_tables_64cpu(void)
{
	check_build(64, 256ull << 20, false);
	check_build(64, 8ull << 30, false);
}

/* Too small an area fails rather than writing past it. */
static void test_overflow(void)
{
	struct x86_acpi_config cfg = { .cpus = 4,
				       .mem_size = 256ull << 20,
				       .phys_bits = 40 };
	static uint8_t buf[4096 + 64];
	size_t need = 0;

	for (size_t size = 64; size <= 4096; size += 4) {
		memset(buf, 0x5a, sizeof(buf));
		if (x86_acpi_build(buf, AREA_GPA, size, &cfg) == 0) {
			need = size;
			break;
		}
		for (size_t i = size; i < sizeof(buf); i++)
			if (buf[i] != 0x5a) {
				CHECK_EQ(buf[i], 0x5a);
				break;
			}
	}
	CHECK(need > 36 + 64 + 276);
	CHECK(need < 4096);
}

/* What the writer produced, against the expected bytes. */
static void expect_aml(struct aml *a, const uint8_t *bytes, size_t len)
{
	CHECK_EQ(aml_finish(a), 0);
	CHECK_EQ(a->len, len);
	if (a->len == len && memcmp(a->buf, bytes, len)) {
		fprintf(stderr, "AML:");
		for (size_t i = 0; i < a->len; i++)
			fprintf(stderr, " %02x", a->buf[i]);
		fprintf(stderr, "\n");
		CHECK(0);
	}
	aml_free(a);
}

#define EXPECT_AML(a, ...)                                        \
	do {                                                      \
		static const uint8_t expect_[] = { __VA_ARGS__ }; \
		expect_aml(a, expect_, sizeof(expect_));          \
	} while (0)

static void test_aml_integers(void)
{
	struct aml a;

	aml_init(&a);
	aml_integer(&a, 0);
	EXPECT_AML(&a, 0x00);
	aml_init(&a);
	aml_integer(&a, 1);
	EXPECT_AML(&a, 0x01);
	aml_init(&a);
	aml_integer(&a, 2);
	EXPECT_AML(&a, 0x0a, 0x02);
	aml_init(&a);
	aml_integer(&a, 0x12);
	EXPECT_AML(&a, 0x0a, 0x12);
	aml_init(&a);
	aml_integer(&a, 0xff);
	EXPECT_AML(&a, 0x0a, 0xff);
	aml_init(&a);
	aml_integer(&a, 0x100);
	EXPECT_AML(&a, 0x0b, 0x00, 0x01);
	aml_init(&a);
	aml_integer(&a, 0x1234);
	EXPECT_AML(&a, 0x0b, 0x34, 0x12);
	aml_init(&a);
	aml_integer(&a, 0x10000);
	EXPECT_AML(&a, 0x0c, 0x00, 0x00, 0x01, 0x00);
	aml_init(&a);
	aml_integer(&a, 0x12345678);
	EXPECT_AML(&a, 0x0c, 0x78, 0x56, 0x34, 0x12);
	aml_init(&a);
	aml_integer(&a, 0xffffffff);
	EXPECT_AML(&a, 0x0c, 0xff, 0xff, 0xff, 0xff);
	aml_init(&a);
	aml_integer(&a, 0x100000000ull);
	EXPECT_AML(&a, 0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
	aml_init(&a);
	aml_integer(&a, 0x123456789abcdef0ull);
	EXPECT_AML(&a, 0x0e, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12);
	aml_init(&a);
	aml_integer(&a, ~0ull);
	EXPECT_AML(&a, 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

	aml_init(&a);
	aml_string(&a, "ab");
	EXPECT_AML(&a, 0x0d, 'a', 'b', 0x00);
	aml_init(&a);
	aml_string(&a, "");
	EXPECT_AML(&a, 0x0d, 0x00);
}

static void test_aml_names(void)
{
	struct aml a;

	aml_init(&a);
	aml_name(&a, "\\_SB.PCI0");
	EXPECT_AML(&a, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	aml_init(&a);
	aml_name(&a, "\\_SB_.PCI0");
	EXPECT_AML(&a, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	aml_init(&a);
	aml_name(&a, "PCI0");
	EXPECT_AML(&a, 'P', 'C', 'I', '0');
	aml_init(&a);
	aml_name(&a, "RTC");
	EXPECT_AML(&a, 'R', 'T', 'C', '_');
	aml_init(&a);
	aml_name(&a, "\\_S5");
	EXPECT_AML(&a, 0x5c, '_', 'S', '5', '_');
	aml_init(&a);
	aml_name(&a, "A");
	EXPECT_AML(&a, 'A', '_', '_', '_');
	aml_init(&a);
	aml_name(&a, "\\_SB.PCI0.ISA");
	EXPECT_AML(&a, 0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
		   'I', 'S', 'A', '_');
	aml_init(&a);
	aml_name(&a, "^^FOO");
	EXPECT_AML(&a, 0x5e, 0x5e, 'F', 'O', 'O', '_');
	aml_init(&a);
	aml_name(&a, "\\");
	EXPECT_AML(&a, 0x5c, 0x00);

	/* A segment of five characters is an error. */
	aml_init(&a);
	aml_name(&a, "ABCDE");
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);
	aml_init(&a);
	aml_name(&a, "\\_SB.PCI00");
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);

	aml_init(&a);
	aml_name_decl(&a, "_UID");
	aml_integer(&a, 7);
	EXPECT_AML(&a, 0x08, '_', 'U', 'I', 'D', 0x0a, 0x07);
}

static void test_aml_eisaid(void)
{
	struct aml a;

	aml_init(&a);
	aml_eisaid(&a, "PNP0A08");
	EXPECT_AML(&a, 0x0c, 0x41, 0xd0, 0x0a, 0x08);
	aml_init(&a);
	aml_eisaid(&a, "PNP0A03");
	EXPECT_AML(&a, 0x0c, 0x41, 0xd0, 0x0a, 0x03);
	aml_init(&a);
	aml_eisaid(&a, "PNP0501");
	EXPECT_AML(&a, 0x0c, 0x41, 0xd0, 0x05, 0x01);
	aml_init(&a);
	aml_eisaid(&a, "PNP0B00");
	EXPECT_AML(&a, 0x0c, 0x41, 0xd0, 0x0b, 0x00);
	aml_init(&a);
	aml_eisaid(&a, "PNP0103");
	EXPECT_AML(&a, 0x0c, 0x41, 0xd0, 0x01, 0x03);
	/* Another vendor: Q=0x11 E=0x05 M=0x0d. */
	aml_init(&a);
	aml_eisaid(&a, "QEM00FF");
	EXPECT_AML(&a, 0x0c, 0x44, 0xad, 0x00, 0xff);
}

/* A device whose body (name and contents) is body bytes long. */
static void device_with_body(struct aml *a, size_t body)
{
	aml_init(a);
	aml_device(a, "DEV0");
	for (size_t i = 4; i < body; i++)
		aml_byte(a, 0x01);
	aml_close(a);
	CHECK_EQ(aml_finish(a), 0);
}

/* Decodes the PkgLength at p; *n gets its size in bytes. */
static uint32_t pkglen(const uint8_t *p, unsigned int *n)
{
	uint32_t len;

	*n = (p[0] >> 6) + 1;
	if (*n == 1)
		return p[0] & 0x3f;
	len = p[0] & 0x0f;
	for (unsigned int i = 1; i < *n; i++)
		len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return len;
}

static void check_device_pkglen(size_t body, unsigned int want_n)
{
	struct aml a;
	unsigned int n;

	device_with_body(&a, body);
	CHECK_EQ(a.len, 2 + want_n + body);
	CHECK_EQ(a.buf[0], 0x5b);
	CHECK_EQ(a.buf[1], 0x82);
	CHECK_EQ(pkglen(a.buf + 2, &n), want_n + body);
	CHECK_EQ(n, want_n);
	if (n > 1)
		CHECK_EQ(a.buf[2] & 0x30, 0);
	CHECK(!memcmp(a.buf + 2 + n, "DEV0", 4));
	CHECK_EQ(a.buf[a.len - 1], body > 4 ? 0x01 : '0');
	aml_free(&a);
}

static void test_aml_pkglength(void)
{
	struct aml a;

	/* Device (DEV0) {}: 5B 82, PkgLength 5, the name. */
	device_with_body(&a, 4);
	EXPECT_AML(&a, 0x5b, 0x82, 0x05, 'D', 'E', 'V', '0');

	check_device_pkglen(4, 1);
	check_device_pkglen(62, 1); /* 63 with the length byte */
	check_device_pkglen(63, 2);
	check_device_pkglen(100, 2);
	check_device_pkglen(4093, 2); /* 4095 with the length bytes */
	check_device_pkglen(4094, 3);
	check_device_pkglen(5000, 3);
	check_device_pkglen(0xffffc, 3);
	check_device_pkglen(0xffffd, 4);

	/* The bytes of a 2-byte and a 3-byte PkgLength. */
	device_with_body(&a, 63); /* 65 = 0x41 */
	CHECK_EQ(a.buf[2], 0x41);
	CHECK_EQ(a.buf[3], 0x04);
	aml_free(&a);
	device_with_body(&a, 4094); /* 4097 = 0x1001 */
	CHECK_EQ(a.buf[2], 0x81);
	CHECK_EQ(a.buf[3], 0x00);
	CHECK_EQ(a.buf[4], 0x01);
	aml_free(&a);

	/* Nested: the outer length counts the inner one's bytes. */
	aml_init(&a);
	aml_scope(&a, "\\_SB");
	aml_device(&a, "DEV0");
	aml_close(&a);
	aml_close(&a);
	EXPECT_AML(&a, 0x10, 0x0d, 0x5c, '_', 'S', 'B', '_', 0x5b, 0x82, 0x05,
		   'D', 'E', 'V', '0');

	/* A nested body that grows past 63 bytes makes its parent grow. */
	aml_init(&a);
	aml_scope(&a, "\\_SB");
	aml_device(&a, "DEV0");
	for (int i = 0; i < 56; i++)
		aml_byte(&a, 0x01);
	aml_close(&a); /* 60 + 1 + 2 = 63 bytes */
	aml_close(&a); /* 5 + 63 = 68 */
	CHECK_EQ(aml_finish(&a), 0);
	CHECK_EQ(a.len, 1 + 2 + 68);
	CHECK_EQ(a.buf[0], 0x10);
	CHECK_EQ(a.buf[1], 0x40 | (70 & 0xf));
	CHECK_EQ(a.buf[2], 70 >> 4);
	CHECK_EQ(a.buf[8], 0x5b);
	CHECK_EQ(a.buf[10], 61);
	aml_free(&a);

	/* Package (2) { 5, Zero } */
	aml_init(&a);
	aml_package(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_close(&a);
	EXPECT_AML(&a, 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00);
}

static void test_aml_resources(void)
{
	struct aml a;

	aml_init(&a);
	aml_resource_template(&a);
	aml_res_io(&a, 0x3f8, 8);
	aml_res_irq(&a, 4);
	aml_close(&a);
	EXPECT_AML(&a, 0x11, 0x13, 0x0c, 0x0d, 0x00, 0x00, 0x00, /* size 13 */
		   0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, /* IO */
		   0x22, 0x10, 0x00, /* IRQNoFlags {4} */
		   0x79, 0x00);

	aml_init(&a);
	aml_resource_template(&a);
	aml_res_word_bus(&a, 0, 0xff);
	aml_close(&a);
	EXPECT_AML(&a, 0x11, 0x18, 0x0c, 0x12, 0x00, 0x00, 0x00, 0x88, 0x0d,
		   0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00,
		   0x00, 0x00, 0x00, 0x01, 0x79, 0x00);

	aml_init(&a);
	aml_resource_template(&a);
	aml_res_word_io(&a, 0x0d00, 0xffff);
	aml_close(&a);
	EXPECT_AML(&a, 0x11, 0x18, 0x0c, 0x12, 0x00, 0x00, 0x00, 0x88, 0x0d,
		   0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xff,
		   0x00, 0x00, 0x00, 0xf3, 0x79, 0x00);

	aml_init(&a);
	aml_resource_template(&a);
	aml_res_dword_mem(&a, 0xc0000000, 0xfbffffff);
	aml_close(&a);
	EXPECT_AML(&a, 0x11, 0x22, 0x0c, 0x1c, 0x00, 0x00, 0x00, 0x87, 0x17,
		   0x00, 0x00, 0x0c, 0x03, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xc0,
		   0xff, 0xff, 0xff, 0xfb, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x3c,
		   0x79, 0x00);

	aml_init(&a);
	aml_resource_template(&a);
	aml_res_qword_mem(&a, 0x1000000000ull, 0x1fffffffffull);
	aml_close(&a);
	EXPECT_AML(&a, 0x11, 0x36, 0x0c, 0x30, 0x00, 0x00, 0x00, 0x8a, 0x2b,
		   0x00, 0x00, 0x0c, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, /* gran */
		   0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, /* min */
		   0xff, 0xff, 0xff, 0xff, 0x1f, 0x00, 0x00, 0x00, /* max */
		   0, 0, 0, 0, 0, 0, 0, 0, /* translation */
		   0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, /* length */
		   0x79, 0x00);
}

static void test_aml_balance(void)
{
	struct aml a;

	aml_init(&a);
	CHECK_EQ(aml_finish(&a), 0);
	aml_free(&a);

	/* Left open. */
	aml_init(&a);
	aml_device(&a, "DEV0");
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);

	aml_init(&a);
	aml_scope(&a, "\\_SB");
	aml_device(&a, "DEV0");
	aml_close(&a);
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);

	/* Closed once too often. */
	aml_init(&a);
	aml_close(&a);
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);

	aml_init(&a);
	aml_device(&a, "DEV0");
	aml_close(&a);
	aml_close(&a);
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);

	/* Nested deeper than the writer keeps track of. */
	aml_init(&a);
	for (int i = 0; i <= AML_MAX_DEPTH; i++)
		aml_device(&a, "DEV0");
	for (int i = 0; i <= AML_MAX_DEPTH; i++)
		aml_close(&a);
	CHECK_EQ(aml_finish(&a), -1);
	aml_free(&a);

	/* As deep as it keeps track of is fine. */
	aml_init(&a);
	for (int i = 0; i < AML_MAX_DEPTH; i++)
		aml_device(&a, "DEV0");
	for (int i = 0; i < AML_MAX_DEPTH; i++)
		aml_close(&a);
	CHECK_EQ(aml_finish(&a), 0);
	CHECK(a.len >= AML_MAX_DEPTH * 7 && a.len <= AML_MAX_DEPTH * 8);
	aml_free(&a);
}

/*
 * The table loader as OVMF runs it (OvmfPkg/AcpiPlatformDxe/
 * QemuFwCfgAcpi.c): the blob placed at base, base added to each pointer
 * field, each checksum byte overwritten with the sum over its range.
 * Returns false on a command OVMF would refuse.
 */
static bool run_loader(const uint8_t *cmds, size_t len, uint8_t *blob,
		       size_t blob_len, uint64_t base)
{
	const char *file = "etc/acpi/tables";
	bool allocated = false;

	if (len % ACPI_LOADER_ENTRY_SIZE)
		return false;
	for (const uint8_t *e = cmds; e < cmds + len;
	     e += ACPI_LOADER_ENTRY_SIZE) {
		uint32_t cmd = rd(e, 0, 4);

		if (cmd == ACPI_LOADER_ALLOCATE) {
			if (strcmp((const char *)e + 4, file) || allocated)
				return false;
			allocated = rd(e, 60, 4) <= 4096;
		} else if (cmd == ACPI_LOADER_ADD_POINTER) {
			uint32_t off = rd(e, 116, 4), size = e[120];
			uint64_t v;

			if (!allocated || strcmp((const char *)e + 4, file) ||
			    strcmp((const char *)e + 60, file) ||
			    (size != 1 && size != 2 && size != 4 &&
			     size != 8) ||
			    off + size > blob_len)
				return false;
			v = rd(blob, off, size);
			if (v >= blob_len)
				return false; /* OVMF: outside the source */
			v += base;
			for (unsigned int i = 0; i < size; i++)
				blob[off + i] = v >> (8 * i);
		} else if (cmd == ACPI_LOADER_ADD_CHECKSUM) {
			uint32_t res = rd(e, 60, 4), start = rd(e, 64, 4);
			uint32_t n = rd(e, 68, 4);

			if (!allocated || res >= blob_len ||
			    start + n > blob_len)
				return false;
			blob[res] = acpi_checksum(blob + start, n);
		} else {
			return false;
		}
	}
	return allocated;
}

/*
 * The blob and loader commands for firmware give, once loaded at some
 * address, the same bytes as tables built at that address directly.
 */
static void test_table_loader(void)
{
	struct x86_acpi_config cfg = { .cpus = 4,
				       .mem_size = 6ull << 30,
				       .phys_bits = 40 };
	static uint8_t blob[AREA_SIZE], direct[AREA_SIZE];
	const uint64_t base = 0x7e5f0000;
	struct acpi_area a;
	uint8_t *cmds;
	size_t len = 0;

	acpi_area_init(&a, blob, 0, sizeof(blob));
	CHECK_EQ(x86_acpi_build_area(&a, &cfg), 0);
	cmds = acpi_loader_build(&a, "etc/acpi/tables", &len);
	CHECK(cmds != NULL);
	if (!cmds)
		return;
	/* Pointers of FADT (3), XSDT (3), RSDP; checksums of 5 + 2. */
	CHECK_EQ(len, (1 + 7 + 7) * ACPI_LOADER_ENTRY_SIZE);
	CHECK(run_loader(cmds, len, blob, a.used, base));
	CHECK_EQ(x86_acpi_build(direct, base, sizeof(direct), &cfg), 0);
	CHECK(!memcmp(blob, direct, a.used));
	free(cmds);

	/* Not for an area with addresses of its own. */
	acpi_area_init(&a, direct, base, sizeof(direct));
	CHECK_EQ(x86_acpi_build_area(&a, &cfg), 0);
	CHECK(acpi_loader_build(&a, "etc/acpi/tables", &len) == NULL);
}

/*
 * The 64-bit window reaches from RAM's end to the top of the guest's
 * address space (46 bits at most), so it holds OVMF's choice: 32 GiB
 * above RAM, aligned to 32 GiB, or the top eighth.
 */
static void test_mmio64_window(void)
{
	uint64_t base, size;

	x86_pci_mmio64_window(1ull << 30, 40, &base, &size);
	CHECK_EQ(base, X86_HIGH_RAM_BASE);
	CHECK_EQ(base + size, 1ull << 40);
	CHECK(base <= (32ull << 30) && base + size >= (64ull << 30));
	x86_pci_mmio64_window(8ull << 30, 52, &base, &size);
	CHECK_EQ(base, 10ull << 30); /* 9.25 GiB of RAM's end, aligned up */
	CHECK_EQ(base + size, 1ull << 46);
	/* An address width too small for more still gets 64 GiB. */
	x86_pci_mmio64_window(8ull << 30, 36, &base, &size);
	CHECK_EQ(size, 64ull << 30);
}

TEST_MAIN(TEST(test_aml_integers), TEST(test_aml_names), TEST(test_aml_eisaid),
	  TEST(test_aml_pkglength), TEST(test_aml_resources),
	  TEST(test_aml_balance), TEST(test_tables_1cpu),
	  TEST(test_tables_4cpu), TEST(test_tables_64cpu), TEST(test_overflow),
	  TEST(test_table_loader), TEST(test_mmio64_window))
