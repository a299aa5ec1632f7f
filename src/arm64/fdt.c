// SPDX-License-Identifier: MIT
/*
 * The device tree of the arm64 platform, in the shape of QEMU virt's so that
 * kernels and firmware written for it find what they expect: GICv3 (with an
 * ITS), the architected timer, PSCI through HVC, PL011, PL031, PL061 with a
 * power key, and a generic ECAM PCIe host. Written with libfdt's sequential
 * writer, then checked whole by libfdt.
 */
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "../base/log.h"
#include "fdt.h"
#include "layout.h"

enum {
	PHANDLE_GIC = 1,
	PHANDLE_ITS,
	PHANDLE_CLK,
	PHANDLE_GPIO,
};

/* Interrupt specifier cells (bindings/interrupt-controller/arm,gic-v3). */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_TYPE_LEVEL_HIGH 4

#define KEY_POWER 116
#define APB_PCLK_HZ 24000000

/* MPIDR_EL1's affinity fields: Aff3 in 39:32, Aff2-0 in 23:0. */
#define MPIDR_AFF_MASK 0xff00ffffffull
#define MPIDR_AFF3_MASK 0xff00000000ull

#define MAX_CELLS 256

struct fdt_builder {
	void *fdt;
	int err;
};

/* Each step does nothing once one has failed; the first error is kept. */
#define FDT_DO(b, call)                    \
	do {                               \
		if (!(b)->err)             \
			(b)->err = (call); \
	} while (0)

static void begin_node(struct fdt_builder *b, const char *name)
{
	FDT_DO(b, fdt_begin_node(b->fdt, name));
}

static void begin_node_at(struct fdt_builder *b, const char *name,
			  uint64_t unit)
{
	char full[64];

	snprintf(full, sizeof(full), "%s@%" PRIx64, name, unit);
	begin_node(b, full);
}

static void end_node(struct fdt_builder *b)
{
	FDT_DO(b, fdt_end_node(b->fdt));
}

static void prop_empty(struct fdt_builder *b, const char *name)
{
	FDT_DO(b, fdt_property(b->fdt, name, NULL, 0));
}

static void prop_u32(struct fdt_builder *b, const char *name, uint32_t v)
{
	FDT_DO(b, fdt_property_u32(b->fdt, name, v));
}

static void prop_u64(struct fdt_builder *b, const char *name, uint64_t v)
{
	FDT_DO(b, fdt_property_u64(b->fdt, name, v));
}

static void prop_string(struct fdt_builder *b, const char *name, const char *s)
{
	FDT_DO(b, fdt_property_string(b->fdt, name, s));
}

/* A string list: the strings, each with its NUL, end to end. */
static void prop_strings(struct fdt_builder *b, const char *name,
			 const char *const *list, unsigned int n)
{
	char buf[128];
	size_t len = 0;

	for (unsigned int i = 0; i < n; i++) {
		size_t l = strlen(list[i]) + 1;

		if (len + l > sizeof(buf)) {
			FDT_DO(b, -FDT_ERR_BADVALUE);
			return;
		}
		memcpy(buf + len, list[i], l);
		len += l;
	}
	FDT_DO(b, fdt_property(b->fdt, name, buf, len));
}

static void prop_cells(struct fdt_builder *b, const char *name,
		       const uint32_t *cells, unsigned int n)
{
	fdt32_t be[MAX_CELLS];

	if (n > MAX_CELLS) {
		FDT_DO(b, -FDT_ERR_BADVALUE);
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	FDT_DO(b, fdt_property(b->fdt, name, be, n * sizeof(be[0])));
}

/* Appends a 64-bit value as two cells. */
static unsigned int put_u64(uint32_t *cells, unsigned int at, uint64_t v)
{
	cells[at] = v >> 32;
	cells[at + 1] = (uint32_t)v;
	return at + 2;
}

/* reg = <addr size> with two cells each, as the root's. */
static void prop_reg(struct fdt_builder *b, uint64_t addr, uint64_t size)
{
	uint32_t cells[4];

	put_u64(cells, put_u64(cells, 0, addr), size);
	prop_cells(b, "reg", cells, 4);
}

static void prop_spi(struct fdt_builder *b, unsigned int spi)
{
	const uint32_t cells[3] = { GIC_SPI, spi, IRQ_TYPE_LEVEL_HIGH };

	prop_cells(b, "interrupts", cells, 3);
}

static void prop_primecell(struct fdt_builder *b, const char *compatible)
{
	const char *const compat[2] = { compatible, "arm,primecell" };

	prop_strings(b, "compatible", compat, 2);
}

static void add_cpus(struct fdt_builder *b, const struct arm64_fdt_config *cfg)
{
	unsigned int cells = 1;

	for (unsigned int i = 0; i < cfg->cpus; i++)
		if (cfg->mpidr[i] & MPIDR_AFF3_MASK)
			cells = 2;
	begin_node(b, "cpus");
	prop_u32(b, "#address-cells", cells);
	prop_u32(b, "#size-cells", 0);
	for (unsigned int i = 0; i < cfg->cpus; i++) {
		uint64_t reg = cfg->mpidr[i] & MPIDR_AFF_MASK;

		begin_node_at(b, "cpu", reg);
		prop_string(b, "device_type", "cpu");
		prop_string(b, "compatible", "arm,arm-v8");
		prop_string(b, "enable-method", "psci");
		if (cells == 2)
			prop_u64(b, "reg", reg);
		else
			prop_u32(b, "reg", (uint32_t)reg);
		end_node(b);
	}
	end_node(b);
}

static void add_psci(struct fdt_builder *b)
{
	const char *const compat[2] = { "arm,psci-1.0", "arm,psci-0.2" };

	begin_node(b, "psci");
	prop_strings(b, "compatible", compat, 2);
	prop_string(b, "method", "hvc");
	end_node(b);
}

static void add_gic(struct fdt_builder *b, const struct arm64_fdt_config *cfg)
{
	const uint32_t maint[3] = { GIC_PPI, ARM64_PPI_GIC_MAINT,
				    IRQ_TYPE_LEVEL_HIGH };
	uint32_t reg[8];
	unsigned int n;

	begin_node_at(b, "intc", ARM64_GIC_DIST_BASE);
	prop_string(b, "compatible", "arm,gic-v3");
	prop_u32(b, "#interrupt-cells", 3);
	prop_empty(b, "interrupt-controller");
	n = put_u64(reg, 0, ARM64_GIC_DIST_BASE);
	n = put_u64(reg, n, ARM64_GIC_DIST_SIZE);
	n = put_u64(reg, n, ARM64_GIC_REDIST_BASE);
	n = put_u64(reg, n, cfg->redist_size);
	prop_cells(b, "reg", reg, n);
	prop_cells(b, "interrupts", maint, 3);
	prop_u32(b, "#address-cells", 2);
	prop_u32(b, "#size-cells", 2);
	prop_empty(b, "ranges");
	prop_u32(b, "phandle", PHANDLE_GIC);
	if (cfg->has_its) {
		begin_node_at(b, "its", ARM64_GIC_ITS_BASE);
		prop_string(b, "compatible", "arm,gic-v3-its");
		prop_empty(b, "msi-controller");
		prop_u32(b, "#msi-cells", 1);
		prop_reg(b, ARM64_GIC_ITS_BASE, ARM64_GIC_ITS_SIZE);
		prop_u32(b, "phandle", PHANDLE_ITS);
		end_node(b);
	}
	end_node(b);
}

static void add_timer(struct fdt_builder *b)
{
	/* Secure physical, non-secure physical, virtual, hypervisor. */
	static const unsigned int ppis[4] = {
		ARM64_PPI_TIMER_SEC_PHYS,
		ARM64_PPI_TIMER_PHYS,
		ARM64_PPI_TIMER_VIRT,
		ARM64_PPI_TIMER_HYP,
	};
	uint32_t cells[12];

	/* GICv3 has no CPU masks in PPI specifiers: the type alone. */
	for (unsigned int i = 0; i < 4; i++) {
		cells[3 * i] = GIC_PPI;
		cells[3 * i + 1] = ppis[i];
		cells[3 * i + 2] = IRQ_TYPE_LEVEL_HIGH;
	}
	begin_node(b, "timer");
	prop_string(b, "compatible", "arm,armv8-timer");
	prop_cells(b, "interrupts", cells, 12);
	end_node(b);
}

static void add_clock(struct fdt_builder *b)
{
	begin_node(b, "apb-pclk");
	prop_string(b, "compatible", "fixed-clock");
	prop_u32(b, "#clock-cells", 0);
	prop_u32(b, "clock-frequency", APB_PCLK_HZ);
	prop_string(b, "clock-output-names", "clk24mhz");
	prop_u32(b, "phandle", PHANDLE_CLK);
	end_node(b);
}

static void add_uart(struct fdt_builder *b)
{
	const uint32_t clocks[2] = { PHANDLE_CLK, PHANDLE_CLK };
	const char *const names[2] = { "uartclk", "apb_pclk" };

	begin_node_at(b, "pl011", ARM64_UART_BASE);
	prop_primecell(b, "arm,pl011");
	prop_reg(b, ARM64_UART_BASE, ARM64_MMIO_DEV_SIZE);
	prop_spi(b, ARM64_UART_SPI);
	prop_cells(b, "clocks", clocks, 2);
	prop_strings(b, "clock-names", names, 2);
	end_node(b);
}

static void add_rtc(struct fdt_builder *b)
{
	begin_node_at(b, "pl031", ARM64_RTC_BASE);
	prop_primecell(b, "arm,pl031");
	prop_reg(b, ARM64_RTC_BASE, ARM64_MMIO_DEV_SIZE);
	prop_spi(b, ARM64_RTC_SPI);
	prop_u32(b, "clocks", PHANDLE_CLK);
	prop_string(b, "clock-names", "apb_pclk");
	end_node(b);
}

static void add_gpio(struct fdt_builder *b)
{
	const uint32_t gpios[3] = { PHANDLE_GPIO, ARM64_GPIO_POWER_LINE, 0 };

	begin_node_at(b, "pl061", ARM64_GPIO_BASE);
	prop_primecell(b, "arm,pl061");
	prop_reg(b, ARM64_GPIO_BASE, ARM64_MMIO_DEV_SIZE);
	prop_spi(b, ARM64_GPIO_SPI);
	prop_empty(b, "gpio-controller");
	prop_u32(b, "#gpio-cells", 2);
	prop_u32(b, "clocks", PHANDLE_CLK);
	prop_string(b, "clock-names", "apb_pclk");
	prop_u32(b, "phandle", PHANDLE_GPIO);
	end_node(b);

	/* The power key: gpio-keys reports KEY_POWER on line 3 going high. */
	begin_node(b, "gpio-keys");
	prop_string(b, "compatible", "gpio-keys");
	begin_node(b, "power");
	prop_string(b, "label", "Power");
	prop_u32(b, "linux,code", KEY_POWER);
	prop_cells(b, "gpios", gpios, 3);
	end_node(b);
	end_node(b);
}

/* One entry of ranges: PCI address (3 cells), CPU address, size. */
static unsigned int pci_range(uint32_t *cells, unsigned int at, uint32_t space,
			      uint64_t pci_addr, uint64_t cpu_addr,
			      uint64_t size)
{
	cells[at] = space;
	at = put_u64(cells, at + 1, pci_addr);
	at = put_u64(cells, at, cpu_addr);
	return put_u64(cells, at, size);
}

#define PCI_SPACE_IO 0x01000000u
#define PCI_SPACE_MEM32 0x02000000u
#define PCI_SPACE_MEM64_PREFETCH 0x43000000u

static void add_pci(struct fdt_builder *b, const struct arm64_fdt_config *cfg)
{
	const uint32_t map_mask[4] = { 0x1800, 0, 0, 7 };
	const uint32_t bus_range[2] = {
		0, (uint32_t)(cfg->pci_ecam_size >> 20) - 1
	};
	unsigned int slots = cfg->pci_slots;
	uint32_t cells[MAX_CELLS];
	unsigned int n = 0;

	begin_node_at(b, "pcie", cfg->pci_ecam_base);
	prop_string(b, "compatible", "pci-host-ecam-generic");
	prop_string(b, "device_type", "pci");
	prop_reg(b, cfg->pci_ecam_base, cfg->pci_ecam_size);
	prop_cells(b, "bus-range", bus_range, 2);
	prop_u32(b, "linux,pci-domain", 0);
	prop_u32(b, "#address-cells", 3);
	prop_u32(b, "#size-cells", 2);
	/* I/O from PCI address 0; the memory windows mapped 1:1. */
	n = pci_range(cells, n, PCI_SPACE_IO, 0, cfg->pci_io_base,
		      cfg->pci_io_size);
	n = pci_range(cells, n, PCI_SPACE_MEM32, cfg->pci_mmio32_base,
		      cfg->pci_mmio32_base, cfg->pci_mmio32_size);
	n = pci_range(cells, n, PCI_SPACE_MEM64_PREFETCH, cfg->pci_mmio64_base,
		      cfg->pci_mmio64_base, cfg->pci_mmio64_size);
	prop_cells(b, "ranges", cells, n);

	/*
	 * Child unit address (devfn in phys.hi), pin, then the GIC's
	 * unit address (2 cells) and interrupt specifier. The mask
	 * keeps two bits of the device number: 4 slots cover all.
	 */
	n = 0;
	for (unsigned int slot = 0; slot < slots; slot++) {
		for (unsigned int pin = 1; pin <= 4; pin++) {
			cells[n++] = slot << 11;
			cells[n++] = 0;
			cells[n++] = 0;
			cells[n++] = pin;
			cells[n++] = PHANDLE_GIC;
			cells[n++] = 0;
			cells[n++] = 0;
			cells[n++] = GIC_SPI;
			cells[n++] = ARM64_PCI_INTX_SPI(slot, pin);
			cells[n++] = IRQ_TYPE_LEVEL_HIGH;
		}
	}
	prop_u32(b, "#interrupt-cells", 1);
	prop_cells(b, "interrupt-map-mask", map_mask, 4);
	prop_cells(b, "interrupt-map", cells, n);
	if (cfg->has_its) {
		/* Requester ID i is ITS device ID i, for all 65536. */
		const uint32_t msi_map[4] = { 0, PHANDLE_ITS, 0, 0x10000 };

		prop_cells(b, "msi-map", msi_map, 4);
	}
	prop_empty(b, "dma-coherent");
	end_node(b);
}

static void add_chosen(struct fdt_builder *b,
		       const struct arm64_fdt_config *cfg,
		       const char *stdout_path)
{
	begin_node(b, "chosen");
	if (cfg->bootargs)
		prop_string(b, "bootargs", cfg->bootargs);
	prop_string(b, "stdout-path", stdout_path);
	if (cfg->initrd_end) {
		prop_u64(b, "linux,initrd-start", cfg->initrd_start);
		prop_u64(b, "linux,initrd-end", cfg->initrd_end);
	}
	end_node(b);
}

/* cfg with its zero fields filled in from layout.h. */
static struct arm64_fdt_config
config_defaults(const struct arm64_fdt_config *in)
{
	struct arm64_fdt_config cfg = *in;

	if (!cfg.redist_size)
		cfg.redist_size = (uint64_t)cfg.cpus * ARM64_GIC_REDIST_STRIDE;
	if (!cfg.pci_ecam_size) {
		cfg.pci_ecam_base = ARM64_PCI_ECAM_BASE;
		cfg.pci_ecam_size = ARM64_PCI_ECAM_SIZE;
	}
	if (!cfg.pci_io_size) {
		cfg.pci_io_base = ARM64_PCI_IO_BASE;
		cfg.pci_io_size = ARM64_PCI_IO_SIZE;
	}
	if (!cfg.pci_mmio32_size) {
		cfg.pci_mmio32_base = ARM64_PCI_MMIO32_BASE;
		cfg.pci_mmio32_size = ARM64_PCI_MMIO32_SIZE;
	}
	if (!cfg.pci_mmio64_size) {
		cfg.pci_mmio64_base = ARM64_PCI_MMIO64_BASE;
		cfg.pci_mmio64_size = ARM64_PCI_MMIO64_SIZE;
	}
	if (!cfg.pci_slots || cfg.pci_slots > ARM64_PCI_INTX_COUNT)
		cfg.pci_slots = ARM64_PCI_INTX_COUNT;
	return cfg;
}

static int config_check(const struct arm64_fdt_config *cfg)
{
	if (!cfg->cpus || !cfg->mpidr) {
		log_error("device tree: no CPUs");
		return -1;
	}
	if (cfg->redist_size > ARM64_GIC_REDIST_END - ARM64_GIC_REDIST_BASE) {
		log_error("device tree: GIC redistributors of %" PRIu64
			  " bytes do not fit the platform map",
			  cfg->redist_size);
		return -1;
	}
	if (cfg->pci_ecam_size && (cfg->pci_ecam_size % (1u << 20) ||
				   cfg->pci_ecam_size > (256ull << 20))) {
		log_error("device tree: bad PCIe ECAM size %" PRIu64,
			  cfg->pci_ecam_size);
		return -1;
	}
	if (cfg->initrd_end < cfg->initrd_start) {
		log_error("device tree: the initrd ends before it starts");
		return -1;
	}
	return 0;
}

int arm64_fdt_build(void *buf, size_t size, const struct arm64_fdt_config *in)
{
	struct arm64_fdt_config c = config_defaults(in);
	const struct arm64_fdt_config *cfg = &c;
	struct fdt_builder b = { buf, 0 };
	char stdout_path[32];

	if (config_check(cfg) < 0)
		return -1;
	snprintf(stdout_path, sizeof(stdout_path), "/pl011@%" PRIx64,
		 (uint64_t)ARM64_UART_BASE);

	FDT_DO(&b, fdt_create(buf, size));
	FDT_DO(&b, fdt_finish_reservemap(buf));
	begin_node(&b, "");
	prop_string(&b, "compatible", "linux,dummy-virt");
	prop_string(&b, "model", "Scorpi arm64 virtual machine");
	prop_u32(&b, "#address-cells", 2);
	prop_u32(&b, "#size-cells", 2);
	prop_u32(&b, "interrupt-parent", PHANDLE_GIC);

	add_cpus(&b, cfg);
	add_psci(&b);
	begin_node_at(&b, "memory", cfg->mem_base);
	prop_string(&b, "device_type", "memory");
	prop_reg(&b, cfg->mem_base, cfg->mem_size);
	end_node(&b);
	add_gic(&b, cfg);
	add_timer(&b);
	add_clock(&b);
	add_uart(&b);
	add_rtc(&b);
	add_gpio(&b);
	add_pci(&b, cfg);
	begin_node(&b, "aliases");
	prop_string(&b, "serial0", stdout_path);
	end_node(&b);
	add_chosen(&b, cfg, stdout_path);
	end_node(&b);
	FDT_DO(&b, fdt_finish(buf));
	if (!b.err)
		b.err = fdt_check_full(buf, size);
	if (b.err) {
		log_error("device tree: %s",
			  b.err == -FDT_ERR_NOSPACE
				  ? "more than the space given for it"
				  : fdt_strerror(b.err));
		return -1;
	}
	return 0;
}
