// SPDX-License-Identifier: MIT
/*
 * The arm64 device tree, read back with libfdt: every address and interrupt
 * must be layout.h's, and the phandles must point where they should.
 *
 * Usage: test_fdt [virt.dtb [virt-noits.dtb [virt-aff3.dtb]]] writes the
 * blobs of the tests for fdt_dtc.sh to check with dtc.
 */
#include <libfdt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64/fdt.h"
#include "arm64/layout.h"

#include "check.h"

#define MiB (1ull << 20)

static uint8_t blob[3][ARM64_FDT_MAX_SIZE];

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fprintf(stderr, "no node %s: %s\n", path, fdt_strerror(off));
	CHECK(off >= 0);
	return off;
}

/* A property as cells; returns the count, 0 where it is absent. */
static unsigned int cells(const void *fdt, const char *path, const char *name,
			  uint32_t *out, unsigned int max)
{
	int off = node(fdt, path), len = 0;
	const fdt32_t *p;
	unsigned int n;

	if (off < 0)
		return 0;
	p = fdt_getprop(fdt, off, name, &len);
	if (!p)
		return 0;
	CHECK_EQ(len % 4, 0);
	n = len / 4;
	for (unsigned int i = 0; i < n && i < max; i++)
		out[i] = fdt32_to_cpu(p[i]);
	return n;
}

static uint32_t cell(const void *fdt, const char *path, const char *name)
{
	uint32_t v = 0xdeadbeef;

	CHECK_EQ(cells(fdt, path, name, &v, 1), 1);
	return v;
}

static uint64_t u64_at(const uint32_t *c, unsigned int i)
{
	return (uint64_t)c[i] << 32 | c[i + 1];
}

static const char *str(const void *fdt, const char *path, const char *name)
{
	int off = node(fdt, path);
	const char *s = off >= 0 ? fdt_getprop(fdt, off, name, NULL) : NULL;

	return s ? s : "(absent)";
}

static bool has_prop(const void *fdt, const char *path, const char *name)
{
	int off = fdt_path_offset(fdt, path);

	return off >= 0 && fdt_getprop(fdt, off, name, NULL) != NULL;
}

/* The phandle of the node at path. */
static uint32_t phandle(const void *fdt, const char *path)
{
	int off = node(fdt, path);

	return off >= 0 ? fdt_get_phandle(fdt, off) : 0;
}

/* reg with the root's 2 + 2 cells: one region. */
static void check_reg(const void *fdt, const char *path, uint64_t base,
		      uint64_t size)
{
	uint32_t c[4] = { 0 };

	CHECK_EQ(cells(fdt, path, "reg", c, 4), 4);
	CHECK_EQ(u64_at(c, 0), base);
	CHECK_EQ(u64_at(c, 2), size);
}

static void check_spi(const void *fdt, const char *path, unsigned int spi)
{
	uint32_t c[3] = { 0 };

	CHECK_EQ(cells(fdt, path, "interrupts", c, 3), 3);
	CHECK_EQ(c[0], 0); /* GIC_SPI */
	CHECK_EQ(c[1], spi);
	CHECK_EQ(c[2], 4); /* level high */
}

/* The second string of a two-string list. */
static const char *second(const void *fdt, const char *path, const char *name)
{
	int off = node(fdt, path), len = 0;
	const char *s = off >= 0 ? fdt_getprop(fdt, off, name, &len) : NULL;
	size_t l;

	if (!s)
		return "(absent)";
	l = strlen(s) + 1;
	return (int)l < len ? s + l : "(none)";
}

static const uint64_t mpidr2[2] = { 0x80000000, 0x80000001 };

static void build_default(void *buf)
{
	/* As the platform fills it: layout.h's map for the rest. */
	const struct arm64_fdt_config cfg = {
		.cpus = 2,
		.mpidr = mpidr2,
		.mem_base = ARM64_RAM_BASE,
		.mem_size = 256 * MiB,
		.bootargs = "console=ttyAMA0 earlycon root=/dev/vda",
		.initrd_start = 0x42000000,
		.initrd_end = 0x42345678,
		.has_its = true,
	};

	CHECK_EQ(arm64_fdt_build(buf, ARM64_FDT_MAX_SIZE, &cfg), 0);
}

static void test_root_cpus_memory(void)
{
	const void *fdt = blob[0];

	build_default(blob[0]);
	CHECK_EQ(fdt_check_full(fdt, ARM64_FDT_MAX_SIZE), 0);
	CHECK(fdt_totalsize(fdt) < 16384);
	CHECK_STR(str(fdt, "/", "compatible"), "linux,dummy-virt");
	CHECK_EQ(cell(fdt, "/", "#address-cells"), 2);
	CHECK_EQ(cell(fdt, "/", "#size-cells"), 2);
	CHECK_EQ(cell(fdt, "/", "interrupt-parent"), phandle(fdt, "/intc"));
	CHECK(phandle(fdt, "/intc") != 0);

	CHECK_EQ(cell(fdt, "/cpus", "#address-cells"), 1);
	CHECK_EQ(cell(fdt, "/cpus", "#size-cells"), 0);
	/* reg is the affinity: MPIDR without bit 31 (RES1) and the rest. */
	CHECK_EQ(cell(fdt, "/cpus/cpu@0", "reg"), 0);
	CHECK_EQ(cell(fdt, "/cpus/cpu@1", "reg"), 1);
	CHECK_STR(str(fdt, "/cpus/cpu@1", "device_type"), "cpu");
	CHECK_STR(str(fdt, "/cpus/cpu@1", "compatible"), "arm,arm-v8");
	CHECK_STR(str(fdt, "/cpus/cpu@0", "enable-method"), "psci");
	CHECK(fdt_path_offset(fdt, "/cpus/cpu@2") < 0);

	CHECK_STR(str(fdt, "/psci", "compatible"), "arm,psci-1.0");
	CHECK_STR(second(fdt, "/psci", "compatible"), "arm,psci-0.2");
	CHECK_STR(str(fdt, "/psci", "method"), "hvc");

	CHECK_STR(str(fdt, "/memory@40000000", "device_type"), "memory");
	check_reg(fdt, "/memory@40000000", ARM64_RAM_BASE, 256 * MiB);
}

static void test_gic_timer(void)
{
	const void *fdt = blob[0];
	uint32_t c[16] = { 0 };

	build_default(blob[0]);
	CHECK_STR(str(fdt, "/intc", "compatible"), "arm,gic-v3");
	CHECK(has_prop(fdt, "/intc", "interrupt-controller"));
	CHECK_EQ(cell(fdt, "/intc", "#interrupt-cells"), 3);
	CHECK_EQ(cell(fdt, "/intc", "#address-cells"), 2);
	CHECK_EQ(cell(fdt, "/intc", "#size-cells"), 2);
	CHECK(has_prop(fdt, "/intc", "ranges"));
	CHECK_EQ(cells(fdt, "/intc", "reg", c, 16), 8);
	CHECK_EQ(u64_at(c, 0), ARM64_GIC_DIST_BASE);
	CHECK_EQ(u64_at(c, 2), ARM64_GIC_DIST_SIZE);
	CHECK_EQ(u64_at(c, 4), ARM64_GIC_REDIST_BASE);
	CHECK_EQ(u64_at(c, 6), 2 * 0x20000);
	CHECK_EQ(cells(fdt, "/intc", "interrupts", c, 16), 3);
	CHECK_EQ(c[0], 1);
	CHECK_EQ(c[1], ARM64_PPI_GIC_MAINT);
	CHECK_EQ(c[1], 9);
	CHECK_EQ(c[2], 4);

	CHECK_STR(str(fdt, "/intc/its@8080000", "compatible"),
		  "arm,gic-v3-its");
	CHECK(has_prop(fdt, "/intc/its@8080000", "msi-controller"));
	CHECK_EQ(cell(fdt, "/intc/its@8080000", "#msi-cells"), 1);
	check_reg(fdt, "/intc/its@8080000", 0x08080000, 0x20000);

	CHECK_STR(str(fdt, "/timer", "compatible"), "arm,armv8-timer");
	CHECK_EQ(cells(fdt, "/timer", "interrupts", c, 16), 12);
	/* Secure phys 13, phys 14, virt 11, hyp 10: PPIs, level high. */
	CHECK_EQ(c[1], 13);
	CHECK_EQ(c[4], 14);
	CHECK_EQ(c[7], 11);
	CHECK_EQ(c[10], 10);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(c[3 * i], 1);
		CHECK_EQ(c[3 * i + 2], 4);
	}
}

static void test_devices(void)
{
	const void *fdt = blob[0];
	uint32_t c[8] = { 0 }, clk;
	int off;

	build_default(blob[0]);
	clk = phandle(fdt, "/apb-pclk");
	CHECK(clk != 0);
	CHECK_STR(str(fdt, "/apb-pclk", "compatible"), "fixed-clock");
	CHECK_EQ(cell(fdt, "/apb-pclk", "clock-frequency"), 24000000);
	CHECK_EQ(cell(fdt, "/apb-pclk", "#clock-cells"), 0);

	CHECK_STR(str(fdt, "/pl011@9000000", "compatible"), "arm,pl011");
	CHECK_STR(second(fdt, "/pl011@9000000", "compatible"), "arm,primecell");
	check_reg(fdt, "/pl011@9000000", ARM64_UART_BASE, 0x1000);
	check_spi(fdt, "/pl011@9000000", 1);
	CHECK_EQ(cells(fdt, "/pl011@9000000", "clocks", c, 8), 2);
	CHECK_EQ(c[0], clk);
	CHECK_EQ(c[1], clk);
	CHECK_STR(str(fdt, "/pl011@9000000", "clock-names"), "uartclk");
	CHECK_STR(second(fdt, "/pl011@9000000", "clock-names"), "apb_pclk");

	CHECK_STR(str(fdt, "/pl031@9010000", "compatible"), "arm,pl031");
	CHECK_STR(second(fdt, "/pl031@9010000", "compatible"), "arm,primecell");
	check_reg(fdt, "/pl031@9010000", ARM64_RTC_BASE, 0x1000);
	check_spi(fdt, "/pl031@9010000", 2);
	CHECK_EQ(cell(fdt, "/pl031@9010000", "clocks"), clk);
	CHECK_STR(str(fdt, "/pl031@9010000", "clock-names"), "apb_pclk");

	CHECK_STR(str(fdt, "/pl061@9030000", "compatible"), "arm,pl061");
	check_reg(fdt, "/pl061@9030000", ARM64_GPIO_BASE, 0x1000);
	check_spi(fdt, "/pl061@9030000", 7);
	CHECK(has_prop(fdt, "/pl061@9030000", "gpio-controller"));
	CHECK_EQ(cell(fdt, "/pl061@9030000", "#gpio-cells"), 2);
	CHECK_EQ(cell(fdt, "/pl061@9030000", "clocks"), clk);

	CHECK_STR(str(fdt, "/gpio-keys", "compatible"), "gpio-keys");
	off = fdt_first_subnode(fdt, node(fdt, "/gpio-keys"));
	CHECK(off >= 0);
	if (off >= 0) {
		const fdt32_t *p;
		int len = 0;

		p = fdt_getprop(fdt, off, "linux,code", &len);
		CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == 116);
		p = fdt_getprop(fdt, off, "gpios", &len);
		CHECK(p && len == 12);
		if (p && len == 12) {
			CHECK_EQ(fdt32_to_cpu(p[0]),
				 phandle(fdt, "/pl061@9030000"));
			CHECK_EQ(fdt32_to_cpu(p[1]), 3);
			CHECK_EQ(fdt32_to_cpu(p[2]), 0);
		}
	}
}

static void test_pci(void)
{
	const char *pci = "/pcie@3f000000";
	const void *fdt = blob[0];
	uint32_t c[200] = { 0 }, gic;
	unsigned int n;

	build_default(blob[0]);
	gic = phandle(fdt, "/intc");
	CHECK_STR(str(fdt, pci, "compatible"), "pci-host-ecam-generic");
	CHECK_STR(str(fdt, pci, "device_type"), "pci");
	check_reg(fdt, pci, ARM64_PCI_ECAM_BASE, 16 * MiB);
	CHECK_EQ(cells(fdt, pci, "bus-range", c, 2), 2);
	CHECK_EQ(c[0], 0);
	CHECK_EQ(c[1], 15);
	CHECK_EQ(cell(fdt, pci, "#address-cells"), 3);
	CHECK_EQ(cell(fdt, pci, "#size-cells"), 2);
	CHECK_EQ(cell(fdt, pci, "#interrupt-cells"), 1);
	CHECK(has_prop(fdt, pci, "dma-coherent"));

	/* I/O, 32-bit MMIO, 64-bit prefetchable MMIO. */
	CHECK_EQ(cells(fdt, pci, "ranges", c, 200), 21);
	CHECK_EQ(c[0], 0x01000000);
	CHECK_EQ(u64_at(c, 1), 0);
	CHECK_EQ(u64_at(c, 3), 0x3eff0000);
	CHECK_EQ(u64_at(c, 5), 0x10000);
	CHECK_EQ(c[7], 0x02000000);
	CHECK_EQ(u64_at(c, 8), 0x10000000);
	CHECK_EQ(u64_at(c, 10), 0x10000000);
	CHECK_EQ(u64_at(c, 12), 0x3eff0000 - 0x10000000);
	CHECK_EQ(c[14], 0x43000000);
	CHECK_EQ(u64_at(c, 15), 0x8000000000ull);
	CHECK_EQ(u64_at(c, 17), 0x8000000000ull);
	CHECK_EQ(u64_at(c, 19), 0x8000000000ull);

	CHECK_EQ(cells(fdt, pci, "interrupt-map-mask", c, 4), 4);
	CHECK_EQ(c[0], 0x1800);
	CHECK_EQ(c[1], 0);
	CHECK_EQ(c[2], 0);
	CHECK_EQ(c[3], 7);
	/* 4 slots x 4 pins, 10 cells each, swizzled onto SPIs 3-6. */
	n = cells(fdt, pci, "interrupt-map", c, 200);
	CHECK_EQ(n, 160);
	for (unsigned int slot = 0; slot < 4 && n == 160; slot++) {
		for (unsigned int pin = 1; pin <= 4; pin++) {
			const uint32_t *e = c + 10 * (4 * slot + pin - 1);

			CHECK_EQ(e[0], slot << 11);
			CHECK_EQ(e[1], 0);
			CHECK_EQ(e[2], 0);
			CHECK_EQ(e[3], pin);
			CHECK_EQ(e[4], gic);
			CHECK_EQ(e[5], 0);
			CHECK_EQ(e[6], 0);
			CHECK_EQ(e[7], 0);
			CHECK_EQ(e[8], 3 + (slot + pin - 1) % 4);
			CHECK_EQ(e[8], ARM64_PCI_INTX_SPI(slot, pin));
			CHECK_EQ(e[9], 4);
		}
	}
	/* Slot 1 INTA is SPI 4; slot 3 INTD is SPI 5. */
	CHECK_EQ(c[10 * 4 + 8], 4);
	CHECK_EQ(c[10 * 15 + 8], 5);
	/* MSIs go to the ITS, requester ID as device ID. */
	CHECK_EQ(cells(fdt, pci, "msi-map", c, 4), 4);
	CHECK_EQ(c[0], 0);
	CHECK_EQ(c[1], phandle(fdt, "/intc/its@8080000"));
	CHECK_EQ(c[2], 0);
	CHECK_EQ(c[3], 0x10000);
}

static void test_chosen(void)
{
	const void *fdt = blob[0];
	uint32_t c[4] = { 0 };

	build_default(blob[0]);
	CHECK_STR(str(fdt, "/chosen", "bootargs"),
		  "console=ttyAMA0 earlycon root=/dev/vda");
	CHECK_STR(str(fdt, "/chosen", "stdout-path"), "/pl011@9000000");
	CHECK(fdt_path_offset(fdt, str(fdt, "/chosen", "stdout-path")) >= 0);
	CHECK_STR(str(fdt, "/aliases", "serial0"), "/pl011@9000000");
	CHECK_EQ(cells(fdt, "/chosen", "linux,initrd-start", c, 2), 2);
	CHECK_EQ(u64_at(c, 0), 0x42000000);
	CHECK_EQ(cells(fdt, "/chosen", "linux,initrd-end", c, 2), 2);
	CHECK_EQ(u64_at(c, 0), 0x42345678);
}

static void test_no_its_no_initrd(void)
{
	const uint64_t mpidr[1] = { 0x80000000 };
	const struct arm64_fdt_config cfg = {
		.cpus = 1,
		.mpidr = mpidr,
		.mem_base = ARM64_RAM_BASE,
		.mem_size = 1024 * MiB,
	};
	const void *fdt = blob[1];

	CHECK_EQ(arm64_fdt_build(blob[1], ARM64_FDT_MAX_SIZE, &cfg), 0);
	CHECK(fdt_path_offset(fdt, "/intc/its@8080000") < 0);
	CHECK(!has_prop(fdt, "/pcie@3f000000", "msi-map"));
	CHECK(!has_prop(fdt, "/pcie@3f000000", "msi-parent"));
	CHECK(!has_prop(fdt, "/chosen", "bootargs"));
	CHECK(!has_prop(fdt, "/chosen", "linux,initrd-start"));
	CHECK(!has_prop(fdt, "/chosen", "linux,initrd-end"));
	CHECK(has_prop(fdt, "/chosen", "stdout-path"));
	check_reg(fdt, "/memory@40000000", ARM64_RAM_BASE, 1024 * MiB);
	CHECK(fdt_path_offset(fdt, "/cpus/cpu@1") < 0);
}

static void test_aff3_cpus(void)
{
	/* Aff3 in use: two cells of reg; bit 30 (U) is not affinity. */
	const uint64_t mpidr[4] = { 0x80000000, 0xc0000100, 0x0100020003,
				    0x80010203 };
	/* Everything given explicitly, PCIe with 64 buses and 2 slots. */
	const struct arm64_fdt_config cfg = {
		.cpus = 4,
		.mpidr = mpidr,
		.mem_base = ARM64_RAM_BASE,
		.mem_size = 512 * MiB,
		.has_its = true,
		.redist_size = 4 * ARM64_GIC_REDIST_STRIDE,
		.pci_ecam_base = 0x30000000,
		.pci_ecam_size = 64 * MiB,
		.pci_io_base = ARM64_PCI_IO_BASE,
		.pci_io_size = 0x8000,
		.pci_mmio32_base = 0x10000000,
		.pci_mmio32_size = 0x20000000,
		.pci_mmio64_base = ARM64_PCI_MMIO64_BASE,
		.pci_mmio64_size = 0x100000000ull,
		.pci_slots = 2,
	};
	const char *pci = "/pcie@30000000";
	const void *fdt = blob[2];
	uint32_t c[32] = { 0 };

	CHECK_EQ(arm64_fdt_build(blob[2], ARM64_FDT_MAX_SIZE, &cfg), 0);
	CHECK_EQ(cell(fdt, "/cpus", "#address-cells"), 2);
	CHECK_EQ(cells(fdt, "/cpus/cpu@100", "reg", c, 2), 2);
	CHECK_EQ(u64_at(c, 0), 0x100);
	CHECK_EQ(cells(fdt, "/cpus/cpu@100020003", "reg", c, 2), 2);
	CHECK_EQ(u64_at(c, 0), 0x100020003ull);
	CHECK_EQ(cells(fdt, "/cpus/cpu@10203", "reg", c, 2), 2);
	CHECK_EQ(u64_at(c, 0), 0x10203);
	check_reg(fdt, "/memory@40000000", ARM64_RAM_BASE, 512 * MiB);
	CHECK_EQ(cells(fdt, "/intc", "reg", c, 32), 8);
	CHECK_EQ(u64_at(c, 6), 4 * 0x20000);
	/* Two slots described: 8 entries. */
	CHECK_EQ(cells(fdt, pci, "interrupt-map", NULL, 0), 80);
	check_reg(fdt, pci, 0x30000000, 64 * MiB);
	CHECK_EQ(cells(fdt, pci, "bus-range", c, 2), 2);
	CHECK_EQ(c[1], 63);
	CHECK_EQ(cells(fdt, pci, "ranges", c, 32), 21);
	CHECK_EQ(u64_at(c, 5), 0x8000);
	CHECK_EQ(u64_at(c, 8), 0x10000000);
	CHECK_EQ(u64_at(c, 12), 0x20000000);
	CHECK_EQ(u64_at(c, 19), 0x100000000ull);
}

static void test_errors(void)
{
	static uint8_t small[512];
	struct arm64_fdt_config cfg = {
		.cpus = 2,
		.mpidr = mpidr2,
		.mem_base = ARM64_RAM_BASE,
		.mem_size = 256 * MiB,
	};
	char *long_args;

	fprintf(stderr, "(device tree errors are expected next)\n");
	CHECK_EQ(arm64_fdt_build(small, sizeof(small), &cfg), -1);
	/* A command line too long for the 2 MiB blob. */
	long_args = malloc(ARM64_FDT_MAX_SIZE);
	if (!long_args)
		abort();
	memset(long_args, 'a', ARM64_FDT_MAX_SIZE - 1);
	long_args[ARM64_FDT_MAX_SIZE - 1] = 0;
	cfg.bootargs = long_args;
	CHECK_EQ(arm64_fdt_build(blob[0], ARM64_FDT_MAX_SIZE, &cfg), -1);
	free(long_args);
	cfg.bootargs = NULL;
	cfg.cpus = 0;
	CHECK_EQ(arm64_fdt_build(blob[0], ARM64_FDT_MAX_SIZE, &cfg), -1);
	cfg.cpus = 2;
	cfg.redist_size = 0x1000000;
	CHECK_EQ(arm64_fdt_build(blob[0], ARM64_FDT_MAX_SIZE, &cfg), -1);
	cfg.redist_size = 0;
	cfg.pci_ecam_size = 3 * MiB / 2;
	CHECK_EQ(arm64_fdt_build(blob[0], ARM64_FDT_MAX_SIZE, &cfg), -1);
}

static int write_blob(const char *path, const void *fdt)
{
	FILE *f = fopen(path, "wb");
	size_t len = fdt_totalsize(fdt);

	if (!f || fwrite(fdt, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct check_test tests[] = {
		TEST(test_root_cpus_memory), TEST(test_gic_timer),
		TEST(test_devices),	     TEST(test_pci),
		TEST(test_chosen),	     TEST(test_no_its_no_initrd),
		TEST(test_aff3_cpus),
	};
	static const struct check_test error_tests[] = { TEST(test_errors) };
	int r = check_run(tests, sizeof(tests) / sizeof(tests[0]));

	/* The blobs as the tests left them, before the error cases. */
	for (int i = 1; i < argc && i <= 3; i++)
		if (write_blob(argv[i], blob[i - 1]) < 0)
			r = 1;
	if (check_run(error_tests, 1))
		r = 1;
	return r;
}
