// SPDX-License-Identifier: MIT
/*
 * The SMBIOS tables: well formed (lengths, string sets, unique handles,
 * the end marker, the anchor's checksum and size), the fields the guest
 * reads (/sys/class/dmi/id: the manufacturer, the VM name, the UUID as
 * it was given), counts and sizes past the old fields' range, and
 * dmidecode reading a dump of them as a guest's would. Also the VM's
 * UUID: -o uuid, or made from the name, the same every time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "smbios/smbios.h"

#include "check.h"

static const uint8_t test_uuid[16] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};
#define TEST_UUID_TEXT "12345678-9abc-def0-0123-456789abcdef"

static size_t build(uint8_t *buf, size_t cap, unsigned int cpus, uint64_t mem)
{
	uint64_t low = mem < 0xb0000000ull ? mem : 0xb0000000ull;
	struct smbios_config c = {
		.vm_name = "vm-test",
		.uuid = test_uuid,
		.version = "0.1.0",
		.cpus = cpus,
		.cpu_signature = 0x000a0f10,
		.cpu_features = 0x178bfbff,
		.ram = { { 0, low }, { 0x100000000ull, mem - low } },
		.nram = mem > low ? 2 : 1,
	};

	return smbios_build_tables(&c, buf, cap);
}

/* The structure of type at its place; its strings start after it. */
static const uint8_t *find(const uint8_t *t, size_t len, uint8_t type)
{
	size_t off = 0;

	while (off + 4 <= len) {
		const uint8_t *s = t + off;
		size_t end = off + s[1];

		if (s[0] == type)
			return s;
		while (end + 1 < len && (t[end] || t[end + 1]))
			end++;
		off = end + 2;
	}
	return NULL;
}

/* String n of the structure s (1-based), or "" for 0. */
static const char *str(const uint8_t *s, uint8_t n)
{
	const char *p = (const char *)s + s[1];

	if (!n)
		return "";
	while (--n)
		p += strlen(p) + 1;
	return p;
}

static void test_well_formed(void)
{
	uint8_t t[4096];
	size_t len = build(t, sizeof(t), 2, 512ull << 20), off = 0;
	uint16_t handles[32];
	unsigned int n = 0;
	bool ended = false;

	CHECK(len > 0);
	while (off < len && !ended) {
		const uint8_t *s = t + off;
		size_t end = off + s[1];
		uint16_t h = s[2] | s[3] << 8;

		CHECK(s[1] >= 4);
		for (unsigned int i = 0; i < n; i++)
			CHECK(handles[i] != h);
		if (n < 32)
			handles[n++] = h;
		ended = s[0] == 127;
		/* The string set: up to its double NUL. */
		while (end + 1 < len && (t[end] || t[end + 1]))
			end++;
		CHECK(end + 1 < len);
		off = end + 2;
	}
	CHECK(ended);
	CHECK_EQ(off, len);
	/* 1, 3, 4, 16, 17, one 19, 32, 127. */
	CHECK_EQ(n, 8);
	CHECK(find(t, len, 0) == NULL);
}

static void test_fields(void)
{
	uint8_t t[4096];
	size_t len = build(t, sizeof(t), 300, 6ull << 30);
	const uint8_t *s;
	const uint8_t *m;

	CHECK(len > 0);
	s = find(t, len, 1);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(!strcmp(str(s, s[4]), "Scorpi"));
	CHECK(!strcmp(str(s, s[5]), "vm-test"));
	/* The first three fields little-endian, the rest as given. */
	CHECK_EQ(s[8], 0x78);
	CHECK_EQ(s[11], 0x12);
	CHECK_EQ(s[12], 0xbc);
	CHECK_EQ(s[14], 0xf0);
	CHECK(!memcmp(s + 16, test_uuid + 8, 8));
	s = find(t, len, 4);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ(s[0x23], 255); /* 300 cores: see core count 2 */
		CHECK_EQ(s[0x2a] | s[0x2b] << 8, 300);
		CHECK_EQ(s[0x2e] | s[0x2f] << 8, 300);
	}
	/* 6 GiB: two mapped ranges, the low one ending at the PCI hole. */
	m = find(t, len, 19);
	CHECK(m != NULL);
	if (m) {
		uint32_t end_kib = m[8] | m[9] << 8 | m[10] << 16 |
				   (uint32_t)m[11] << 24;

		CHECK_EQ(end_kib, (0xb0000000u >> 10) - 1);
	}
	s = find(t, len, 17);
	CHECK(s != NULL);
	if (s)
		CHECK_EQ(s[12] | s[13] << 8, 6144);
	/* Too small a buffer: nothing. */
	CHECK_EQ(build(t, 100, 2, 1ull << 30), 0);
}

static void test_anchor(void)
{
	uint8_t a[SMBIOS3_ANCHOR_LEN], sum = 0;

	smbios_build_anchor(a, 0xf0020, 345);
	CHECK(!memcmp(a, "_SM3_", 5));
	for (unsigned int i = 0; i < sizeof(a); i++)
		sum += a[i];
	CHECK_EQ(sum, 0);
	CHECK_EQ(a[6], SMBIOS3_ANCHOR_LEN);
	CHECK_EQ(a[7], 3);
	CHECK_EQ(a[0x0c] | a[0x0d] << 8, 345);
	CHECK_EQ(a[0x10] | a[0x11] << 8 | a[0x12] << 16, 0xf0020);
}

/* dmidecode reads a dump: the anchor at 0, pointing at the table at 32. */
static void test_dmidecode(void)
{
	char path[] = "/tmp/scorpi-smbios-XXXXXX", cmd[128], out[8192];
	uint8_t t[4096], a[SMBIOS3_ANCHOR_LEN], pad[32 - SMBIOS3_ANCHOR_LEN];
	size_t len = build(t, sizeof(t), 4, 2ull << 30), got;
	int fd = mkstemp(path);
	FILE *p;

	CHECK(fd >= 0 && len > 0);
	if (fd < 0)
		return;
	smbios_build_anchor(a, 32, len);
	memset(pad, 0, sizeof(pad));
	CHECK(write(fd, a, sizeof(a)) == sizeof(a));
	CHECK(write(fd, pad, sizeof(pad)) == sizeof(pad));
	CHECK(write(fd, t, len) == (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "dmidecode --from-dump %s 2>&1", path);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p) {
		unlink(path);
		return;
	}
	got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = 0;
	CHECK_EQ(pclose(p), 0);
	unlink(path);
	CHECK(strstr(out, "SMBIOS 3.0.0 present.") != NULL);
	CHECK(strstr(out, "Manufacturer: Scorpi") != NULL);
	CHECK(strstr(out, "Product Name: vm-test") != NULL);
	CHECK(strstr(out, "UUID: " TEST_UUID_TEXT) != NULL);
	CHECK(strstr(out, "Core Count: 4") != NULL);
	CHECK(strstr(out, "Size: 2 GB") != NULL);
	CHECK(strstr(out, "End Of Table") != NULL);
	/* dmidecode's complaints about a table, whatever they say. */
	CHECK(strstr(out, "Invalid") == NULL);
	CHECK(strstr(out, "wrong") == NULL);
	CHECK(strstr(out, "<OUT OF SPEC>") == NULL);
	CHECK(strstr(out, "Bad") == NULL);
	if (strstr(out, "UUID: " TEST_UUID_TEXT) == NULL)
		fputs(out, stderr);
}

static void test_vm_uuid(void)
{
	struct vm_config a, b;
	uint8_t u1[16], u2[16], u3[16];

	config_init(&a);
	config_init(&b);
	snprintf(a.name, sizeof(a.name), "vm1");
	snprintf(b.name, sizeof(b.name), "vm2");
	config_uuid(&a, u1);
	config_uuid(&a, u2);
	config_uuid(&b, u3);
	CHECK(!memcmp(u1, u2, 16));
	CHECK(memcmp(u1, u3, 16));
	CHECK_EQ(u1[6] >> 4, 5); /* version 5: name-based, SHA-1 */
	CHECK_EQ(u1[8] >> 6, 2); /* the RFC 4122 variant */
	CHECK_EQ(config_set(&a, "uuid", TEST_UUID_TEXT, "-o uuid"), 0);
	config_uuid(&a, u1);
	CHECK(!memcmp(u1, test_uuid, 16));
	CHECK_EQ(config_set(&a, "uuid", "12345678-nope", "-o uuid"), -1);
	config_free(&a);
	config_free(&b);
}

TEST_MAIN(TEST(test_well_formed), TEST(test_fields), TEST(test_anchor),
	  TEST(test_dmidecode), TEST(test_vm_uuid))
