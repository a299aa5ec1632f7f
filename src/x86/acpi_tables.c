// SPDX-License-Identifier: MIT
/*
 * The ACPI tables that describe the x86 platform to the guest: CPUs and
 * the IOAPIC (MADT), the fixed hardware of the PM block and the reset
 * register (FADT), and the PCI host, COM1, the RTC and the S5 sleep state
 * (DSDT), and the ECAM window (MCFG), so that no MP table or probing is needed.
 */
#include <string.h>

#include "../acpi/acpi.h"
#include "../acpi/aml.h"
#include "../devices/acpi_pm.h"
#include "acpi_tables.h"
#include "layout.h"

#define FADT_LEN 276
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_SLP_BUTTON (1u << 5)
#define FADT_RESET_REG_SUP (1u << 10)
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define BOOT_ARCH_PCIE_ASPM_CONTROLS (1u << 4)

#define MADT_PCAT_COMPAT 1u
#define MADT_ISO_LEVEL_HIGH 0x000d /* active high, level triggered */

void x86_pci_mmio64_window(uint64_t mem_size, unsigned int phys_bits,
			   uint64_t *base, uint64_t *size)
{
	uint64_t high = mem_size > X86_LOW_RAM_END ? mem_size - X86_LOW_RAM_END
						   : 0;
	uint64_t align = 1ull << 30, min_size = 64ull << 30, end;

	/*
	 * From the end of RAM to the top of what the guest can address:
	 * firmware puts 64-bit BARs where it likes in there (OVMF: 32 GiB
	 * above RAM, or the top eighth of the physical address space), and
	 * Scorpi decodes them wherever they are. 46 bits at most, what Linux
	 * reaches with 4-level paging.
	 */
	if (phys_bits > 46)
		phys_bits = 46;
	*base = (X86_HIGH_RAM_BASE + high + align - 1) & ~(align - 1);
	end = 1ull << phys_bits;
	*size = end > *base + min_size ? end - *base : min_size;
}

static size_t build_facs(struct acpi_area *a)
{
	size_t off = acpi_place(a, 64, 64);

	if (a->overflow)
		return 0;
	a->host[off + 0] = 'F';
	a->host[off + 1] = 'A';
	a->host[off + 2] = 'C';
	a->host[off + 3] = 'S';
	acpi_put(a, off + 4, 4, 64);
	acpi_put(a, off + 32, 1, 2); /* version */
	return off;
}

static void build_dsdt_body(struct aml *m, const struct x86_acpi_config *cfg)
{
	uint64_t mmio64, mmio64_size;

	x86_pci_mmio64_window(cfg->mem_size, cfg->phys_bits, &mmio64,
			      &mmio64_size);
	aml_scope(m, "\\_SB");

	aml_device(m, "PCI0");
	aml_name_decl(m, "_HID");
	aml_eisaid(m, "PNP0A08");
	aml_name_decl(m, "_CID");
	aml_eisaid(m, "PNP0A03");
	aml_name_decl(m, "_UID");
	aml_integer(m, 0);
	aml_name_decl(m, "_SEG");
	aml_integer(m, 0);
	aml_name_decl(m, "_BBN");
	aml_integer(m, 0);
	aml_name_decl(m, "_CRS");
	aml_resource_template(m);
	aml_res_word_bus(m, 0, 0xff);
	aml_res_io(m, X86_PCI_CONFIG_PORT, 8);
	aml_res_word_io(m, 0, X86_PCI_CONFIG_PORT - 1);
	aml_res_word_io(m, 0x0d00, 0xffff);
	aml_res_dword_mem(m, X86_PCI_MMIO32_BASE, X86_PCI_MMIO32_END - 1);
	aml_res_qword_mem(m, mmio64, mmio64 + mmio64_size - 1);
	aml_close(m); /* _CRS */

	/* INTx of every slot, straight to IOAPIC GSIs 16-23 (no links). */
	aml_name_decl(m, "_PRT");
	aml_package(m, 32 * 4);
	for (unsigned int slot = 0; slot < 32; slot++) {
		for (unsigned int pin = 0; pin < 4; pin++) {
			aml_package(m, 4);
			aml_integer(m, ((uint64_t)slot << 16) | 0xffff);
			aml_integer(m, pin);
			aml_integer(m, 0);
			aml_integer(m,
				    X86_PCI_INTX_GSI_BASE + (slot + pin) % 8);
			aml_close(m);
		}
	}
	aml_close(m); /* _PRT */
	aml_close(m); /* PCI0 */

	aml_device(m, "COM1");
	aml_name_decl(m, "_HID");
	aml_eisaid(m, "PNP0501");
	aml_name_decl(m, "_UID");
	aml_integer(m, 1);
	aml_name_decl(m, "_CRS");
	aml_resource_template(m);
	aml_res_io(m, X86_COM1_PORT, 8);
	aml_res_irq(m, X86_COM1_IRQ);
	aml_close(m);
	aml_close(m);

	aml_device(m, "RTC");
	aml_name_decl(m, "_HID");
	aml_eisaid(m, "PNP0B00");
	aml_name_decl(m, "_CRS");
	aml_resource_template(m);
	aml_res_io(m, X86_RTC_PORT, 2);
	aml_res_irq(m, X86_RTC_IRQ);
	aml_close(m);
	aml_close(m);

	aml_close(m); /* \_SB */

	/* S5 (soft off): the SLP_TYP value the PM block powers off on. */
	aml_name_decl(m, "\\_S5");
	aml_package(m, 4);
	aml_integer(m, ACPI_PM_SLP_TYP_S5);
	aml_integer(m, ACPI_PM_SLP_TYP_S5);
	aml_integer(m, 0);
	aml_integer(m, 0);
	aml_close(m);
}

static size_t build_dsdt(struct acpi_area *a, const struct x86_acpi_config *cfg)
{
	struct aml m;
	size_t off = 0;

	aml_init(&m);
	build_dsdt_body(&m, cfg);
	if (aml_finish(&m) == 0) {
		off = acpi_table(a, "DSDT", ACPI_HEADER_SIZE + m.len, 2);
		if (!a->overflow) {
			memcpy(a->host + off + ACPI_HEADER_SIZE, m.buf, m.len);
			acpi_seal(a, off, ACPI_HEADER_SIZE + m.len);
		}
	} else {
		a->overflow = true;
	}
	aml_free(&m);
	return off;
}

static size_t build_fadt(struct acpi_area *a, size_t facs, size_t dsdt)
{
	size_t f = acpi_table(a, "FACP", FADT_LEN, 6);

	acpi_put(a, f + 36, 4, 0); /* FIRMWARE_CTRL: X_FIRMWARE_CTRL instead */
	acpi_put_pointer(a, f + 40, 4, dsdt);
	acpi_put(a, f + 46, 2, X86_SCI_IRQ);
	/* SMI_CMD 0: ACPI is always enabled, there is no SMM to ask. */
	acpi_put(a, f + 56, 4, X86_PM_BASE + ACPI_PM_EVT);
	acpi_put(a, f + 64, 4, X86_PM_BASE + ACPI_PM_CNT);
	acpi_put(a, f + 76, 4, X86_PM_BASE + ACPI_PM_TMR);
	acpi_put(a, f + 80, 4, X86_PM_BASE + ACPI_PM_GPE0);
	acpi_put(a, f + 88, 1, 4); /* PM1_EVT_LEN */
	acpi_put(a, f + 89, 1, 2); /* PM1_CNT_LEN */
	acpi_put(a, f + 91, 1, 4); /* PM_TMR_LEN */
	acpi_put(a, f + 92, 1, ACPI_PM_GPE0_LEN);
	acpi_put(a, f + 96, 2, 101); /* no C2 */
	acpi_put(a, f + 98, 2, 1001); /* no C3 */
	acpi_put(a, f + 108, 1, 0x32); /* CMOS century register */
	acpi_put(a, f + 109, 2,
		 BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT |
			 BOOT_ARCH_PCIE_ASPM_CONTROLS);
	acpi_put(a, f + 112, 4,
		 FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
			 FADT_RESET_REG_SUP);
	acpi_put_gas_io(a, f + 116, 8, 1, X86_RESET_PORT);
	acpi_put(a, f + 128, 1, 0x06); /* reset value: CPU reset, hard */
	acpi_put(a, f + 131, 1, 3); /* FADT minor version: ACPI 6.3 */
	acpi_put_pointer(a, f + 132, 8, facs);
	acpi_put_pointer(a, f + 140, 8, dsdt);
	acpi_put_gas_io(a, f + 148, 32, 0, X86_PM_BASE + ACPI_PM_EVT);
	acpi_put_gas_io(a, f + 172, 16, 0, X86_PM_BASE + ACPI_PM_CNT);
	acpi_put_gas_io(a, f + 208, 32, 0, X86_PM_BASE + ACPI_PM_TMR);
	acpi_put_gas_io(a, f + 220, ACPI_PM_GPE0_LEN * 8, 0,
			X86_PM_BASE + ACPI_PM_GPE0);
	acpi_seal(a, f, FADT_LEN);
	return f;
}

static size_t build_madt(struct acpi_area *a, unsigned int cpus)
{
	size_t len = 44 + 8 * cpus + 12 + 2 * 10 + 6;
	size_t t = acpi_table(a, "APIC", len, 5);
	size_t p = t + 44;

	acpi_put(a, t + 36, 4, X86_LAPIC_BASE);
	acpi_put(a, t + 40, 4, MADT_PCAT_COMPAT); /* there are 8259s too */
	for (unsigned int i = 0; i < cpus; i++, p += 8) {
		acpi_put(a, p, 1, 0); /* processor local APIC */
		acpi_put(a, p + 1, 1, 8);
		acpi_put(a, p + 2, 1, i); /* ACPI processor UID */
		acpi_put(a, p + 3, 1, i); /* APIC ID = vCPU index */
		acpi_put(a, p + 4, 4, 1); /* enabled */
	}
	acpi_put(a, p, 1, 1); /* I/O APIC */
	acpi_put(a, p + 1, 1, 12);
	acpi_put(a, p + 2, 1, cpus); /* an ID no CPU uses */
	acpi_put(a, p + 4, 4, X86_IOAPIC_BASE);
	acpi_put(a, p + 8, 4, 0); /* GSI base */
	p += 12;
	/* The PIT's IRQ 0 is wired to IOAPIC pin 2, as on every PC. */
	acpi_put(a, p, 1, 2);
	acpi_put(a, p + 1, 1, 10);
	acpi_put(a, p + 3, 1, 0);
	acpi_put(a, p + 4, 4, 2);
	acpi_put(a, p + 8, 2, 0);
	p += 10;
	/* The SCI is level triggered, active high. */
	acpi_put(a, p, 1, 2);
	acpi_put(a, p + 1, 1, 10);
	acpi_put(a, p + 3, 1, X86_SCI_IRQ);
	acpi_put(a, p + 4, 4, X86_SCI_IRQ);
	acpi_put(a, p + 8, 2, MADT_ISO_LEVEL_HIGH);
	p += 10;
	acpi_put(a, p, 1, 4); /* local APIC NMI on LINT1, every CPU */
	acpi_put(a, p + 1, 1, 6);
	acpi_put(a, p + 2, 1, 0xff);
	acpi_put(a, p + 3, 2, 0);
	acpi_put(a, p + 5, 1, 1);
	acpi_seal(a, t, len);
	return t;
}

/* PCIe ECAM for segment 0, buses 0-255. */
static size_t build_mcfg(struct acpi_area *a)
{
	size_t len = 44 + 16;
	size_t t = acpi_table(a, "MCFG", len, 1);

	acpi_put(a, t + 44, 8, X86_ECAM_BASE);
	acpi_put(a, t + 52, 2, 0);
	acpi_put(a, t + 54, 1, 0);
	acpi_put(a, t + 55, 1, X86_ECAM_SIZE / (1 << 20) - 1);
	acpi_seal(a, t, len);
	return t;
}

int x86_acpi_build_area(struct acpi_area *a, const struct x86_acpi_config *cfg)
{
	size_t rsdp, facs, dsdt, tables[3], xsdt;

	rsdp = acpi_rsdp_place(a);
	facs = build_facs(a);
	dsdt = build_dsdt(a, cfg);
	tables[0] = build_fadt(a, facs, dsdt);
	tables[1] = build_madt(a, cfg->cpus);
	tables[2] = build_mcfg(a);
	xsdt = acpi_xsdt(a, tables, 3);
	acpi_rsdp_finish(a, rsdp, xsdt);
	return a->overflow ? -1 : 0;
}

int x86_acpi_build(void *host, uint64_t gpa, size_t size,
		   const struct x86_acpi_config *cfg)
{
	struct acpi_area a;

	acpi_area_init(&a, host, gpa, size);
	return x86_acpi_build_area(&a, cfg);
}
